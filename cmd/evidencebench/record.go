package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/vigil-cctv/vigil/cmd/camsim/sim"
	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/rtsp"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder"
)

// quiet is the components' logger: the benchmark prints its own progress.
func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// subSpec is a small sub stream: only the main stream is recorded.
func subSpec() sim.StreamSpec {
	return sim.StreamSpec{Width: 160, Height: 96, FPS: 5, GOP: 2 * time.Second, Bitrate: 64_000}
}

// recorded is one sealed segment of camsim footage.
type recorded struct {
	seg  store.Segment
	data []byte
}

// benchCamera is the camera's row in a store.
func benchCamera(id, url string) store.Camera {
	return store.Camera{ID: id, Name: "Bench street " + id, Site: "Town Hall", Ward: "Central", Kind: "fixed",
		MainURL: url, RetentionDays: 31, Enabled: true, ManagedBy: "api"}
}

// recordSegment records one camsim camera through real ingest and the real
// recorder, in dir, until its first segment is sealed, and returns it.
func recordSegment(ctx context.Context, o options, dir string) (recorded, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return recorded{}, err
	}
	st, err := store.Open(filepath.Join(dir, "source.db"))
	if err != nil {
		return recorded{}, err
	}
	defer st.Close()

	cfg := sim.DefaultConfig()
	cfg.Listen, cfg.Cameras = "127.0.0.1:0", 1
	cfg.Main, cfg.Sub = o.main, subSpec()
	cfg.ClipDir, cfg.ClipSeconds = o.clips, o.clipSeconds
	cfg.Logger = quiet()
	srv := &sim.Server{Config: cfg}
	if err := srv.Initialize(); err != nil {
		return recorded{}, fmt.Errorf("camsim: %w", err)
	}
	defer srv.Close()

	cam := sim.CameraName(1)
	c := benchCamera(cam, srv.URL(1, sim.StreamMain))
	if err := st.CreateCamera(ctx, &c); err != nil {
		return recorded{}, err
	}
	sup := &ingest.Supervisor{Source: rtsp.Read, Outages: st, Metrics: ingest.NewMetrics(nil), Logger: quiet(),
		Defaults: ingest.Defaults{Transport: "tcp", ReadTimeout: 3 * time.Second,
			Backoff: ingest.Backoff{Min: 200 * time.Millisecond, Max: time.Second}}}
	sup.Initialize()
	defer sup.Close()
	sup.Upsert(ingest.Camera{ID: cam, Enabled: true, Main: ingest.Target{URL: c.MainURL}})

	recDir := filepath.Join(dir, "recordings")
	rec := &recorder.Recorder{Dir: recDir, SegmentDuration: o.segment, Store: st, Logger: quiet()}
	if err := rec.Initialize(); err != nil {
		return recorded{}, err
	}
	rec.Record(cam, sup.Hub(cam, ingest.StreamMain))
	deadline := time.Now().Add(o.segment + 60*time.Second)
	var segs []store.Segment
	for len(segs) == 0 {
		if time.Now().After(deadline) {
			rec.Close()
			return recorded{}, fmt.Errorf("camsim camera did not record a %v segment in %v", o.segment, o.segment+60*time.Second)
		}
		time.Sleep(200 * time.Millisecond)
		if segs, err = st.Segments(ctx, cam, time.Time{}, time.Time{}); err != nil {
			rec.Close()
			return recorded{}, err
		}
	}
	rec.Close()

	seg := segs[0]
	data, err := os.ReadFile(filepath.Join(recDir, filepath.FromSlash(seg.Path)))
	if err != nil {
		return recorded{}, err
	}
	if sha256.Sum256(data) != seg.SHA256 || int64(len(data)) != seg.Bytes {
		return recorded{}, fmt.Errorf("recorded segment %s does not match its index row", seg.Path)
	}
	return recorded{seg: seg, data: data}, nil
}
