// Package s3test starts throwaway S3-compatible object stores for tests,
// the way httptest starts HTTP servers: SeaweedFS's weed server (built by
// `make s3server` into bin/weed) in a temporary directory, on free
// loopback ports, with one identity allowed everything, stopped when the
// test ends.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/recorder/s3store"
)

// Server is a running object store.
type Server struct {
	// Endpoint is host:port of its S3 API (http).
	Endpoint  string
	AccessKey string
	SecretKey string

	root string
	cmd  *exec.Cmd
	exit chan error
}

// Config is an s3store configuration for bucket on s, as user vigil.
func (s *Server) Config(bucket string) s3store.Config {
	return s3store.Config{Endpoint: s.Endpoint, Bucket: bucket, Prefix: "recordings", Region: "us-east-1",
		AccessKey: s.AccessKey, SecretKey: s.SecretKey}
}

// Bucket connects to a new bucket on s, made for the test.
func (s *Server) Bucket(t testing.TB, bucket string) *s3store.Store {
	t.Helper()
	st, err := s3store.New(s.Config(bucket))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Check(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	return st
}

// Start starts a server for the test, failing it when weed is not built
// (make s3server) or will not start.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Binary finds weed: $VIGIL_WEED, else bin/weed in the module's root.
func Binary() (string, error) {
	if p := os.Getenv("VIGIL_WEED"); p != "" {
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "Makefile")); err == nil {
				p := filepath.Join(dir, "bin", "weed")
				if _, err := os.Stat(p); err != nil {
					return "", fmt.Errorf("s3test: %s is missing: run make s3server (SeaweedFS, built from the Go module proxy)", p)
				}
				return p, nil
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("s3test: no bin/weed found above the working directory: run make s3server, or set VIGIL_WEED")
		}
		dir = up
	}
}

// New starts a server that lives until Close.
func New() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // a port taken between choosing and binding: try again
		s, err := start(bin)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(bin string) (*Server, error) {
	root, err := os.MkdirTemp("", "vigil-s3-")
	if err != nil {
		return nil, err
	}
	s := &Server{root: root, AccessKey: "vigil" + randomHex(4), SecretKey: randomHex(20), exit: make(chan error, 1)}
	ids := map[string]any{"identities": []any{map[string]any{
		"name":        "vigil",
		"credentials": []any{map[string]string{"accessKey": s.AccessKey, "secretKey": s.SecretKey}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}}
	b, _ := json.Marshal(ids)
	cfg := filepath.Join(root, "s3.json")
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	ports, err := freePorts(8)
	if err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	data := filepath.Join(root, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	p := func(i int) string { return strconv.Itoa(ports[i]) }
	logf, err := os.Create(filepath.Join(root, "weed.log"))
	if err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	defer logf.Close()
	s.cmd = exec.Command(bin, "server", "-dir="+data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port="+p(0), "-master.port.grpc="+p(1), "-volume.port="+p(2), "-volume.port.grpc="+p(3),
		"-filer", "-filer.port="+p(4), "-filer.port.grpc="+p(5),
		"-s3", "-s3.port="+p(6), "-s3.port.grpc="+p(7), "-s3.config="+cfg,
		"-master.volumeSizeLimitMB=64", "-volume.max=32", "-volume.preStopSeconds=0")
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(root)
		return nil, fmt.Errorf("s3test: start %s: %w", bin, err)
	}
	go func() { s.exit <- s.cmd.Wait() }()
	s.Endpoint = "127.0.0.1:" + p(6)
	if err := s.waitReady(60 * time.Second); err != nil {
		log, _ := os.ReadFile(filepath.Join(root, "weed.log"))
		s.Close()
		return nil, fmt.Errorf("s3test: weed server did not become ready: %w\n%s", err, tail(log, 2000))
	}
	return s, nil
}

// waitReady waits until the S3 API answers a signed request and a bucket
// can be made and written (the volume server has registered).
func (s *Server) waitReady(within time.Duration) error {
	deadline := time.Now().Add(within)
	st, err := s3store.New(s.Config("s3test-ready"))
	if err != nil {
		return err
	}
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-s.exit:
			return fmt.Errorf("weed exited: %v", err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		last = st.Check(ctx, true)
		if last == nil {
			last = st.PutBytes(ctx, st.Object("probe"), []byte("ready"))
		}
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return last
}

// Close stops the server and removes its data.
func (s *Server) Close() {
	if s.cmd != nil && s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-s.exit:
		case <-time.After(10 * time.Second):
		}
	}
	os.RemoveAll(s.root)
}

// freePorts finds n free loopback ports.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
