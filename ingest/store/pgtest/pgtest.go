// Package pgtest starts throwaway PostgreSQL servers for tests, the way
// httptest starts HTTP servers: Debian's PostgreSQL 15 (initdb, postgres)
// in a temporary data directory, on a free loopback port, trusting local
// connections, stopped when the test ends. As root (CI, containers) the
// server runs as the postgres system user, since PostgreSQL refuses root.
package pgtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BinDirs are where Debian puts PostgreSQL's server programs.
var BinDirs = []string{"/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"}

// Server is a running PostgreSQL server.
type Server struct {
	Dir  string // the data directory
	Port int
	bin  string
	root string   // the temporary directory holding Dir and the log
	as   []string // runs a program as the server's user (runuser, as root)
}

// DSN is a connection URL to database db (created with Create) as the
// superuser vigil.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://vigil@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// Start starts a server for the test, failing it when PostgreSQL is not
// installed (make deps installs Debian's postgresql) or will not start.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Options change how New starts a server.
type Options struct {
	// Durable keeps PostgreSQL's own durability settings (fsync,
	// full_page_writes and synchronous_commit on, as a production server
	// runs), which a test server turns off to go faster: for benchmarks
	// that weigh commits.
	Durable bool
}

// New starts a server that lives until Close: for a TestMain that shares
// one server among a package's tests.
func New() (*Server, error) { return NewWithOptions(Options{}) }

// NewWithOptions starts a server with options o that lives until Close.
func NewWithOptions(o Options) (*Server, error) {
	s := &Server{}
	for _, d := range BinDirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			s.bin = d
			break
		}
	}
	if s.bin == "" {
		return nil, fmt.Errorf("pgtest: PostgreSQL's initdb is not in %v (Debian: apt-get install postgresql)", BinDirs)
	}
	root, err := os.MkdirTemp("", "vigil-pg-")
	if err != nil {
		return nil, err
	}
	s.root = root
	s.Dir = filepath.Join(root, "data")
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(root)
			return nil, fmt.Errorf("pgtest: running as root needs the postgres system user (Debian's postgresql package makes it): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(root, uid, gid); err != nil {
			os.RemoveAll(root)
			return nil, err
		}
		s.as = []string{"runuser", "-u", "postgres", "--"}
	}
	if err := s.run("initdb", "-D", s.Dir, "-U", "vigil", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	if s.Port, err = freePort(); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	// Sockets in the data directory (not /var/run/postgresql), TCP on
	// loopback only, no fsync unless asked: a test server, fast and private.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", s.Port, s.Dir)
	if !o.Durable {
		opts += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
	}
	if err := s.run("pg_ctl", "-D", s.Dir, "-o", opts, "-l", filepath.Join(root, "log"), "-w", "-t", "60", "start"); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	return s, nil
}

// Close stops the server and removes its files.
func (s *Server) Close() {
	s.command("pg_ctl", "-D", s.Dir, "-m", "immediate", "-w", "stop").Run()
	os.RemoveAll(s.root)
}

// Create creates database db.
func (s *Server) Create(t testing.TB, db string) {
	t.Helper()
	if err := s.CreateDB(db); err != nil {
		t.Fatal(err)
	}
}

// CreateDB creates database db.
func (s *Server) CreateDB(db string) error {
	return s.run("createdb", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "vigil", db)
}

// command runs one of PostgreSQL's programs as the server's user.
func (s *Server) command(prog string, args ...string) *exec.Cmd {
	argv := append([]string{filepath.Join(s.bin, prog)}, args...)
	if len(s.as) > 0 {
		argv = append(append([]string{}, s.as...), argv...)
	}
	return exec.Command(argv[0], argv[1:]...)
}

func (s *Server) run(prog string, args ...string) error {
	var out bytes.Buffer
	cmd := s.command(prog, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: %s: %v (after %v)\n%s", prog, err, time.Since(start).Round(time.Millisecond), out.String())
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
