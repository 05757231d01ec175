package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/custody"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/store/pgtest"
)

// The evidence phase: the evidence log's appends, single-node (a
// directory, the baseline) against shared (PostgreSQL, on its leader and
// through a follower), and the shared log's takeover when its leader dies.

const (
	logOrigin = "vigil.clusterbench/evidence"
	// logAppenders are the follower's goroutines appending through a
	// takeover.
	logAppenders = 4
	// writerLockKey is the shared log's writer lock (locker's
	// writerLockKey, "VigilEVW"): the session holding it is the leader's.
	writerLockKey = 0x566967696c455657
)

// How the leader dies in a takeover trial.
const (
	killClosed     = "closed"        // its Log closed: the lock released by the node itself
	killTerminated = "session ended" // its lock's session ended by the server, then its Log closed
)

// logKind is a kind of entry the service appends; n is unique per append
// on a log.
type logKind struct {
	name, what string
	entry      func(n int64) *evidence.Entry
}

func logKinds() []logKind {
	stream := uuid.MustParse("3d0c2b7a-5e1f-4a8b-9c6d-7e8f9a0b1c2d")
	salt := []byte("clusterbench operator salt")
	return []logKind{
		{string(evidence.ActionSegmentSealed), fmt.Sprintf("the recorder: a 60 s segment sealed, with its SHA-256 (custody.SealedEntry), %d cameras", recCameras),
			func(n int64) *evidence.Entry {
				cam := fmt.Sprintf("rec%03d", n%recCameras)
				start := recBase.Add(time.Duration(n/recCameras) * time.Minute)
				return custody.SealedEntry(store.Segment{Camera: cam, Start: start, End: start.Add(time.Minute),
					Path: fmt.Sprintf("%s/%s.mp4", cam, start.Format("2006-01-02/15-04-05")), Bytes: 30 << 20,
					SHA256: sha256.Sum256(binary.LittleEndian.AppendUint64(nil, uint64(n))), StreamID: stream, Sequence: uint64(n / recCameras), Frames: 1500})
			}},
		{string(evidence.ActionPlayback), "an operator plays back 10 min of a camera: pseudonym, role, reason, reference (as ui/playback.go)",
			func(n int64) *evidence.Entry { return playbackEntry(salt, n, fmt.Sprintf("CAD %d", n)) }},
	}
}

func playbackEntry(salt []byte, n int64, ref string) *evidence.Entry {
	from := playBase.Add(time.Duration(n%600) * time.Minute)
	return &evidence.Entry{Action: evidence.ActionPlayback, Actor: evidence.Pseudonym(salt, fmt.Sprintf("operator%02d", n%12)),
		Role: "operator", Camera: fmt.Sprintf("cam%03d", n%recCameras+1), From: from, To: from.Add(lookupMinutes * time.Minute),
		Reason: "incident: assault reported outside the station, suspect seen leaving northbound", Ref: ref,
		Detail: "format mp4 to 10.20.0.17:51234"}
}

// logTarget is one log appended to: the single-node log, or a shared
// log's leader or follower.
type logTarget struct {
	name string
	log  *locker.Log
	n    atomic.Int64
}

// logFigures are one kind of entry at one concurrency, per target.
type logFigures struct {
	kind    logKind
	writers int
	rates   []rate // as the targets
}

// logTrial is one takeover of the shared log.
type logTrial struct {
	server   string        // "fsync off", "fsync on"
	how      string        // killClosed, killTerminated
	took     time.Duration // the death -> the first append started after it acknowledged
	led      time.Duration // the death -> the follower leads (Leading, polled every ms)
	acked    int           // appends acknowledged by the follower during the trial
	failed   int           // appends that returned an error (not acknowledged)
	firstErr error
	entries  int64 // the shared log's size, as reopened
}

// evidenceResults are the phase's figures.
type evidenceResults struct {
	targets []string
	appends []logFigures
	poll    time.Duration
	trials  []logTrial
}

// serverUnderTest is a PostgreSQL server of the run, by its fsync.
type serverUnderTest struct {
	name string // "fsync off", "fsync on"
	pg   *pgtest.Server
}

// evidenceBench measures the appends on a log in dir (the baseline) and
// on a shared log on each server, then the shared log's takeovers.
func evidenceBench(ctx context.Context, o options, servers []serverUnderTest, dir string, p *progress) (*evidenceResults, error) {
	r := &evidenceResults{poll: logPoll}
	keys := filepath.Join(dir, "evidence-keys")
	if _, err := locker.GenerateKey(keys, logOrigin); err != nil {
		return nil, err
	}
	single := &locker.Log{Dir: filepath.Join(dir, "evidence-single"), KeyDir: keys, Origin: logOrigin,
		CheckpointInterval: -1, Logger: quietLogger()}
	if err := single.Open(); err != nil {
		return nil, err
	}
	defer single.Close()
	targets := []*logTarget{{name: "directory", log: single}}
	for _, s := range servers {
		db := "evlog_appends"
		if err := s.pg.CreateDB(db); err != nil {
			return nil, err
		}
		c := newLogCluster(s.pg.DSN(db), keys, filepath.Join(dir, "evidence-"+strings.ReplaceAll(s.name, " ", "-")))
		defer c.close()
		leader, err := c.open("vigil-0")
		if err != nil {
			return nil, err
		}
		follower, err := c.open("vigil-1")
		if err != nil {
			return nil, err
		}
		if !leader.Leading() || follower.Leading() {
			return nil, fmt.Errorf("%s: the first node to open does not lead", s.name)
		}
		targets = append(targets, &logTarget{name: "leader, " + s.name, log: leader},
			&logTarget{name: "follower, " + s.name, log: follower})
	}
	for _, t := range targets {
		r.targets = append(r.targets, t.name)
	}
	for _, k := range logKinds() {
		for _, w := range o.writers {
			f := logFigures{kind: k, writers: w, rates: make([]rate, len(targets))}
			for _, t := range targets {
				measureFunc(w, max(o.window/10, 20*time.Millisecond), appendOf(ctx, t, k)) // warm-up
			}
			for range opRounds {
				for i, t := range targets {
					f.rates[i].add(measureFunc(w, o.window/opRounds, appendOf(ctx, t, k)))
				}
			}
			for i, rt := range f.rates {
				if rt.err != nil {
					p.logf("%s %s, %d writers: %d failed, first: %v", targets[i].name, k.name, w, rt.errs, rt.err)
				}
			}
			p.logf("%-16s %2d writers: %s", k.name, w, opFigures{rates: f.rates}.line())
			r.appends = append(r.appends, f)
		}
	}

	rng := rand.New(rand.NewPCG(o.seed, 10))
	for si, s := range servers {
		for hi, how := range []string{killClosed, killTerminated} {
			for i := range o.logTrials {
				db := fmt.Sprintf("evlog_takeover_%d_%d_%d", si, hi, i)
				p.logf("evidence log takeover, PostgreSQL %s, leader %s: trial %d of %d", s.name, how, i+1, o.logTrials)
				t, err := logTakeover(ctx, s, db, keys, filepath.Join(dir, db), how, rng)
				if err != nil {
					return nil, fmt.Errorf("evidence log takeover (PostgreSQL %s, leader %s), trial %d: %w", s.name, how, i+1, err)
				}
				p.logf("  %s", t.summary())
				r.trials = append(r.trials, t)
			}
		}
	}
	return r, nil
}

// appendOf appends an entry of kind k to t.
func appendOf(ctx context.Context, t *logTarget, k logKind) func(int) error {
	return func(int) error {
		_, err := t.log.Append(ctx, k.entry(t.n.Add(1)))
		return err
	}
}

// logPoll is the shared log's LeaderPoll in the benchmark: the default
// (the service does not change it).
const logPoll = time.Second

// logTakeover runs one trial on a new database: two nodes, the first
// leads; the follower keeps appending from logAppenders goroutines while
// the leader dies at a random point of the follower's poll; then the log
// is reopened by a new reader and checked.
func logTakeover(ctx context.Context, s serverUnderTest, db, keys, dir, how string, rng *rand.Rand) (logTrial, error) {
	t := logTrial{server: s.name, how: how}
	if err := s.pg.CreateDB(db); err != nil {
		return t, err
	}
	c := newLogCluster(s.pg.DSN(db), keys, dir)
	defer c.close()
	a, err := c.open("vigil-0")
	if err != nil {
		return t, err
	}
	b, err := c.open("vigil-1")
	if err != nil {
		return t, err
	}
	if !a.Leading() || b.Leading() {
		return t, errors.New("the first node to open does not lead")
	}
	// Some history from both, signed by the leader.
	salt := []byte("takeover")
	for n := range 10 {
		for _, l := range []*locker.Log{a, b} {
			if _, err := l.Append(ctx, playbackEntry(salt, int64(n), fmt.Sprintf("before/%s/%d", l.Node, n))); err != nil {
				return t, err
			}
		}
	}
	if _, _, err := a.Checkpoint(ctx, "periodic"); err != nil {
		return t, err
	}

	var (
		dead, first atomic.Int64 // unix ns: the death; the first append started after it acknowledged
		mu          sync.Mutex
		acked       = map[uint64]string{} // seq -> ref of each acknowledged append
		wg          sync.WaitGroup
	)
	stop := make(chan struct{})
	for g := range logAppenders {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				ref := fmt.Sprintf("follower/%d/%d", g, k)
				start := time.Now()
				seq, err := b.Append(ctx, playbackEntry(salt, int64(k), ref))
				end := time.Now()
				mu.Lock()
				if err != nil {
					t.failed++
					if t.firstErr == nil {
						t.firstErr = err
					}
				} else {
					acked[seq] = ref
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if d := dead.Load(); d != 0 && start.UnixNano() >= d {
					for {
						f := first.Load()
						if (f != 0 && f <= end.UnixNano()) || first.CompareAndSwap(f, end.UnixNano()) {
							break
						}
					}
				}
			}
		})
	}
	stopped := false
	stopAppenders := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopAppenders()

	// A connection to end the leader's session from, made before.
	admin, err := c.db()
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		return t, err
	}
	// The death, at a random point of the follower's poll.
	time.Sleep(logPoll/2 + time.Duration(rng.Int64N(int64(logPoll))))
	died := time.Now()
	dead.Store(died.UnixNano())
	c.gone(a.Node)
	switch how {
	case killClosed:
		a.Close()
	case killTerminated:
		if err := endWriterSession(ctx, admin); err != nil {
			return t, err
		}
		a.Close() // its loops stop; its session is gone already
	}
	// Every millisecond: does the follower lead yet, has an append started
	// after the death been acknowledged?
	for deadline := died.Add(locker.ForwardWait + 5*time.Second); t.led == 0 || first.Load() == 0; time.Sleep(time.Millisecond) {
		if t.led == 0 && b.Leading() {
			t.led = time.Since(died)
		}
		if time.Now().After(deadline) {
			return t, fmt.Errorf("no append acknowledged %v after the leader died (the follower leads: %v)", time.Since(died), b.Leading())
		}
	}
	t.took = time.Unix(0, first.Load()).Sub(died)
	time.Sleep(logPoll / 2) // appends go on under the new leader
	stopAppenders()
	if !b.Leading() {
		return t, errors.New("the follower does not lead after the leader died")
	}
	if _, _, err := b.Checkpoint(ctx, "periodic"); err != nil {
		return t, fmt.Errorf("the new leader's checkpoint: %w", err)
	}
	t.acked = len(acked)
	var err2 error
	t.entries, err2 = c.checkOneChain(b.Size(), acked)
	return t, err2
}

// endWriterSession ends the session holding the writer lock of the
// database admin is connected to, as the server does when the leader's
// process is gone (TestSharedLogLeaderChangeNeverForks does the same).
func endWriterSession(ctx context.Context, admin *sql.DB) error {
	var ended int
	err := admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1 AND granted`,
		int64(writerLockKey>>32), int64(writerLockKey&0xffffffff)).Scan(&ended)
	if err == nil && ended != 1 {
		err = fmt.Errorf("%d sessions held the writer lock, want 1", ended)
	}
	if err != nil {
		return fmt.Errorf("ending the leader's lock session: %w", err)
	}
	return nil
}

func (t logTrial) summary() string {
	s := fmt.Sprintf("leader %s: the follower led %s after its death, its first append started after it was acknowledged at %s; %d acknowledged, %d failed",
		t.how, secs(t.led), secs(t.took), t.acked, t.failed)
	if t.firstErr != nil {
		s += fmt.Sprintf(" (first: %v)", t.firstErr)
	}
	return s + fmt.Sprintf("; reopened: one chain of %d entries, signed, none acknowledged missing", t.entries)
}

// logCluster is a shared log's nodes in this process, each with its own
// directory (hash cache) and database handle, sharing one key directory.
// They forward to each other's AppendLeading and CheckpointLeading
// directly, as evidence/locker's tests do; the service goes over signed
// HTTP between nodes, which is not counted here.
type logCluster struct {
	dsn, keys, dir string

	mu     sync.Mutex
	logs   map[string]*locker.Log // reachable nodes
	opened []*locker.Log
	dbs    []*sql.DB
}

func newLogCluster(dsn, keys, dir string) *logCluster {
	return &logCluster{dsn: dsn, keys: keys, dir: dir, logs: map[string]*locker.Log{}}
}

func (c *logCluster) db() (*sql.DB, error) {
	db, err := sql.Open("pgx", c.dsn)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.dbs = append(c.dbs, db)
	c.mu.Unlock()
	return db, nil
}

// open starts a node on the shared log.
func (c *logCluster) open(node string) (*locker.Log, error) {
	db, err := c.db()
	if err != nil {
		return nil, err
	}
	l := &locker.Log{Dir: filepath.Join(c.dir, node), KeyDir: c.keys, Origin: logOrigin, CheckpointInterval: -1,
		DB: db, Node: node, Forward: c, LeaderPoll: logPoll, Logger: quietLogger()}
	if err := l.Open(); err != nil {
		return nil, fmt.Errorf("node %s: %w", node, err)
	}
	c.mu.Lock()
	c.logs[node] = l
	c.opened = append(c.opened, l)
	c.mu.Unlock()
	return l, nil
}

func (c *logCluster) node(name string) (*locker.Log, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.logs[name]
	if l == nil {
		return nil, fmt.Errorf("%w: node %s is gone", locker.ErrNotLeader, name)
	}
	return l, nil
}

func (c *logCluster) ForwardAppend(ctx context.Context, leader string, entries []evidence.Entry) ([]evidence.Entry, error) {
	l, err := c.node(leader)
	if err != nil {
		return nil, err
	}
	return l.AppendLeading(ctx, entries)
}

func (c *logCluster) ForwardCheckpoint(ctx context.Context, leader, ref string) ([]byte, error) {
	l, err := c.node(leader)
	if err != nil {
		return nil, err
	}
	return l.CheckpointLeading(ctx, ref)
}

// gone takes a node out of reach, as a crashed process is.
func (c *logCluster) gone(name string) {
	c.mu.Lock()
	delete(c.logs, name)
	c.mu.Unlock()
}

func (c *logCluster) close() {
	for _, l := range c.opened {
		l.Close()
	}
	for _, db := range c.dbs {
		db.Close()
	}
}

// checkOneChain reopens the shared log as a new node does at start (Open
// checks every entry's sequence and chain, and the tree against the last
// signed checkpoint), wants size entries, and finds every acknowledged
// append at its sequence, once. It returns the size read.
func (c *logCluster) checkOneChain(size int64, acked map[uint64]string) (int64, error) {
	db, err := c.db()
	if err != nil {
		return 0, err
	}
	r := &locker.Log{Dir: filepath.Join(c.dir, "reader"), KeyDir: c.keys, Origin: logOrigin, CheckpointInterval: -1,
		DB: db, Node: "reader", LeaderPoll: time.Hour, Logger: quietLogger()}
	if err := r.Open(); err != nil {
		return 0, fmt.Errorf("the shared log does not reopen: %w", err)
	}
	defer r.Close()
	if r.Size() != size {
		return r.Size(), fmt.Errorf("the shared log reopens with %d entries, the leader has %d", r.Size(), size)
	}
	if ck, _ := r.LastCheckpoint(); ck.Size == 0 {
		return r.Size(), errors.New("the shared log reopens with no signed checkpoint")
	}
	refs := map[string]int{}
	var wrong error
	err = r.Scan(0, r.Size(), func(e evidence.Entry, _ []byte) bool {
		refs[e.Ref]++
		if ref, ok := acked[e.Seq]; ok && ref != e.Ref {
			wrong = fmt.Errorf("entry %d is %q, but %q was acknowledged there", e.Seq, e.Ref, ref)
			return false
		}
		return true
	})
	if err = errors.Join(err, wrong); err != nil {
		return r.Size(), err
	}
	for seq, ref := range acked {
		if int64(seq) >= r.Size() {
			return r.Size(), fmt.Errorf("acknowledged append %q (entry %d) is missing: the log has %d entries", ref, seq, r.Size())
		}
		if refs[ref] != 1 {
			return r.Size(), fmt.Errorf("acknowledged append %q is in the log %d times", ref, refs[ref])
		}
	}
	return r.Size(), nil
}

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// logTakeoverFigures are one server's and kill's trials together.
type logTakeoverFigures struct {
	server, how    string
	trials         int
	max, median    time.Duration // of took
	min            time.Duration
	ledMax, led    time.Duration // max and median of led
	acked, failed  int
	entriesChecked int64
}

func (r *evidenceResults) takeovers() []logTakeoverFigures {
	var out []logTakeoverFigures
	for _, t := range r.trials {
		i := slices.IndexFunc(out, func(f logTakeoverFigures) bool { return f.server == t.server && f.how == t.how })
		if i < 0 {
			out = append(out, logTakeoverFigures{server: t.server, how: t.how, min: t.took})
			i = len(out) - 1
		}
		f := &out[i]
		f.trials++
		f.max, f.min = max(f.max, t.took), min(f.min, t.took)
		f.acked, f.failed, f.entriesChecked = f.acked+t.acked, f.failed+t.failed, f.entriesChecked+t.entries
	}
	for i := range out {
		var took, led []time.Duration
		for _, t := range r.trials {
			if t.server == out[i].server && t.how == out[i].how {
				took, led = append(took, t.took), append(led, t.led)
				out[i].ledMax = max(out[i].ledMax, t.led)
			}
		}
		out[i].median, out[i].led = median(took), median(led)
	}
	return out
}
