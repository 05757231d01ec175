package app

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// One node of a cluster runs the cameras it leases, and a change made
// through the API reaches it through its round: a camera disabled loses
// its lease and stops; enabled again, it is leased and runs again.
func TestClusterNodeRunsItsLeasedCameras(t *testing.T) {
	a, dsn := startAppOnPostgres(t, "cluster: {node_id: vigil-0, lease_ttl: 3s}\n")
	c := team(t, a, "http://"+a.Addr(), nil, "engineer")["engineer"]
	waitUntil(t, 30*time.Second, "demo cameras online", func() bool { return c.camera("cam002")["status"] == "online" })
	st, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if ls, _ := st.Leases(ctx); len(ls) != 3 || ls[0].Node != "vigil-0" {
		t.Fatalf("leases: %+v", ls)
	}
	// Its evidence log is the cluster's, in PostgreSQL, and it writes it.
	var entries int
	if err := st.SharedDB().QueryRowContext(ctx, `SELECT count(*) FROM evidence_entries`).Scan(&entries); err != nil || entries == 0 || !a.evlog.Leading() {
		t.Fatalf("shared evidence log: %d entries (%v), this node writes it: %v", entries, err, a.evlog.Leading())
	}
	if code, out, raw := c.do("PATCH", "/api/v1/cameras/cam002", `{"enabled":false}`); code != http.StatusOK {
		t.Fatalf("disable: %d %v %s", code, out, raw)
	}
	waitUntil(t, 10*time.Second, "cam002's lease dropped and its ingest stopped", func() bool {
		_, err := st.Lease(ctx, "cam002")
		_, running := a.sup.Status("cam002")
		return err != nil && !running
	})
	if code, out, raw := c.do("PATCH", "/api/v1/cameras/cam002", `{"enabled":true}`); code != http.StatusOK {
		t.Fatalf("enable: %d %v %s", code, out, raw)
	}
	waitUntil(t, 20*time.Second, "cam002 leased and online again", func() bool {
		l, err := st.Lease(ctx, "cam002")
		return err == nil && l.Node == "vigil-0" && c.camera("cam002")["status"] == "online"
	})
}
