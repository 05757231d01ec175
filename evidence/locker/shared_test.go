package locker

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store/pgtest"
	"golang.org/x/mod/sumdb/tlog"
)

// cluster is a shared log's nodes in one test process: each node's Log
// has its own directory (keys, hash cache) and database handle, and
// forwards to the others' AppendLeading and CheckpointLeading directly,
// where the service goes over signed HTTP.
type cluster struct {
	t    *testing.T
	dsn  string
	keys string // the cluster's key directory, installed on every node
	mu   sync.Mutex
	logs map[string]*Log
}

func newCluster(t *testing.T) *cluster {
	pg := pgtest.Start(t)
	pg.Create(t, "evidence")
	c := &cluster{t: t, dsn: pg.DSN("evidence"), keys: filepath.Join(t.TempDir(), "keys"), logs: map[string]*Log{}}
	if _, err := GenerateKey(c.keys, testOrigin); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *cluster) db() *sql.DB {
	db, err := sql.Open("pgx", c.dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { db.Close() })
	return db
}

// install copies the cluster's key into a node's log directory.
func (c *cluster) install(dir string) {
	for _, name := range []string{privateKeyFile, publicKeyFile} {
		b, err := os.ReadFile(filepath.Join(c.keys, name))
		if err == nil {
			err = os.MkdirAll(KeyDir(dir), 0o700)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(KeyDir(dir), name), b, 0o600)
		}
		if err != nil {
			c.t.Fatal(err)
		}
	}
}

// open starts node on the shared log; poll is its LeaderPoll.
func (c *cluster) open(node string, poll time.Duration) *Log {
	dir := c.t.TempDir()
	c.install(dir)
	l := &Log{Dir: dir, Origin: testOrigin, CheckpointInterval: -1, DB: c.db(), Node: node, Forward: c, LeaderPoll: poll}
	if err := l.Open(); err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.logs[node] = l
	c.mu.Unlock()
	c.t.Cleanup(func() { l.Close() })
	return l
}

func (c *cluster) node(name string) (*Log, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.logs[name]
	if l == nil {
		return nil, fmt.Errorf("%w: node %s is gone", ErrNotLeader, name)
	}
	return l, nil
}

func (c *cluster) ForwardAppend(ctx context.Context, leader string, entries []evidence.Entry) ([]evidence.Entry, error) {
	l, err := c.node(leader)
	if err != nil {
		return nil, err
	}
	return l.AppendLeading(ctx, entries)
}

func (c *cluster) ForwardCheckpoint(ctx context.Context, leader, ref string) ([]byte, error) {
	l, err := c.node(leader)
	if err != nil {
		return nil, err
	}
	return l.CheckpointLeading(ctx, ref)
}

// gone takes a node out of reach, as a crashed process is.
func (c *cluster) gone(name string) {
	c.mu.Lock()
	delete(c.logs, name)
	c.mu.Unlock()
}

func entry(ref string) *evidence.Entry {
	return &evidence.Entry{Action: evidence.ActionPlayback, Actor: evidence.ActorAnonymous, Camera: "cam001",
		From: time.Unix(1000, 0), To: time.Unix(1060, 0), Reason: "incident", Ref: ref}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// checkOneChain re-reads the whole shared log as a new node would at
// start: every entry in sequence, each chained to the one before, and the
// tree matching the last signed checkpoint.
func checkOneChain(t *testing.T, c *cluster, want int64) {
	t.Helper()
	dir := t.TempDir()
	c.install(dir)
	l := &Log{Dir: dir, Origin: testOrigin, CheckpointInterval: -1, DB: c.db(), Node: "reader", LeaderPoll: time.Hour}
	if err := l.Open(); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Size() != want {
		t.Fatalf("the shared log has %d entries, want %d", l.Size(), want)
	}
}

func TestSharedLogHasOneWriterAndFollowersAppendThroughIt(t *testing.T) {
	c := newCluster(t)
	a := c.open("a", 50*time.Millisecond)
	b := c.open("b", 50*time.Millisecond)
	if !a.Leading() || b.Leading() {
		t.Fatalf("leading: a %v, b %v; want the first node to open to lead", a.Leading(), b.Leading())
	}
	var wg sync.WaitGroup
	seqs := make(chan uint64, 200)
	for i := 0; i < 100; i++ {
		for _, l := range []*Log{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := entry(fmt.Sprint(l.Node, "/", i))
				seq, err := l.Append(context.Background(), e)
				if err != nil {
					t.Error(err)
					return
				}
				if e.Seq != seq {
					t.Errorf("entry came back with seq %d, Append said %d", e.Seq, seq)
				}
				seqs <- seq
			}()
		}
	}
	wg.Wait()
	close(seqs)
	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("two appends got seq %d", s)
		}
		seen[s] = true
	}
	if len(seen) != 200 {
		t.Fatalf("%d appends succeeded, want 200", len(seen))
	}

	// A follower's checkpoint is signed by the leader; the follower proves
	// inclusion against it from what it read.
	ck, note, err := b.Checkpoint(context.Background(), "export/x1")
	if err != nil {
		t.Fatal(err)
	}
	if ck.Size < 200 {
		t.Fatalf("checkpoint of size %d, want at least 200", ck.Size)
	}
	if got, _ := a.LastCheckpoint(); got != ck {
		t.Fatalf("the leader's last checkpoint is %+v, the follower was given %+v", got, ck)
	}
	_, raw, err := b.ReadEntry(123)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.InclusionProof(123, ck.Size)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(p, ck.Size, ck.Root, 123, evidence.LeafHash(raw)); err != nil {
		t.Fatalf("inclusion proof from the follower does not verify against the leader's checkpoint: %v", err)
	}
	if len(note) == 0 {
		t.Fatal("no signed note")
	}
	waitFor(t, "the follower to read the checkpoint entry", func() bool { return b.Size() == a.Size() })
	checkOneChain(t, c, a.Size())
}

func TestSharedLogLeaderChangeNeverForks(t *testing.T) {
	c := newCluster(t)
	// a never checks its lock by itself: it learns of the new leader only
	// when its own write is fenced out.
	a := c.open("a", time.Hour)
	b := c.open("b", 50*time.Millisecond)
	for i := 0; i < 5; i++ {
		if _, err := a.Append(context.Background(), entry(fmt.Sprint("a/", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := a.Checkpoint(context.Background(), "periodic"); err != nil {
		t.Fatal(err)
	}

	// Cut a off: its lock's session ends (as on a network cut), b takes
	// over and writes.
	admin := c.db()
	var cut int
	if err := admin.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1 AND granted`,
		int64(writerLockKey>>32), int64(writerLockKey&0xffffffff)).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("ending the writer's session: %d ended, %v", cut, err)
	}
	waitFor(t, "b to take over", b.Leading)
	for i := 0; i < 5; i++ {
		if _, err := b.Append(context.Background(), entry(fmt.Sprint("b/", i))); err != nil {
			t.Fatal(err)
		}
	}
	// a still thinks it writes; its write is fenced, nothing is stored.
	if !a.Leading() {
		t.Fatal("a noticed by itself; the test needs it not to")
	}
	_, err := a.Append(context.Background(), entry("a/late"))
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("a deposed writer's append: %v, want ErrFenced", err)
	}
	if a.Leading() {
		t.Fatal("a fenced writer still leads")
	}
	// Its next append goes through b, after what b wrote.
	e := entry("a/after")
	seq, err := a.Append(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if seq != 11 { // after 5 + the checkpoint entry + 5
		t.Fatalf("a's append through b got seq %d, want 11", seq)
	}
	if _, _, err := b.Checkpoint(context.Background(), "periodic"); err != nil {
		t.Fatal(err)
	}
	checkOneChain(t, c, 13)
}

func TestSharedLogSurvivesItsWriterDying(t *testing.T) {
	c := newCluster(t)
	a := c.open("a", 50*time.Millisecond)
	b := c.open("b", 50*time.Millisecond)
	if _, err := b.Append(context.Background(), entry("b/0")); err != nil {
		t.Fatal(err)
	}
	// a dies: unreachable, and its session (with the lock) ends.
	c.gone("a")
	a.Close()
	done := make(chan error, 1)
	go func() {
		_, err := b.Append(context.Background(), entry("b/1"))
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(ForwardWait + 5*time.Second):
		t.Fatal("an append waited past ForwardWait")
	}
	if !b.Leading() {
		t.Fatal("b did not take over")
	}
	checkOneChain(t, c, 2)
}

func TestSharedLogRefusesANodeWithAnotherKey(t *testing.T) {
	c := newCluster(t)
	c.open("a", time.Hour)
	dir := t.TempDir()
	if _, err := GenerateKey(KeyDir(dir), testOrigin); err != nil {
		t.Fatal(err)
	}
	l := &Log{Dir: dir, Origin: testOrigin, CheckpointInterval: -1, DB: c.db(), Node: "b"}
	err := l.Open()
	if err == nil {
		l.Close()
		t.Fatal("a node with its own key joined the shared log")
	}
	t.Log(err)
	// And one with no key is told which key to install.
	l = &Log{Dir: t.TempDir(), Origin: testOrigin, CheckpointInterval: -1, DB: c.db(), Node: "c", CreateKey: true}
	if err := l.Open(); !errors.Is(err, ErrNoKey) {
		l.Close()
		t.Fatalf("a node without the key: %v, want ErrNoKey", err)
	}
}

// losing is the cluster's forwarding with answers lost after the leader
// wrote: the first lose answers are lost (as a timeout or a cut
// connection loses them), and then, if kill, the leader dies too.
type losing struct {
	*cluster
	lose atomic.Int32
	kill bool
}

func (f *losing) ForwardAppend(ctx context.Context, leader string, entries []evidence.Entry) ([]evidence.Entry, error) {
	out, err := f.cluster.ForwardAppend(ctx, leader, entries)
	if err != nil || f.lose.Add(-1) < 0 {
		return out, err
	}
	if f.kill {
		l, _ := f.node(leader)
		f.gone(leader)
		l.Close()
	}
	return nil, fmt.Errorf("%w: node %s: the answer was lost", ErrNotLeader, leader)
}

// countRef counts the log's entries with ref.
func countRef(t *testing.T, l *Log, ref string) int {
	t.Helper()
	n := 0
	if err := l.Scan(0, l.Size(), func(e evidence.Entry, _ []byte) bool {
		if e.Ref == ref {
			n++
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// A follower whose answer was lost sends its batch again: the leader, or
// the node that leads after it died, answers with the entries written,
// and the log holds them once.
func TestSharedLogWritesABatchSentAgainOnce(t *testing.T) {
	c := newCluster(t)
	a := c.open("a", 50*time.Millisecond)
	f := &losing{cluster: c}
	f.lose.Store(1)
	dir := t.TempDir()
	c.install(dir)
	b := &Log{Dir: dir, Origin: testOrigin, CheckpointInterval: -1, DB: c.db(), Node: "b", Forward: f, LeaderPoll: 50 * time.Millisecond}
	if err := b.Open(); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !a.Leading() || b.Leading() {
		t.Fatal("a should lead")
	}
	e := entry("sent-again")
	seq, err := b.Append(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b to read what a wrote", func() bool { return b.Size() == a.Size() })
	if n := countRef(t, a, "sent-again"); n != 1 || e.Seq != seq {
		t.Fatalf("%d entries of the batch sent again (seq %d, entry %d), want 1", n, seq, e.Seq)
	}

	// Now the leader dies after writing, before answering: b leads next,
	// and finds its own batch already written.
	f.lose.Store(1)
	f.kill = true
	e = entry("leader-died")
	if _, err := b.Append(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if !b.Leading() {
		t.Fatal("b does not lead after a died")
	}
	if n := countRef(t, b, "leader-died"); n != 1 {
		t.Fatalf("%d entries of the batch the dead leader wrote, want 1", n)
	}
	checkOneChain(t, c, b.Size())
}
