package locker

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigil-cctv/vigil/evidence"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Log is the append-only evidence log. On one node it is kept in a
// directory that one process at a time has open (a lock file); in a
// cluster it is kept in PostgreSQL (DB), written by one leader node and
// appended to by the others through it (leader.go). Appends are
// group-committed: entries arriving together share one write and one
// sync, and Append returns only once its entry is durable.
type Log struct {
	// Dir holds the log (DATA/evidence), or with DB only a cache.
	Dir string
	// KeyDir holds the signing key (default Dir/keys). The nodes of a
	// cluster share one key: each reads it from its copy of one secret.
	KeyDir string
	// Origin names the log in checkpoints, e.g.
	// vigil.example-council.gov.uk/evidence.
	Origin string
	// CheckpointInterval is how often a checkpoint is signed when the log
	// grew (default 5 s; negative: only when asked).
	CheckpointInterval time.Duration
	// CreateKey makes a signing key on first start if there is none.
	CreateKey bool
	Logger    *slog.Logger
	Metrics   *Metrics // may be nil
	// Now is the clock (tests set it).
	Now func() time.Time

	// DB, when set, keeps the log in this PostgreSQL database, shared by
	// the nodes of a cluster; Node is this node's id and Forward carries
	// its appends to the leader (leader.go).
	DB      *sql.DB
	Node    string
	Forward Forwarder
	// LeaderPoll is how often a node stands for leader, and a follower
	// reads what the leader wrote (default 1 s).
	LeaderPoll time.Duration

	st      storage
	shared  *sharedStorage // st, when the log is shared
	leading atomic.Bool
	// written is a shared log's recent entries, for batches sent again.
	written written
	syncMu  sync.Mutex   // serialises catching up with shared storage
	closeMu sync.RWMutex // Close against queueing
	hashes  *hashFile
	reqs    chan *appendReq

	// signMu serialises signing and key rotation.
	signMu  sync.Mutex
	signers []note.Signer

	mu            sync.RWMutex
	size          int64
	last          tlog.Hash
	signed        evidence.Checkpoint
	signedNote    []byte
	lastCkptEntry int64   // seq of the newest log.checkpoint entry, -1 if none
	exportSizes   []int64 // tree sizes signed for exports
	failed        error   // a write or sync failed: no more appends

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type appendReq struct {
	e    evidence.Entry
	seq  uint64
	err  error
	done chan struct{}
	// leaderOnly: forwarded by a follower, so never forwarded again.
	leaderOnly bool
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("evidence log is closed")

const (
	logFile        = "log"
	hashesFile     = "hashes"
	checkpointFile = "checkpoint"
	lockFile       = "lock"
	maxBatch       = 512
)

// Open opens (creating if needed) the log: it re-reads every entry,
// recomputes the tree and checks it against the last signed checkpoint,
// then starts the writer and the checkpoint loop (and, for a shared log,
// stands for leader).
func (l *Log) Open() (err error) {
	if l.Logger == nil {
		l.Logger = slog.New(slog.DiscardHandler)
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.CheckpointInterval == 0 {
		l.CheckpointInterval = 5 * time.Second
	}
	if l.LeaderPoll <= 0 {
		l.LeaderPoll = time.Second
	}
	if err := checkOrigin(l.Origin); err != nil {
		return err
	}
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return fmt.Errorf("evidence log: %w", err)
	}
	defer func() {
		if err != nil {
			l.closeFiles()
		}
	}()
	if l.DB != nil {
		var sh *sharedStorage
		if sh, err = openSharedStorage(l.DB, l.Node); err != nil {
			return err
		}
		l.st, l.shared = sh, sh
		if err = l.loadSharedSigner(); err != nil {
			return err
		}
		// Every process on a node reads the shared log: its hash cache
		// is its own, unnamed file.
		l.hashes, err = createTempHashFile(l.Dir)
	} else {
		var fs *fileStorage
		if fs, err = openFileStorage(l.Dir, l.Logger); err != nil {
			return err
		}
		l.st = fs
		if err = l.loadSigner(l.CreateKey); err != nil {
			return err
		}
		l.hashes, err = createHashFile(filepath.Join(l.Dir, hashesFile))
	}
	if err != nil {
		return fmt.Errorf("evidence log: %w", err)
	}
	l.lastCkptEntry = -1
	// The checkpoint first: a shared log may grow while it is read, and
	// must not look shorter than what was signed.
	ckpt, err := l.st.loadCheckpoint()
	if err != nil {
		return fmt.Errorf("evidence checkpoint: %w", err)
	}
	if err = l.st.load(0, l.admit); err != nil {
		return fmt.Errorf("evidence log %s is damaged at entry %d: %w", l.st.where(), l.size, err)
	}
	if err = l.hashes.flush(); err != nil {
		return err
	}
	if err = l.checkSigned(ckpt); err != nil {
		return err
	}
	l.reqs = make(chan *appendReq, maxBatch)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(1)
	go l.writer()
	if l.shared != nil {
		l.standForLeader()
		l.wg.Add(1)
		go l.leaderLoop()
	}
	if l.CheckpointInterval > 0 {
		l.wg.Add(1)
		go l.checkpointLoop()
	}
	if l.Metrics != nil {
		l.Metrics.Entries.Set(float64(l.size))
		if l.shared == nil {
			l.Metrics.Leader.Set(1)
		}
	}
	return nil
}

// loadSharedSigner loads this node's key and checks it is the cluster's:
// the first node records its public key in the database, and every node
// must hold that key (installed from one secret), or its signatures would
// not verify against what the police were given.
func (l *Log) loadSharedSigner() error {
	recorded, err := l.shared.recordedKey()
	if err != nil {
		return fmt.Errorf("evidence log: %w", err)
	}
	dir := l.keyDir()
	if err := l.loadSigner(l.CreateKey && recorded == ""); err != nil {
		if errors.Is(err, ErrNoKey) && recorded != "" {
			return fmt.Errorf("%w: install the cluster's evidence key (public key %s) in %s", err, recorded, dir)
		}
		return err
	}
	pub, err := PublicKey(dir)
	if err != nil {
		return fmt.Errorf("evidence key: %w", err)
	}
	if recorded, err = l.shared.recordKey(l.Origin, pub); err != nil {
		return fmt.Errorf("evidence log: %w", err)
	}
	if recorded != pub {
		return fmt.Errorf("evidence key in %s (%s) is not the key this cluster's log is signed with (%s): install the cluster's key on every node", dir, pub, recorded)
	}
	return nil
}

func (l *Log) keyDir() string {
	if l.KeyDir != "" {
		return l.KeyDir
	}
	return KeyDir(l.Dir)
}

// loadSigner loads the signing key, creating it if asked and none exists.
func (l *Log) loadSigner(create bool) error {
	dir := l.keyDir()
	s, err := LoadSigner(dir)
	if errors.Is(err, ErrNoKey) && create {
		var pub string
		if pub, err = GenerateKey(dir, l.Origin); err != nil {
			return err
		}
		l.Logger.Warn("created the evidence signing key: publish its public key to the police and keep a copy offline",
			"public_key", pub, "file", filepath.Join(dir, publicKeyFile))
		s, err = LoadSigner(dir)
	}
	if err != nil {
		return err
	}
	if s.Name() != l.Origin {
		return fmt.Errorf("evidence key %s is named %q but the log origin is %q", filepath.Join(dir, privateKeyFile), s.Name(), l.Origin)
	}
	l.signers = []note.Signer{s}
	return nil
}

// admit checks one stored entry's sequence and chain and adds it to the
// tree. The caller holds l.mu once the writer runs.
func (l *Log) admit(raw []byte) error {
	e, err := evidence.DecodeEntry(raw)
	if err != nil {
		return err
	}
	if e.Seq != uint64(l.size) {
		return fmt.Errorf("sequence %d where %d was expected", e.Seq, l.size)
	}
	if e.Prev != l.last {
		return fmt.Errorf("hash chain broken: prev does not match entry %d", l.size-1)
	}
	return l.add(&e, raw, evidence.LeafHash(raw))
}

// add puts a stored entry into the tree and the in-memory state: its
// stored hashes, and what a checkpoint entry says. The caller holds l.mu
// once the writer runs.
func (l *Log) add(e *evidence.Entry, raw []byte, leaf tlog.Hash) error {
	hs, err := tlog.StoredHashes(l.size, raw, l.hashes)
	if err == nil {
		err = l.hashes.append(hs)
	}
	if err != nil {
		return err
	}
	if l.shared != nil {
		l.written.remember(*e, l.Now())
	}
	if e.Action == evidence.ActionCheckpoint {
		l.lastCkptEntry = int64(e.Seq)
		if size, ok := parseCheckpointDetail(e.Detail); ok && strings.HasPrefix(e.Ref, "export/") {
			l.exportSizes = append(l.exportSizes, size)
		}
	}
	l.last = leaf
	l.size++
	return nil
}

// checkSigned compares the recomputed tree with the last signed checkpoint:
// a log shorter than, or different from, what was signed was rolled back
// or altered, and the service must not start on it.
func (l *Log) checkSigned(b []byte) error {
	if b == nil {
		if l.size > 0 {
			l.Logger.Warn("evidence log has entries but no checkpoint; one is signed now", "entries", l.size)
		}
		return nil
	}
	c, err := l.openSigned(b)
	if err != nil {
		return err
	}
	l.signed, l.signedNote = c, b
	return nil
}

// openSigned verifies a stored checkpoint note against the tree as read.
func (l *Log) openSigned(b []byte) (evidence.Checkpoint, error) {
	verifiers, err := l.knownVerifiers()
	if err != nil {
		return evidence.Checkpoint{}, err
	}
	c, err := evidence.OpenCheckpoint(b, verifiers...)
	if err != nil {
		return evidence.Checkpoint{}, fmt.Errorf("evidence checkpoint of %s: %w", l.st.where(), err)
	}
	if c.Origin != l.Origin {
		return evidence.Checkpoint{}, fmt.Errorf("evidence checkpoint of %s is for log %q, not %q", l.st.where(), c.Origin, l.Origin)
	}
	if c.Size > l.size {
		return evidence.Checkpoint{}, fmt.Errorf("evidence log has %d entries but its checkpoint signed %d: entries were lost or the log was rolled back", l.size, c.Size)
	}
	root, err := tlog.TreeHash(c.Size, l.hashes)
	if err != nil {
		return evidence.Checkpoint{}, err
	}
	if root != c.Root {
		return evidence.Checkpoint{}, fmt.Errorf("evidence log does not match its signed checkpoint at size %d: the log was altered", c.Size)
	}
	return c, nil
}

// knownVerifiers are the current key and every retired one.
func (l *Log) knownVerifiers() ([]note.Verifier, error) {
	dir := l.keyDir()
	paths, _ := filepath.Glob(filepath.Join(dir, "retired", "*.pub"))
	paths = append(paths, filepath.Join(dir, publicKeyFile))
	var out []note.Verifier
	for _, p := range paths {
		v, err := LoadVerifier(p)
		if err != nil {
			return nil, fmt.Errorf("evidence key: %w", err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Append writes e to the log and returns its sequence number once it is
// durable. Seq and Prev are assigned; Time is set to now if zero. e is
// updated with what was written. A follower of a shared log appends
// through the leader.
func (l *Log) Append(ctx context.Context, e *evidence.Entry) (uint64, error) {
	r, err := l.request(e)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := l.submit(ctx, r); err != nil {
		return 0, err
	}
	if err := l.outcome(r, start); err != nil {
		return 0, err
	}
	*e = r.e
	return r.seq, nil
}

// request checks e and prepares its append.
func (l *Log) request(e *evidence.Entry) (*appendReq, error) {
	r := &appendReq{e: *e, done: make(chan struct{})}
	if r.e.Time.IsZero() {
		r.e.Time = l.Now()
	}
	r.e.Time = r.e.Time.UTC().Truncate(time.Microsecond)
	return r, r.e.Validate()
}

// submit queues r for the writer.
func (l *Log) submit(ctx context.Context, r *appendReq) error {
	// Checked first, under closeMu: after Close the queue has room but
	// no writer, and nothing may be queued once Close has drained it.
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.ctx == nil || l.ctx.Err() != nil {
		return ErrClosed
	}
	select {
	case l.reqs <- r:
		return nil
	case <-l.ctx.Done():
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// outcome waits for a queued append. Once queued, it waits even if the
// caller's context ends: the entry may already be stored, and the caller
// must not think otherwise.
func (l *Log) outcome(r *appendReq, start time.Time) error {
	<-r.done
	if r.err != nil {
		if l.Metrics != nil {
			l.Metrics.AppendErrors.Inc()
		}
		return r.err
	}
	if l.Metrics != nil {
		l.Metrics.AppendSeconds.Observe(time.Since(start).Seconds())
	}
	return nil
}

// writer commits batches of appends: one write, one fdatasync each.
func (l *Log) writer() {
	defer l.wg.Done()
	batch := make([]*appendReq, 0, maxBatch)
	for {
		select {
		case r := <-l.reqs:
			batch = append(batch[:0], r)
		case <-l.ctx.Done():
			l.drain()
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		l.commit(batch)
	}
}

// drain fails appends queued at Close.
func (l *Log) drain() {
	for {
		select {
		case r := <-l.reqs:
			r.err = ErrClosed
			close(r.done)
		default:
			return
		}
	}
}

func (l *Log) commit(batch []*appendReq) {
	if l.shared != nil && !l.leading.Load() {
		l.forward(batch)
		return
	}
	l.mu.RLock()
	failed, size, prev := l.failed, l.size, l.last
	l.mu.RUnlock()
	fail := func(err error) {
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
	}
	if failed != nil {
		fail(failed)
		return
	}
	raws := make([][]byte, len(batch))
	leaves := make([]tlog.Hash, len(batch))
	for i, r := range batch {
		r.e.Seq, r.e.Prev = uint64(size)+uint64(i), prev
		raw, err := r.e.Encode()
		if err != nil { // checked in Append; only a bug gets here
			fail(err)
			return
		}
		raws[i] = raw
		prev = evidence.LeafHash(raw)
		leaves[i] = prev
	}
	if err := l.st.write(size, raws); err != nil {
		if l.shared != nil {
			// Another node may write now: step down, and let the next
			// leader (maybe this node again) go on from what is stored.
			l.stepDown(err)
			fail(fmt.Errorf("evidence log: write failed: %w", err))
			return
		}
		err = fmt.Errorf("evidence log: write failed, no more entries accepted until restart: %w", err)
		l.Logger.Error("evidence log write failed", "error", err)
		l.mu.Lock()
		l.failed = err
		l.mu.Unlock()
		fail(err)
		return
	}
	l.mu.Lock()
	for i, raw := range raws {
		if err := l.add(&batch[i].e, raw, leaves[i]); err != nil {
			// The entries are durable; the cache is rebuilt at the next
			// start. Until then the log takes nothing more.
			l.failed = fmt.Errorf("evidence log: hash cache: %w", err)
			break
		}
	}
	l.mu.Unlock()
	if l.Metrics != nil {
		l.Metrics.Entries.Set(float64(size + int64(len(batch))))
		l.Metrics.Batches.Inc()
	}
	for _, r := range batch {
		r.seq = r.e.Seq
		close(r.done)
	}
}

// Size is the number of entries stored (for a follower, as last read).
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size
}

// Close stops the loops, fails appends not yet written, and closes files.
func (l *Log) Close() error {
	if l.cancel != nil {
		l.closeMu.Lock()
		l.cancel()
		l.closeMu.Unlock()
		l.wg.Wait()
		l.drain() // whatever was queued as the writer stopped
	}
	return l.closeFiles()
}

func (l *Log) closeFiles() error {
	var err error
	if l.hashes != nil {
		err = l.hashes.close()
		l.hashes = nil
	}
	if l.st != nil {
		if cerr := l.st.close(); err == nil {
			err = cerr
		}
		l.st = nil
	}
	return err
}

// parseCheckpointDetail reads the size from a log.checkpoint entry's detail.
func parseCheckpointDetail(d string) (int64, bool) {
	f := strings.Fields(d)
	if len(f) < 2 || f[0] != "size" {
		return 0, false
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	return n, err == nil
}
