package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vigil-cctv/vigil/cmd/internal/benchdisk"
	"github.com/vigil-cctv/vigil/ingest/store/pgtest"
)

// results are one run's figures.
type results struct {
	o          options
	machine    string            // cores, load
	postgres   string            // version
	sqlite     string            // version
	pgDisk     string            // filesystem of the PostgreSQL data directories
	sqliteDisk string            // and of the single-node evidence log's directory
	pgSettings map[string]string // fsync etc. of each server ("fast", "durable")
	loadAfter  string
	trials     []trial
	ops        []opFigures
	backends   []string // names of the ops' columns
	evidence   *evidenceResults
	objects    *objectResults
}

// bench runs the objects phase first (its own object store, no
// PostgreSQL; a missing weed binary fails the run at once), then the
// takeover trials (with the rounds) on a fast PostgreSQL, then the store
// operations on SQLite and the PostgreSQL servers, then the evidence log's
// appends (in a directory, and shared on each server) and its takeovers.
func bench(ctx context.Context, o options, p *progress) (*results, error) {
	r := &results{o: o, machine: machine(), pgSettings: map[string]string{}}
	var err error
	if o.objects {
		if r.objects, err = objectsBench(ctx, o, p); err != nil {
			return nil, fmt.Errorf("objects: %w", err)
		}
		p.logf("objects: phase took %s", secs(r.objects.took))
	}
	if !o.takeover && !o.ops && !o.evidence {
		r.loadAfter = loadavg()
		return r, nil
	}
	p.logf("starting PostgreSQL (pgtest: fsync off)")
	fast, err := pgtest.New()
	if err != nil {
		return nil, err
	}
	defer fast.Close()
	if r.postgres, r.pgSettings["fast"], err = describe(ctx, fast); err != nil {
		return nil, err
	}
	if r.pgDisk, err = benchdisk.Check(filepath.Dir(fast.Dir), 0); err != nil {
		r.pgDisk = err.Error() // its settings say more than its disk when fsync is off
	}
	if o.takeover {
		for _, n := range o.cameras {
			for i := range o.trials {
				p.logf("takeover: %d cameras, trial %d of %d", n, i+1, o.trials)
				t, err := takeover(ctx, o, fast, n, i, p)
				if err != nil {
					return nil, fmt.Errorf("takeover of %d cameras, trial %d: %w", n, i+1, err)
				}
				p.logf("  %s", t.summary())
				r.trials = append(r.trials, t)
			}
		}
	}
	if !o.ops && !o.evidence {
		r.loadAfter = loadavg()
		return r, nil
	}
	if r.sqliteDisk, err = benchdisk.Check(o.dir, 1<<30); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.dir, "clusterbench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	servers := []serverUnderTest{{name: "fsync off", pg: fast}}
	if o.durable {
		p.logf("starting PostgreSQL with its durable defaults (fsync on)")
		durable, err := pgtest.NewWithOptions(pgtest.Options{Durable: true})
		if err != nil {
			return nil, err
		}
		defer durable.Close()
		if _, r.pgSettings["durable"], err = describe(ctx, durable); err != nil {
			return nil, err
		}
		servers = append(servers, serverUnderTest{name: "fsync on", pg: durable})
	}
	if o.ops {
		if r.sqlite, err = sqliteVersion(ctx); err != nil {
			return nil, err
		}
		targets := []*target{{name: "SQLite", dsn: filepath.Join(dir, "vigil.db")}}
		for _, s := range servers {
			if err := s.pg.CreateDB("ops"); err != nil {
				return nil, err
			}
			targets = append(targets, &target{name: "PostgreSQL " + s.name, dsn: s.pg.DSN("ops")})
		}
		for _, t := range targets {
			r.backends = append(r.backends, t.name)
		}
		if r.ops, err = storeOps(ctx, o, targets, p); err != nil {
			return nil, fmt.Errorf("store operations: %w", err)
		}
	}
	if o.evidence {
		if r.evidence, err = evidenceBench(ctx, o, servers, dir, p); err != nil {
			return nil, fmt.Errorf("evidence log: %w", err)
		}
	}
	r.loadAfter = loadavg()
	return r, nil
}

// describe is a server's version and durability settings.
func describe(ctx context.Context, s *pgtest.Server) (version, settings string, err error) {
	db, err := sql.Open("pgx", s.DSN("postgres"))
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `SHOW server_version`).Scan(&version); err != nil {
		return "", "", err
	}
	var parts []string
	for _, name := range []string{"fsync", "synchronous_commit", "full_page_writes", "shared_buffers"} {
		var v string
		if err := db.QueryRowContext(ctx, `SHOW `+name).Scan(&v); err != nil {
			return "", "", err
		}
		parts = append(parts, name+"="+v)
	}
	return "PostgreSQL " + version, strings.Join(parts, " "), nil
}

// sqliteVersion is the SQLite library's (modernc.org/sqlite's driver is
// registered by the store).
func sqliteVersion(ctx context.Context) (string, error) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var v string
	err = db.QueryRowContext(ctx, `SELECT sqlite_version()`).Scan(&v)
	return "SQLite " + v, err
}

func machine() string {
	return fmt.Sprintf("%d cores, %s, load before %s", runtime.NumCPU(), runtime.Version(), loadavg())
}

func loadavg() string {
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			return strings.Join(f[:3], " ")
		}
	}
	return "?"
}
