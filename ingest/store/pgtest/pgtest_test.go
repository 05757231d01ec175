package pgtest

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// TestStartsPostgreSQL starts a server, makes a database, and talks to it
// through pgx: the server is PostgreSQL 15 or newer.
func TestStartsPostgreSQL(t *testing.T) {
	s := Start(t)
	s.Create(t, "vigil_test")
	db, err := sql.Open("pgx", s.DSN("vigil_test"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version string
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT version(), current_setting('server_version_num')::int").Scan(&version, &n); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(version, "PostgreSQL") || n < 150000 {
		t.Fatalf("server %q (%d): want PostgreSQL 15 or newer", version, n)
	}
	if _, err := db.Exec(`CREATE TABLE t (id BIGSERIAL PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.QueryRow(`INSERT INTO t (v) VALUES ($1) RETURNING id`, "a").Scan(&id); err != nil || id != 1 {
		t.Fatalf("insert: %d %v", id, err)
	}
}

// A test server runs without fsync; a durable one keeps PostgreSQL's
// defaults.
func TestDurable(t *testing.T) {
	for _, durable := range []bool{false, true} {
		s, err := NewWithOptions(Options{Durable: durable})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.CreateDB("vigil_test"); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("pgx", s.DSN("vigil_test"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		want := map[bool]string{false: "off", true: "on"}[durable]
		for _, name := range []string{"fsync", "full_page_writes", "synchronous_commit"} {
			var v string
			if err := db.QueryRow("SHOW " + name).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if v != want {
				t.Errorf("durable %v: %s = %s, want %s", durable, name, v, want)
			}
		}
	}
}
