package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// targetTakeover is this benchmark's reading of cluster.DefaultLeaseTTL's
// doc: a dead node's cameras are taken within TTL + TTL/3 (its leases'
// life, then a survivor's next round), plus a round; the camera's connect
// is not counted here.
const targetTakeover = 1.5 // x TTL

// takeoverFigures are one N's trials together.
type takeoverFigures struct {
	n, trials        int
	lostMin, lostMax int
	max, median      time.Duration // worst of the trials; median of every camera lost
	left             []time.Duration
	beyond           time.Duration // worst
	heartbeat        time.Duration // medians of every timed call
	steady, taking   time.Duration
	renews, placing  int
	placedMax        time.Duration
}

func (r *results) byN() []takeoverFigures {
	var out []takeoverFigures
	for _, n := range r.o.cameras {
		f := takeoverFigures{n: n, lostMin: n}
		var all, hb, st, tk []time.Duration
		for _, t := range r.trials {
			if t.n != n {
				continue
			}
			f.trials++
			f.lostMin, f.lostMax = min(f.lostMin, t.lost), max(f.lostMax, t.lost)
			f.max, f.beyond, f.placedMax = max(f.max, t.max()), max(f.beyond, t.beyond), max(f.placedMax, t.placed)
			all = append(all, t.takeover...)
			f.left = append(f.left, t.left)
			hb, st, tk = append(hb, t.heartbeat...), append(st, t.steady...), append(tk, t.taking...)
			f.renews, f.placing = t.steadyRenews, t.placing
		}
		if f.trials == 0 {
			continue
		}
		slices.Sort(f.left)
		f.median, f.heartbeat, f.steady, f.taking = median(all), median(hb), median(st), median(tk)
		out = append(out, f)
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func ratio(v, base time.Duration) string {
	if base <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", float64(v)/float64(base))
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// verdicts are the takeover targets, per N: met or not.
func (r *results) verdicts() map[int]bool {
	v := map[int]bool{}
	for _, f := range r.byN() {
		v[f.n] = float64(f.max) <= targetTakeover*float64(r.o.ttl)
	}
	return v
}

func (r *results) print(w io.Writer) {
	o := r.o
	fmt.Fprintf(w, "\nScale-out benchmark (issue 10): %s, after %s\n", r.machine, r.loadAfter)
	if r.postgres != "" {
		fmt.Fprintf(w, "%s from pgtest on loopback, on this machine (settings: %s", r.postgres, r.pgSettings["fast"])
		if s, ok := r.pgSettings["durable"]; ok {
			fmt.Fprintf(w, "; the second server: %s", s)
		}
		fmt.Fprintf(w, "); PostgreSQL data on %s\n", r.pgDisk)
	}
	if o.ops {
		fmt.Fprintf(w, "%s (the service's settings: WAL, synchronous=NORMAL, busy_timeout 5 s), file on %s\n", r.sqlite, r.sqliteDisk)
	}
	if r.evidence != nil {
		fmt.Fprintf(w, "single-node evidence log (locker.Log in a directory) on %s\n", r.sqliteDisk)
	}

	if len(r.trials) > 0 {
		fmt.Fprintf(w, "\n1. Takeover after a node dies: %d nodes on PostgreSQL (fsync off), lease TTL %v, rounds every %v\n",
			nodeCount, o.ttl, o.ttl/3)
		fmt.Fprintln(w, "trials (each on a new database; node trial%3 killed at a random point of its renewal cycle):")
		for _, t := range r.trials {
			fmt.Fprintf(w, "  N=%d: %s\n", t.n, t.summary())
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "measure\tvalue\tbaseline\tratio\ttarget\tresult")
		ttl := fmt.Sprintf("%s (lease TTL)", secs(o.ttl))
		verdicts := r.verdicts()
		for _, f := range r.byN() {
			lost := fmt.Sprintf("%d", f.lostMin)
			if f.lostMax != f.lostMin {
				lost += fmt.Sprintf("-%d", f.lostMax)
			}
			fmt.Fprintf(tw, "takeover, %d cameras (%s lost per kill, trials: %d): max per camera\t%s\t%s\t%s\t<= %.2fx *\t%s\n",
				f.n, lost, f.trials, secs(f.max), ttl, ratio(f.max, o.ttl), targetTakeover, passFail(verdicts[f.n]))
			fmt.Fprintf(tw, "  median per camera\t%s\t%s\t%s\t\t\n", secs(f.median), ttl, ratio(f.median, o.ttl))
			lf := median(f.left)
			fmt.Fprintf(tw, "  life the dead node's leases had left (the floor), median (min-max)\t%s (%s-%s)\t%s\t%s\t\t\n",
				secs(lf), secs(f.left[0]), secs(f.left[len(f.left)-1]), ttl, ratio(lf, o.ttl))
			fmt.Fprintf(tw, "  beyond the floor: max of (running again - its lease's expiry)\t%s\t%s (a round: TTL/3)\t%s\t\t\n",
				secs(f.beyond), secs(o.ttl/3), ratio(f.beyond, o.ttl/3))
			fmt.Fprintf(tw, "  at the start, %d new cameras: made -> running on its node, max\t%s\t%s (a round: TTL/3)\t%s\t\t\n",
				f.n, secs(f.placedMax), secs(o.ttl/3), ratio(f.placedMax, o.ttl/3))
		}
		for _, f := range r.byN() {
			hb := fmt.Sprintf("%s (store.Heartbeat)", ms(f.heartbeat))
			fmt.Fprintf(tw, "round over %d cameras, steady (renews %d, places none)\t%s\t%s\t%s\t\t\n",
				f.n, f.renews, ms(f.steady), hb, ratio(f.steady, f.heartbeat))
			fmt.Fprintf(tw, "round over %d cameras, taking over (places %d)\t%s\t%s\t%s\t\t\n",
				f.n, f.placing, ms(f.taking), hb, ratio(f.taking, f.heartbeat))
		}
		tw.Flush()
		fmt.Fprintf(w, `
A camera is taken over when a live node's Owner.Own first names it (its Round's end: where
the service starts the camera; its RTSP connect is not counted). The floor is the life the
dead node's leases had left at the kill, which no takeover can beat: between 2/3 TTL and
TTL, as it renewed every TTL/3. Beyond it, a survivor's next round (at most TTL/3) places
the camera, and the node it is given to runs it at its own next round (no later than TTL/3
after the expiry). The nodes start at random points of a round, so their rounds are not in
step. New cameras are made one by one, each followed by a Kick of one node (as the API
does), which places it at once; a camera placed on another node starts at that node's next
round. Rounds are medians of %d timed calls per trial on a survivor, its loop stopped, the
other survivor kept alive: steady renews its own leases; taking over places a third of the
cameras, their leases dropped first (untimed). Store calls go to this machine's PostgreSQL
with fsync off. * target of this benchmark (DefaultLeaseTTL's doc: TTL + TTL/3, plus a
round), not of the issue.
`, o.rounds)
	}

	if len(r.ops) > 0 {
		fmt.Fprintf(w, "\n2. Store operations per second, PostgreSQL against SQLite (baseline): %v per figure, in %d rounds taking the stores in turn\n\n", o.window, opRounds)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		head := []string{"operation", "writers"}
		for i, b := range r.backends {
			head = append(head, b)
			if i > 0 {
				head = append(head, "/SQLite")
			}
		}
		fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
		for _, f := range r.ops {
			cells := append([]string{f.op.name, fmt.Sprint(f.writers)}, rateCells(f.rates)...)
			fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
		}
		tw.Flush()
		fmt.Fprintln(w)
		for _, op := range ops(o) {
			fmt.Fprintf(w, "%-12s %s\n", op.name, op.what)
		}
		var failed []string
		for _, f := range r.ops {
			for i, rt := range f.rates {
				if rt.err != nil {
					failed = append(failed, fmt.Sprintf("%s %s x%d: %d failed, first: %v", r.backends[i], f.op.name, f.writers, rt.errs, rt.err))
				}
			}
		}
		for _, s := range failed {
			fmt.Fprintln(w, "failures:", s)
		}
		fmt.Fprint(w, `
Each writer is a goroutine calling the store in a loop (the store's own connection pool:
PostgreSQL at most 20 connections; SQLite one writer at a time, others wait on its lock).
pgtest's PostgreSQL runs with fsync, full_page_writes and synchronous_commit off (a test
server: a commit does not wait for the disk); "fsync on" is a second server with
PostgreSQL's durable defaults, where every commit waits for its WAL flush. SQLite in WAL
mode with synchronous=NORMAL does not fsync at commit either (only at checkpoints), so it
compares with "fsync off"; it is durable against a process crash but not a power cut.
Both databases run on this machine, so PostgreSQL's CPU is taken from the same cores.
`)
	}

	if r.evidence != nil {
		r.evidence.print(w, o)
	}
	if r.objects != nil {
		r.objects.print(w, o)
	}

	if len(r.trials) > 0 {
		var failed []string
		verdicts := r.verdicts()
		for _, f := range r.byN() {
			if !verdicts[f.n] {
				failed = append(failed, fmt.Sprintf("takeover of %d cameras: %s > %.2fx TTL", f.n, secs(f.max), targetTakeover))
			}
		}
		if len(failed) == 0 {
			fmt.Fprintln(w, "\nverdict: PASS, every takeover target met")
		} else {
			fmt.Fprintf(w, "\nverdict: FAIL: %s\n", strings.Join(failed, "; "))
		}
	}
}

func (e *evidenceResults) print(w io.Writer, o options) {
	fmt.Fprintf(w, "\n3. Evidence log appends per second, shared (PostgreSQL) against the single-node log in a directory (baseline): %v per figure, in %d rounds taking the logs in turn\n\n", o.window, opRounds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"entry", "writers"}
	for i, t := range e.targets {
		head = append(head, t)
		if i > 0 {
			head = append(head, "/directory")
		}
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	var failed []string
	for _, f := range e.appends {
		cells := append([]string{f.kind.name, fmt.Sprint(f.writers)}, rateCells(f.rates)...)
		for i, rt := range f.rates {
			if rt.errs > 0 {
				failed = append(failed, fmt.Sprintf("%s %s x%d: %d failed, first: %v", e.targets[i], f.kind.name, f.writers, rt.errs, rt.err))
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, k := range logKinds() {
		fmt.Fprintf(w, "%-16s %s\n", k.name, k.what)
	}
	for _, s := range failed {
		fmt.Fprintln(w, "failures:", s)
	}
	fmt.Fprint(w, `
Each writer is a goroutine calling Log.Append in a loop; Append returns once its entry is
durable, and entries arriving together share a commit (group commit). The directory log
writes each batch and fdatasyncs it (the baseline: one node, no cluster). The shared log is
kept in PostgreSQL by its leader (the first node to open), one fenced transaction per batch;
a follower sends its batches to the leader (Forwarder -> the leader's AppendLeading, called
in this process: the service's HTTP hop between nodes is not counted), then reads them back
from the database before answering. Checkpoints are signed only when asked (the service
signs every 5 s). "fsync off" is pgtest's server (commits do not wait for the disk); "fsync
on" keeps PostgreSQL's durable defaults, where a commit waits for its WAL flush, as the
directory log waits for its fdatasync.
`)

	if len(e.trials) == 0 {
		return
	}
	fmt.Fprintf(w, "\n4. Evidence log takeover: two nodes share the log, the follower appends from %d goroutines while the leader dies; LeaderPoll %v\n",
		logAppenders, e.poll)
	fmt.Fprintln(w, "trials (each on a new database, the death at a random point of the follower's poll):")
	for _, t := range e.trials {
		fmt.Fprintf(w, "  PostgreSQL %s: %s\n", t.server, t.summary())
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tvalue\tbaseline\tratio\t")
	poll := fmt.Sprintf("%s (LeaderPoll)", secs(e.poll))
	for _, f := range e.takeovers() {
		fmt.Fprintf(tw, "takeover, PostgreSQL %s, leader %s (trials: %d): max\t%s\t%s\t%s\t\n",
			f.server, f.how, f.trials, secs(f.max), poll, ratio(f.max, e.poll))
		fmt.Fprintf(tw, "  median (min)\t%s (%s)\t%s\t%s\t\n", secs(f.median), secs(f.min), poll, ratio(f.median, e.poll))
		fmt.Fprintf(tw, "  of which the follower leads: max\t%s\t%s\t%s\t\n", secs(f.ledMax), poll, ratio(f.ledMax, e.poll))
		fmt.Fprintf(tw, "  of which the follower leads: median\t%s\t%s\t%s\t\n", secs(f.led), poll, ratio(f.led, e.poll))
		fmt.Fprintf(tw, "  appends acknowledged (all found again) / failed\t%d / %d\t\t\t\n", f.acked, f.failed)
	}
	tw.Flush()
	fmt.Fprintf(w, `
The time is from the leader's death to the first append started after it that the follower
acknowledges; "the follower leads" is when its Leading turns true (polled every ms).
"closed": the leader becomes unreachable to the forwarder and its Log is closed (it releases
the writer lock itself). "session ended": it becomes unreachable, its lock's database
session is ended by the server (pg_terminate_backend, as when the process is gone), then its
loops are stopped. The follower stands for leader once per LeaderPoll (the baseline: the
wait is up to one poll), raises the writer epoch and reads what the last leader stored; its
queued appends, which retry every LeaderPoll/4 from the death on, are written by it at their
next retry (so the time comes in steps of LeaderPoll/4, and can reach 1.25 LeaderPoll).
After each trial the new leader signs a checkpoint, and a fresh reader opens the shared log
as a node does at start (every entry's sequence and chain, the tree against the signed
checkpoint): one chain, and every acknowledged append at its sequence, once. Appends that
failed returned an error (not acknowledged, as the service answers 503); they may or
may not be stored.
`)
}

// rateCells are a row's rates, each after the first with its ratio to the
// first (the baseline), and failures counted.
func rateCells(rates []rate) []string {
	var cells []string
	for i, rt := range rates {
		c := fmt.Sprintf("%.0f/s", rt.perSec())
		if rt.errs > 0 {
			c += fmt.Sprintf(" (%d failed)", rt.errs)
		}
		cells = append(cells, c)
		if i > 0 {
			if base := rates[0].perSec(); base > 0 {
				cells = append(cells, fmt.Sprintf("%.2fx", rt.perSec()/base))
			} else {
				cells = append(cells, "-")
			}
		}
	}
	return cells
}

func (r *objectResults) print(w io.Writer, o options) {
	fmt.Fprintf(w, "\n5. Segments in the shared object store against this node's disk (baseline): the phase took %s\n", secs(r.took))
	fmt.Fprintf(w, "s3store on SeaweedFS %s (s3test: weed server on loopback, started in %s, data on %s); local copies on %s\n",
		r.weed, secs(r.startWeed), r.weedDisk, r.disk)
	fmt.Fprintf(w, "segments of random bytes: %d x %d MiB and %d x %d MB; MB = 10^6 bytes; ratio: S3 time / local time (over 1: the store is slower)\n\n",
		len(r.small), o.objectMiB, len(r.large), o.objectLargeMB)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tS3 (object store)\tlocal disk (baseline)\tratio\t")
	perSeg := func(t transfer, d time.Duration) string {
		return fmt.Sprintf("%.1f seg/s, %s", float64(t.files)/d.Seconds(), mbps(t.bytes, d))
	}
	whose := "this process + weed"
	if !r.weedCPU {
		whose = "this process; weed's not found"
	}
	cpu := func(t transfer) {
		gb := float64(t.bytes) / 1e9
		cell := func(c cpuTime) string {
			return fmt.Sprintf("%.1f + %.1f s", c.self.Seconds()/gb, c.weed.Seconds()/gb)
		}
		fmt.Fprintf(tw, "  CPU per GB moved (%s)\t%s\t%s\t%s\t\n", whose,
			cell(t.s3CPU), cell(t.localCPU), ratio(t.s3CPU.total(), t.localCPU.total()))
	}
	for _, t := range r.uploads {
		fmt.Fprintf(tw, "upload %d x %d MiB, %s: Store.Put / copy + fsync\t%s\t%s\t%s\t\n",
			t.files, o.objectMiB, workers(t.workers), perSeg(t, t.s3), perSeg(t, t.local), ratio(t.s3, t.local))
		cpu(t)
	}
	if t := r.largeUp; t != nil {
		n := time.Duration(t.files)
		fmt.Fprintf(tw, "upload %d x %d MB, 1 worker: per segment\t%s (%s)\t%s (%s)\t%s\t\n",
			t.files, o.objectLargeMB, secs(t.s3/n), mbps(t.bytes, t.s3), secs(t.local/n), mbps(t.bytes, t.local), ratio(t.s3, t.local))
		cpu(*t)
	}
	if t := r.pass; t != nil {
		fmt.Fprintf(tw, "Uploader.Pass %d x %d MiB indexed, %s / copy + fsync\t%s\t%s\t%s\t\n",
			t.files, o.objectMiB, workers(t.workers), perSeg(*t, t.s3), perSeg(*t, t.local), ratio(t.s3, t.local))
		cpu(*t)
	}
	f := r.whole
	fmt.Fprintf(tw, "read %d whole %d MiB segments: Open + io.Copy\t%s\t%s\t%s\t\n",
		f.reads, o.objectMiB, mbps(f.bytes, f.s3), mbps(f.bytes, f.local), ratio(f.s3, f.local))
	if f := r.wholeBig; f != nil {
		fmt.Fprintf(tw, "read %d whole %d MB segments: Open + io.Copy\t%s\t%s\t%s\t\n",
			f.reads, o.objectLargeMB, mbps(f.bytes, f.s3), mbps(f.bytes, f.local), ratio(f.s3, f.local))
	}
	f = r.random
	fmt.Fprintf(tw, "%d reads of 64 KiB at random in %s segments: rate\t%.0f/s (%s)\t%.0f/s (%s)\t%s\t\n",
		f.reads, r.randomIn, float64(f.reads)/f.s3.Seconds(), mbps(f.bytes, f.s3),
		float64(f.reads)/f.local.Seconds(), mbps(f.bytes, f.local), ratio(f.s3, f.local))
	fmt.Fprintf(tw, "  per read: median (max)\t%s (%s)\t%s (%s)\t%s\t\n", ms(median(f.s3Each)), ms(slices.Max(f.s3Each)),
		ms(median(f.localEach)), ms(slices.Max(f.localEach)), ratio(median(f.s3Each), median(f.localEach)))
	f = r.first
	fmt.Fprintf(tw, "time to first byte: open + first 1 MiB block (%d segments): median (max)\t%s (%s)\t%s (%s)\t%s\t\n",
		f.reads, ms(median(f.s3Each)), ms(slices.Max(f.s3Each)), ms(median(f.localEach)), ms(slices.Max(f.localEach)),
		ratio(median(f.s3Each), median(f.localEach)))
	tw.Flush()

	// What the figures mean for a camera's main stream (4 Mbit/s: 150 MB
	// a 5 min segment).
	fmt.Fprintln(w)
	if len(r.uploads) > 0 {
		t := r.uploads[0]
		per := time.Duration(float64(t.s3) / float64(t.bytes) * mainSegmentBytes)
		fmt.Fprintf(w, "At the %d-worker rate of the %d MiB segments, a 150 MB segment (5 min of a 4 Mbit/s main stream) takes %s to upload", t.workers, o.objectMiB, secs(per))
		if r.largeUp != nil && o.objectLargeMB == 150 {
			fmt.Fprintf(w, " (measured above: %s)", secs(r.largeUp.s3/time.Duration(r.largeUp.files)))
		}
		fmt.Fprintln(w, ".")
		best := slices.MaxFunc(r.uploads, func(a, b transfer) int {
			return cmp.Compare(float64(a.bytes)/a.s3.Seconds(), float64(b.bytes)/b.s3.Seconds())
		})
		rate := float64(best.bytes) / best.s3.Seconds()
		fmt.Fprintf(w, "From %s the uploads keep up with %.0f main streams of 4 Mbit/s (%s), if the node did nothing else.\n",
			workers(best.workers), rate/mainStreamRate, mbps(best.bytes, best.s3))
	}
	fmt.Fprint(w, `
Store.Put reads the file twice before sending it (its SHA-256 checked against the sealed
hash, its MD5 for Content-MD5), then the bytes go through SeaweedFS's S3 gateway, filer and
volume server over loopback HTTP, all on this machine's cores with the benchmark. The
baseline copies the same file through a 1 MiB buffer and fsyncs it (what a node does to
keep it on its own disk). SeaweedFS's volume server does not fsync a write by default
(fs.configure -fsync sets it per path): the S3 figures do not wait for the disk, the
baseline does. s3test's server keeps 64 MB volumes and makes more as they fill, within the
timed uploads (two segments go first, untimed). Uploads run in 4 parts taking the two sides
in turn; between steps every dirty page is written out (sync, not timed). CPU is this
process's (user and system, every thread, the kernel's copying and fsync in its calls too)
+ the weed server's, from /proc, the ratio on their sum; other processes on this machine
are not counted; a node whose object store is elsewhere pays only the first. Uploader.Pass
is the service's path: each segment checked and uploaded, its object recorded in the SQLite
index, the file removed. Reads are of the segments just uploaded and their source files,
warm in the page cache on both sides, so they compare the S3 path with reading memory, not
disks: the object store is read in ranged GETs of a 1 MiB block, the last 8 kept per open
segment; a random 64 KiB read mostly lands outside them and costs a 1 MiB request (two
across a block boundary).
`)
}

func workers(n int) string {
	if n == 1 {
		return "1 worker"
	}
	return fmt.Sprintf("%d workers", n)
}
