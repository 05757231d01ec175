package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/store/pgtest"
	"golang.org/x/mod/sumdb/tlog"
)

// The whole service runs on PostgreSQL: store.dsn set, the demo cameras
// come online, people are added and a bookmark is kept.
func TestServiceOnPostgreSQL(t *testing.T) {
	a, dsn := startAppOnPostgres(t, "")
	c := team(t, a, "http://"+a.Addr(), nil, "operator")["operator"]
	waitUntil(t, 30*time.Second, "demo cameras online", func() bool { return c.camera("cam001")["status"] == "online" })
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	if code, out, raw := c.do("POST", "/api/v1/bookmarks", `{"at":"`+at+`","cameras":["cam001"],"note":"Moped on the pavement"}`); code != http.StatusCreated {
		t.Fatalf("bookmark: %d %v %s", code, out, raw)
	}
	st, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if cams, err := st.ListCameras(ctx); err != nil || len(cams) != 3 {
		t.Fatalf("cameras in PostgreSQL: %d, %v", len(cams), err)
	}
	if bs, err := st.Bookmarks(ctx, store.BookmarkQuery{Text: "MOPED"}); err != nil || len(bs) != 1 {
		t.Fatalf("bookmarks in PostgreSQL: %v, %v", bs, err)
	}
}

// startAppOnPostgres is startApp on a new PostgreSQL database, whose URL
// it gives too; configBody follows the store's settings.
func startAppOnPostgres(t *testing.T, configBody string) (*App, string) {
	t.Helper()
	pg := pgtest.Start(t)
	pg.Create(t, "vigil")
	a, _ := startApp(t, fmt.Sprintf("store: {dsn: %q}\n", pg.DSN("vigil"))+configBody)
	return a, pg.DSN("vigil")
}

// A single-node site moves to PostgreSQL: migrate-store copies it, and the
// service started on the new store finds its cameras and people.
func TestMigrateStoreMovesASite(t *testing.T) {
	a, _ := startApp(t, "")
	team(t, a, "http://"+a.Addr(), nil, "operator")
	lite := a.Config.StoreTarget()
	a.Close()
	// The police hold a checkpoint of the site's log (signed here: the
	// service may have stopped before its first periodic one).
	site := newEvidenceLog(&a.Config, nil, "")
	if err := site.Open(); err != nil {
		t.Fatal(err)
	}
	ck, _, err := site.Checkpoint(context.Background(), "export/held-by-police")
	site.Close()
	if err != nil {
		t.Fatal(err)
	}

	pg := pgtest.Start(t)
	pg.Create(t, "vigil")
	var out bytes.Buffer
	if err := MigrateStore(a.Config, "sqlite:"+lite, pg.DSN("vigil"), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "cameras") || !strings.Contains(out.String(), "done:") || !strings.Contains(out.String(), "evidence log:") {
		t.Fatalf("migrate-store said:\n%s", out.String())
	}
	out.Reset()
	if err := MigrateStore(a.Config, "sqlite:"+lite, pg.DSN("vigil"), &out); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("a second copy into the same store: %v", err)
	}
	if err := MigrateStore(a.Config, filepath.Join(t.TempDir(), "typo.db"), pg.DSN("vigil"), &out); err == nil {
		t.Fatal("a missing SQLite file was taken for an empty store")
	}
	c := DefaultConfig()
	c.Store.DSN = pg.DSN("vigil")
	if err := Migrate(c, &out); err != nil || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	st, err := store.Open(pg.DSN("vigil"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if cams, _ := st.ListCameras(ctx); len(cams) != 3 {
		t.Fatalf("%d cameras after the move", len(cams))
	}
	if _, err := st.UserByName(ctx, "operator"); err != nil {
		t.Fatalf("the operator after the move: %v", err)
	}

	// The evidence log moved as it was: the site's checkpoint verifies
	// against the shared log, which a node of the new cluster goes on
	// writing.
	a.Config.Cluster.NodeID = "vigil-0"
	shared := newEvidenceLog(&a.Config, st, "vigil-0")
	if err := shared.Open(); err != nil {
		t.Fatalf("the moved log does not open: %v", err)
	}
	defer shared.Close()
	if got, _ := shared.LastCheckpoint(); shared.Size() != site.Size() || got != ck || ck.Size == 0 {
		t.Fatalf("shared log: %d entries, checkpoint %+v; the site's: %d, %+v", shared.Size(), got, site.Size(), ck)
	}
	// The cluster's next checkpoint extends the one the police hold.
	next, _, err := shared.Checkpoint(ctx, "periodic")
	if err != nil {
		t.Fatalf("the moved log signs no more: %v", err)
	}
	p, err := shared.ConsistencyProof(ck.Size, next.Size)
	if err == nil {
		err = tlog.CheckTree(p, next.Size, next.Root, ck.Size, ck.Root)
	}
	if err != nil {
		t.Fatalf("the shared log's checkpoint does not extend the police's: %v", err)
	}
}

func TestStoreDSNIsValidated(t *testing.T) {
	for _, dsn := range []string{"mysql://x/y", "postgres://host-only", "postgres:///db", "vigil.db"} {
		c := DefaultConfig()
		c.Store.DSN = dsn
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "store.dsn") {
			t.Errorf("store.dsn %q: %v", dsn, err)
		}
	}
	c := DefaultConfig()
	c.Store.DSN = "postgres://vigil:pw@db.council.internal:5432/vigil?sslmode=verify-full"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
