package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Nodes that start together on a new database: one migrates, the others
// wait for it and find the work done.
func TestPostgresMigratesOnceWhenNodesStartTogether(t *testing.T) {
	dsn := newPostgresDB(t)
	var wg sync.WaitGroup
	stores := make([]*Store, 3)
	errs := make([]error, 3)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(dsn)
		}()
	}
	wg.Wait()
	applied := 0
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		defer s.Close()
		if from, to := s.Migrated(); to != len(migrations) {
			t.Fatalf("node %d: migrated to %d, want %d", i, to, len(migrations))
		} else if from == 0 {
			applied++
		}
	}
	if applied == 0 {
		t.Fatal("no node found the database new")
	}
	var rows, version int
	if err := stores[0].db.QueryRow(`SELECT count(*), max(version) FROM vigil_schema`).Scan(&rows, &version); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || version != len(migrations) {
		t.Fatalf("vigil_schema: %d rows, version %d; want 1 row at %d", rows, version, len(migrations))
	}
}

func TestPostgresRejectsNewerSchema(t *testing.T) {
	dsn := newPostgresDB(t)
	s, err := Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`UPDATE vigil_schema SET version = 99`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(dsn); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("newer schema: %v", err)
	}
}

// A database that cannot be reached is named in the error, without the
// password in its URL.
func TestPostgresUnreachableIsNamedWithoutPassword(t *testing.T) {
	_, err := Open("postgres://vigil:hunter2@127.0.0.1:1/vigil?connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("unreachable database: %v", err)
	}
}

// Both backends have the same tables with the same columns in the same
// order: the PostgreSQL schema is the SQLite one run through postgresDDL.
func TestBothBackendsHaveTheSameSchema(t *testing.T) {
	lite, _ := openTemp(t)
	pg, err := Open(newPostgresDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	ctx := context.Background()
	a, err := lite.columns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := pg.columns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("schemas differ:\nsqlite   %v\npostgres %v", a, b)
	}
	var tables []string
	for name := range a {
		tables = append(tables, name)
	}
	slices.Sort(tables)
	listed := slices.Sorted(slices.Values(Tables))
	if !slices.Equal(tables, listed) {
		t.Fatalf("the schema's tables %v are not the ones Tables lists %v: list a new table in copy order", tables, listed)
	}
}
