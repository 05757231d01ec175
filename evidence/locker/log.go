package locker

import (
	"context"
	"errors"
	"fmt"
	"github.com/vigil-cctv/vigil/evidence"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	"golang.org/x/sys/unix"
)

// Log is the append-only evidence log in a directory. One process at a
// time has it open (a lock file). Appends are group-committed: entries
// arriving together share one write and one fdatasync, and Append returns
// only once its entry is on disk.
type Log struct {
	// Dir holds the log (DATA/evidence).
	Dir string
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

	lock   *os.File
	f      *os.File
	hashes *hashFile
	reqs   chan *appendReq

	// signMu serialises signing and key rotation.
	signMu  sync.Mutex
	signers []note.Signer

	mu            sync.RWMutex
	size          int64
	last          tlog.Hash
	offsets       []int64
	signed        evidence.Checkpoint
	signedNote    []byte
	lastCkptEntry int64   // seq of the newest log.checkpoint entry, -1 if none
	exportSizes   []int64 // tree sizes signed for exports
	failed        error   // a write or sync failed: no more appends
	end           int64   // the log file's size (writer goroutine only)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type appendReq struct {
	e    evidence.Entry
	seq  uint64
	err  error
	done chan struct{}
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

// Open opens (creating if needed) the log: it takes the lock, re-reads
// every entry, recomputes the tree and checks it against the last signed
// checkpoint, then starts the writer and the checkpoint loop.
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
	if l.lock, err = lockDir(filepath.Join(l.Dir, lockFile)); err != nil {
		return err
	}
	if err = l.loadSigner(); err != nil {
		return err
	}
	if l.f, err = os.OpenFile(filepath.Join(l.Dir, logFile), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600); err != nil {
		return fmt.Errorf("evidence log: %w", err)
	}
	if l.hashes, err = createHashFile(filepath.Join(l.Dir, hashesFile)); err != nil {
		return fmt.Errorf("evidence log: %w", err)
	}
	if err = l.replay(); err != nil {
		return err
	}
	if err = l.checkSigned(); err != nil {
		return err
	}
	l.reqs = make(chan *appendReq, maxBatch)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	l.wg.Add(1)
	go l.writer()
	if l.CheckpointInterval > 0 {
		l.wg.Add(1)
		go l.checkpointLoop()
	}
	if l.Metrics != nil {
		l.Metrics.Entries.Set(float64(l.size))
	}
	return nil
}

func (l *Log) loadSigner() error {
	dir := KeyDir(l.Dir)
	s, err := LoadSigner(dir)
	if errors.Is(err, ErrNoKey) && l.CreateKey {
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

// replay reads every frame, checks each entry's sequence and chain,
// rebuilds the hash cache, and cuts off a torn tail left by a crash.
func (l *Log) replay() error {
	st, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("evidence log: %w", err)
	}
	fr := frameReader{r: l.f, size: st.Size()}
	l.lastCkptEntry = -1
	for {
		off := fr.off
		raw, err := fr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, errTorn) {
			l.Logger.Warn("evidence log: cutting off a torn last entry (a crash during an append that was never acknowledged)",
				"entry", l.size, "offset", off, "bytes", fr.size-off)
			if err := l.f.Truncate(off); err != nil {
				return fmt.Errorf("evidence log: cut torn tail: %w", err)
			}
			if err := l.f.Sync(); err != nil {
				return fmt.Errorf("evidence log: %w", err)
			}
			break
		}
		if err != nil {
			return fmt.Errorf("evidence log %s is damaged at entry %d: %w", filepath.Join(l.Dir, logFile), l.size, err)
		}
		if err := l.admit(raw, off); err != nil {
			return fmt.Errorf("evidence log %s is damaged at entry %d: %w", filepath.Join(l.Dir, logFile), l.size, err)
		}
	}
	l.end = fr.off
	return l.hashes.flush()
}

// admit checks one entry read back from disk and adds it to the tree.
func (l *Log) admit(raw []byte, off int64) error {
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
	return l.add(&e, raw, evidence.LeafHash(raw), off)
}

// add puts an entry on disk into the tree and the in-memory state: its
// stored hashes, its offset, and what a checkpoint entry says. The caller
// holds l.mu once the writer runs.
func (l *Log) add(e *evidence.Entry, raw []byte, leaf tlog.Hash, off int64) error {
	hs, err := tlog.StoredHashes(l.size, raw, l.hashes)
	if err == nil {
		err = l.hashes.append(hs)
	}
	if err != nil {
		return err
	}
	if e.Action == evidence.ActionCheckpoint {
		l.lastCkptEntry = int64(e.Seq)
		if size, ok := parseCheckpointDetail(e.Detail); ok && strings.HasPrefix(e.Ref, "export/") {
			l.exportSizes = append(l.exportSizes, size)
		}
	}
	l.offsets = append(l.offsets, off)
	l.last = leaf
	l.size++
	return nil
}

// checkSigned compares the recomputed tree with the last signed checkpoint:
// a log shorter than, or different from, what was signed was rolled back
// or altered, and the service must not start on it.
func (l *Log) checkSigned() error {
	path := filepath.Join(l.Dir, checkpointFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if l.size > 0 {
			l.Logger.Warn("evidence log has entries but no checkpoint file; one is signed now", "entries", l.size)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("evidence checkpoint: %w", err)
	}
	verifiers, err := l.knownVerifiers()
	if err != nil {
		return err
	}
	c, err := evidence.OpenCheckpoint(b, verifiers...)
	if err != nil {
		return fmt.Errorf("evidence checkpoint %s: %w", path, err)
	}
	if c.Origin != l.Origin {
		return fmt.Errorf("evidence checkpoint %s is for log %q, not %q", path, c.Origin, l.Origin)
	}
	if c.Size > l.size {
		return fmt.Errorf("evidence log has %d entries but its checkpoint signed %d: entries were lost or the log was rolled back", l.size, c.Size)
	}
	root, err := tlog.TreeHash(c.Size, l.hashes)
	if err != nil {
		return err
	}
	if root != c.Root {
		return fmt.Errorf("evidence log does not match its signed checkpoint at size %d: the log was altered", c.Size)
	}
	l.signed, l.signedNote = c, b
	return nil
}

// knownVerifiers are the current key and every retired one.
func (l *Log) knownVerifiers() ([]note.Verifier, error) {
	dir := KeyDir(l.Dir)
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

// Append writes e to the log and returns its sequence number once it is on
// disk. Seq and Prev are assigned; Time is set to now if zero. e is
// updated with what was written.
func (l *Log) Append(ctx context.Context, e *evidence.Entry) (uint64, error) {
	r := &appendReq{e: *e, done: make(chan struct{})}
	if r.e.Time.IsZero() {
		r.e.Time = l.Now()
	}
	r.e.Time = r.e.Time.UTC().Truncate(time.Microsecond)
	if err := r.e.Validate(); err != nil {
		return 0, err
	}
	start := time.Now()
	select {
	case l.reqs <- r:
	case <-l.ctx.Done():
		return 0, ErrClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the entry may
	// already be on disk, and the caller must not think otherwise.
	<-r.done
	if r.err != nil {
		if l.Metrics != nil {
			l.Metrics.AppendErrors.Inc()
		}
		return 0, r.err
	}
	if l.Metrics != nil {
		l.Metrics.AppendSeconds.Observe(time.Since(start).Seconds())
	}
	*e = r.e
	return r.seq, nil
}

// writer commits batches of appends: one write, one fdatasync each.
func (l *Log) writer() {
	defer l.wg.Done()
	batch := make([]*appendReq, 0, maxBatch)
	var buf []byte
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
		buf = l.commit(batch, buf[:0])
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

func (l *Log) commit(batch []*appendReq, buf []byte) []byte {
	l.mu.RLock()
	failed, size, prev := l.failed, l.size, l.last
	l.mu.RUnlock()
	fail := func(err error) []byte {
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
		return buf
	}
	if failed != nil {
		return fail(failed)
	}
	raws := make([][]byte, len(batch))
	leaves := make([]tlog.Hash, len(batch))
	for i, r := range batch {
		r.e.Seq, r.e.Prev = uint64(size)+uint64(i), prev
		raw, err := r.e.Encode()
		if err != nil { // checked in Append; only a bug gets here
			return fail(err)
		}
		raws[i] = raw
		prev = evidence.LeafHash(raw)
		leaves[i] = prev
		buf = appendFrame(buf, raw)
	}
	_, err := l.f.Write(buf)
	if err == nil {
		err = unix.Fdatasync(int(l.f.Fd()))
	}
	if err != nil {
		err = fmt.Errorf("evidence log: write failed, no more entries accepted until restart: %w", err)
		l.Logger.Error("evidence log write failed", "error", err)
		l.mu.Lock()
		l.failed = err
		l.mu.Unlock()
		return fail(err)
	}
	off := l.end
	l.end += int64(len(buf))
	l.mu.Lock()
	for i, raw := range raws {
		if err := l.add(&batch[i].e, raw, leaves[i], off); err != nil {
			// The entries are durable; the cache is rebuilt at the next
			// start. Until then the log takes nothing more.
			l.failed = fmt.Errorf("evidence log: hash cache: %w", err)
			break
		}
		off += int64(len(raw)) + 8
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
	return buf
}

// Size is the number of entries on disk.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size
}

// Close stops the loops, fails appends not yet written, and closes files.
func (l *Log) Close() error {
	if l.cancel != nil {
		l.cancel()
		l.wg.Wait()
	}
	return l.closeFiles()
}

func (l *Log) closeFiles() error {
	var err error
	if l.hashes != nil {
		err = l.hashes.close()
		l.hashes = nil
	}
	if l.f != nil {
		if cerr := l.f.Close(); err == nil {
			err = cerr
		}
		l.f = nil
	}
	if l.lock != nil {
		l.lock.Close() // releases the flock
		l.lock = nil
	}
	return err
}

// lockDir takes an exclusive lock so that two processes never append to
// one log (a second writer would fork it).
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("evidence log: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("evidence log %s is in use by another Vigil process (%v): stop it, or use its API", filepath.Dir(path), err)
	}
	return f, nil
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
