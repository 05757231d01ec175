package app

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
)

// workflowApp is an App with only what the sweeper uses: a store and an
// evidence log, both real, closed when the test ends.
func workflowApp(t *testing.T) (*App, *store.Store, *locker.Log) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	evlog := &locker.Log{Dir: t.TempDir(), Origin: "test/evidence", CreateKey: true, CheckpointInterval: -1, Logger: logger}
	if err := evlog.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { evlog.Close() })
	return &App{Config: DefaultConfig(), store: st, evlog: evlog, logger: logger}, st, evlog
}

// The sweeper expires police requests nobody decided in time, once each,
// and logs every expiry in the evidence log.
func TestWorkflowExpiresUndecidedRequests(t *testing.T) {
	ctx := context.Background()
	a, st, evlog := workflowApp(t)
	now := time.Now()
	for i, age := range []time.Duration{8 * 24 * time.Hour, time.Hour} {
		x := store.ExportRequest{ID: []string{"old", "new"}[i], CrimeRef: "01/1/26", Cameras: []string{"cam001"},
			Start: now.Add(-48 * time.Hour), End: now.Add(-47 * time.Hour), Reason: "assault", RequestedBy: "dc.patel",
			Officer: "DC Patel", RequestedAt: now.Add(-age)}
		if err := st.AddExportRequest(ctx, &x); err != nil {
			t.Fatal(err)
		}
	}
	w := &workflow{app: a}
	w.sweepOnce(ctx)
	w.sweepOnce(ctx)
	for id, want := range map[string]string{"old": store.ExportExpired, "new": store.ExportRequested} {
		if x, err := st.ExportRequest(ctx, id); err != nil || x.State != want {
			t.Errorf("request %s: %q %v, want %q", id, x.State, err, want)
		}
	}
	var expired []evidence.Entry
	evlog.Scan(0, evlog.Size(), func(e evidence.Entry, _ []byte) bool {
		if e.Action == evidence.ActionExportExpired {
			expired = append(expired, e)
		}
		return true
	})
	if len(expired) != 1 || expired[0].Ref != "export/old" || expired[0].Actor != evidence.ActorWorkflow || expired[0].Camera != "cam001" {
		t.Fatalf("expiry entries: %+v", expired)
	}
}

// TestWorkflowPrunesPlateReads: reads past the ANPR retention go, and
// their deletion is in the evidence log (how many, of which period).
func TestWorkflowPrunesPlateReads(t *testing.T) {
	ctx := context.Background()
	a, st, evlog := workflowApp(t)
	now := time.Now().UTC()
	for _, age := range []time.Duration{100 * 24 * time.Hour, 95 * 24 * time.Hour, 10 * 24 * time.Hour} {
		at := now.Add(-age)
		r := store.PlateRead{Camera: "cam001", At: at, First: at, Last: at, Plate: "AB12CDE", Text: "AB12 CDE",
			Confidence: 0.9, CharConf: make([]float32, 7)}
		if err := st.AddPlateRead(ctx, &r); err != nil {
			t.Fatal(err)
		}
	}
	w := &workflow{app: a}
	w.sweepOnce(ctx)
	w.sweepOnce(ctx)
	left, err := st.PlateReads(ctx, store.PlateQuery{From: now.Add(-400 * 24 * time.Hour)})
	if err != nil || len(left) != 1 {
		t.Fatalf("%d reads left (%v), want the 10-day-old one", len(left), err)
	}
	var pruned []evidence.Entry
	evlog.Scan(0, evlog.Size(), func(e evidence.Entry, _ []byte) bool {
		if e.Action == evidence.ActionPlateReadsPruned {
			pruned = append(pruned, e)
		}
		return true
	})
	if len(pruned) != 1 || pruned[0].Detail != "2 plate reads deleted" || pruned[0].Actor != evidence.ActorRetention ||
		!pruned[0].From.Equal(now.Add(-100*24*time.Hour).Truncate(time.Microsecond)) {
		t.Fatalf("prune entries: %+v", pruned)
	}
}
