package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestQuick runs the -quick benchmark end to end (one takeover of 10
// cameras on the real lease TTL, the rounds, every store operation on
// SQLite and both PostgreSQL servers, the evidence log's appends and one
// takeover of the shared log per server and kind of death, segments moved
// to and read from a real SeaweedFS server against this disk) and checks
// its figures are sane and its tables printed.
func TestQuick(t *testing.T) {
	o := quickOptions(defaultOptions())
	o.dir = t.TempDir()
	var log bytes.Buffer
	r, err := bench(context.Background(), o, newProgress(&log))
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(r.trials) != 1 {
		t.Fatalf("%d trials, want 1", len(r.trials))
	}
	tr := r.trials[0]
	if tr.lost < 3 || len(tr.takeover) != tr.lost || tr.to == nil || len(tr.spread) != nodeCount {
		t.Fatalf("implausible trial: %+v", tr)
	}
	// A takeover cannot beat the dead node's leases (takeover checks it
	// camera by camera), nor should it take three TTLs.
	if tr.takeover[0] < tr.leftMin || tr.max() >= 3*o.ttl || tr.beyond < 0 {
		t.Fatalf("taken over in %v to %v (floor %v to %v, beyond %v), TTL %v", tr.takeover[0], tr.max(), tr.leftMin, tr.left, tr.beyond, o.ttl)
	}
	if len(tr.heartbeat) != o.rounds || len(tr.steady) != o.rounds || len(tr.taking) != o.rounds ||
		median(tr.heartbeat) <= 0 || median(tr.taking) <= 0 || tr.placing < 3 {
		t.Fatalf("rounds: %+v", tr)
	}
	if want := len(ops(o)) * len(o.writers); len(r.ops) != want || len(r.backends) != 3 {
		t.Fatalf("%d operation figures on %v, want %d on 3 stores", len(r.ops), r.backends, want)
	}
	for _, f := range r.ops {
		for i, rt := range f.rates {
			if rt.ops == 0 || rt.errs != 0 || rt.perSec() <= 0 {
				t.Fatalf("%s %s x%d: %d ops, %d failed (%v)", r.backends[i], f.op.name, f.writers, rt.ops, rt.errs, rt.err)
			}
		}
	}
	ev := r.evidence
	if ev == nil || len(ev.targets) != 5 || len(ev.appends) != len(logKinds())*len(o.writers) {
		t.Fatalf("evidence log figures: %+v", ev)
	}
	for _, f := range ev.appends {
		for i, rt := range f.rates {
			if rt.ops == 0 || rt.errs != 0 || rt.perSec() <= 0 {
				t.Fatalf("%s %s x%d: %d appends, %d failed (%v)", ev.targets[i], f.kind.name, f.writers, rt.ops, rt.errs, rt.err)
			}
		}
	}
	// Each trial was checked (one chain, every acknowledged append found);
	// the follower takes over within its poll or two (ForwardWait's doc).
	if len(ev.trials) != 4 {
		t.Fatalf("%d evidence log takeovers, want 4", len(ev.trials))
	}
	for _, tr := range ev.trials {
		if tr.took <= 0 || tr.took > 2*ev.poll+time.Second || tr.led <= 0 || tr.led > tr.took+100*time.Millisecond ||
			tr.acked == 0 || tr.entries < int64(tr.acked) {
			t.Fatalf("implausible evidence log takeover: %+v", tr)
		}
	}
	ob := r.objects
	if ob == nil || len(ob.uploads) != len(o.objectWorkers) || ob.largeUp == nil || ob.pass == nil || !ob.weedCPU {
		t.Fatalf("objects figures: %+v", ob)
	}
	for _, tr := range append(slices.Clone(ob.uploads), *ob.largeUp, *ob.pass) {
		if tr.files == 0 || tr.bytes == 0 || tr.s3 <= 0 || tr.local <= 0 || tr.s3CPU.self <= 0 || tr.s3CPU.weed <= 0 || tr.localCPU.self <= 0 {
			t.Fatalf("implausible transfer: %+v", tr)
		}
	}
	for _, f := range []readFigure{ob.whole, *ob.wholeBig, ob.random, ob.first} {
		if f.reads == 0 || f.bytes == 0 || f.s3 <= 0 || f.local <= 0 {
			t.Fatalf("implausible reads: %+v", f)
		}
	}
	if ob.random.reads != o.objectSeeks || len(ob.random.s3Each) != o.objectSeeks || ob.first.reads != o.objectFiles {
		t.Fatalf("reads: %d random (%d timed), %d first blocks", ob.random.reads, len(ob.random.s3Each), ob.first.reads)
	}
	var out bytes.Buffer
	r.print(&out)
	for _, want := range []string{"1. Takeover", "takeover, 10 cameras", "(lease TTL)", "round over 10 cameras, steady",
		"round over 10 cameras, taking over", "store.Heartbeat", "2. Store operations", "PostgreSQL fsync off", "PostgreSQL fsync on",
		"fsync=off", "fsync=on", "AddSegment", "Segments", "RenewLeases", "AddPlateRead", "AddActivity", "3. Evidence log appends", "follower, fsync on", "segment.sealed", "footage.playback",
		"HTTP hop between nodes is not counted", "4. Evidence log takeover", "leader closed", "leader session ended", "(LeaderPoll)", "the follower leads",
		"5. Segments in the shared object store", "Store.Put / copy + fsync", "Uploader.Pass", "CPU per GB moved (this process + weed)",
		"at random in 16 MB segments", "time to first byte", "S3 time / local time", "verdict: "} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
	if testing.Verbose() {
		t.Log(out.String())
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-cameras", "2"}, {"-cameras", "x"}, {"-ttl", "1ms"}, {"-trials", "0"},
		{"-phases", "nope"}, {"-writers", "0"}, {"-log-trials", "0"}, {"extra"},
		{"-object-files", "1"}, {"-object-mib", "0"}, {"-object-workers", "0"}, {"-object-seeks", "0"},
		{"-object-large", "8", "-object-large-mb", "1000"}} {
		if err := run(args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// Without the weed binary the objects phase fails at once, saying how to
// build it, whether it is looked for in the module's bin/ or at VIGIL_WEED.
func TestObjectsNeedWeed(t *testing.T) {
	module := t.TempDir()
	for _, f := range []string{"go.mod", "Makefile"} {
		if err := os.WriteFile(filepath.Join(module, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ name, weed, dir string }{
		{"bin/weed", "", module},
		{"VIGIL_WEED", filepath.Join(module, "weed"), "."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("VIGIL_WEED", tc.weed)
			t.Chdir(tc.dir)
			start := time.Now()
			err := run([]string{"-phases", "objects", "-quick", "-dir", t.TempDir()}, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "make s3server") {
				t.Fatalf("error %v, want one saying to run make s3server", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("failed after %v, not at once", d)
			}
		})
	}
}
