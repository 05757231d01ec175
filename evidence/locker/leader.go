package locker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
)

// A shared log (Log.DB) has one writer at a time, the leader: the node
// holding the writer lock (sharedstorage.go). The others are followers:
// they forward appends and checkpoint requests to the leader, and read
// what it wrote from the database to answer reads and proofs themselves.

// Forwarder carries a follower's appends and checkpoint requests to the
// leader node. An error wrapping ErrNotLeader means the request was not
// carried out (that node does not lead, or could not be reached) and may
// be sent again.
type Forwarder interface {
	ForwardAppend(ctx context.Context, leader string, entries []evidence.Entry) ([]evidence.Entry, error)
	ForwardCheckpoint(ctx context.Context, leader, ref string) ([]byte, error)
}

// ErrNotLeader: the node asked to write the shared log is not its leader.
var ErrNotLeader = errors.New("evidence log: this node is not the log's writer")

// ForwardWait bounds how long a follower's append waits for a leader.
// A leader that died is replaced within a LeaderPoll or two.
const ForwardWait = 20 * time.Second

// Leading reports whether this node writes the shared log (always true
// for a log in a directory).
func (l *Log) Leading() bool { return l.shared == nil || l.leading.Load() }

// standForLeader tries to become the writer; on success it reads what
// the last writer stored (the epoch it raised fences that writer out, so
// nothing is stored after this read but by this node).
func (l *Log) standForLeader() {
	got, err := l.shared.stand(l.Now())
	if err != nil {
		l.Logger.Warn("evidence log: standing for writer failed", "error", err)
		return
	}
	if !got {
		return
	}
	if err := l.catchUp(); err != nil {
		l.stepDown(fmt.Errorf("read what the last writer stored: %w", err))
		return
	}
	l.leading.Store(true)
	if l.Metrics != nil {
		l.Metrics.Leader.Set(1)
	}
	l.Logger.Info("evidence log: this node now writes the shared log", "node", l.Node, "entries", l.Size())
}

// stepDown stops writing after err (a failed or fenced write, a lost
// lock): another node, or this one again, takes over from what is stored.
func (l *Log) stepDown(err error) {
	l.shared.stepDown()
	if l.leading.Swap(false) {
		l.Logger.Warn("evidence log: this node no longer writes the shared log", "node", l.Node, "error", err)
	}
	if l.Metrics != nil {
		l.Metrics.Leader.Set(0)
	}
}

// leaderLoop keeps the leader's lock checked, stands for leader while
// there is none, and keeps a follower's view of the log fresh.
func (l *Log) leaderLoop() {
	defer l.wg.Done()
	t := time.NewTicker(l.LeaderPoll)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-l.ctx.Done():
			return
		}
		if l.leading.Load() {
			if err := l.shared.stillLeading(); err != nil && l.ctx.Err() == nil {
				l.stepDown(err)
			}
			continue
		}
		l.standForLeader()
		if !l.leading.Load() {
			if err := l.catchUp(); err != nil && l.ctx.Err() == nil {
				l.Logger.Warn("evidence log: reading the shared log failed", "error", err)
			}
		}
	}
}

// catchUp reads the entries and the checkpoint stored since the last
// read. The checkpoint is read first: the entries it signs are stored
// before it.
func (l *Log) catchUp() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	note, err := l.st.loadCheckpoint()
	if err != nil {
		return err
	}
	for {
		raws, err := l.shared.page(l.Size())
		if err != nil {
			return err
		}
		l.mu.Lock()
		for _, raw := range raws {
			if err = l.admit(raw); err != nil {
				err = fmt.Errorf("evidence log %s is damaged at entry %d: %w", l.st.where(), l.size, err)
				break
			}
		}
		size := l.size
		l.mu.Unlock()
		if err != nil {
			return err
		}
		if l.Metrics != nil {
			l.Metrics.Entries.Set(float64(size))
		}
		if len(raws) < loadPage {
			break
		}
	}
	if err := l.hashes.flush(); err != nil {
		return err
	}
	return l.takeSigned(note)
}

// takeSigned makes a checkpoint read from shared storage the last signed
// one, if it is newer, once it is verified against the tree.
func (l *Log) takeSigned(note []byte) error {
	if note == nil {
		return nil
	}
	l.mu.RLock()
	same := string(note) == string(l.signedNote)
	l.mu.RUnlock()
	if same {
		return nil
	}
	c, err := l.openSigned(note)
	if err != nil {
		return err
	}
	l.mu.Lock()
	if c.Size >= l.signed.Size {
		l.signed, l.signedNote = c, note
	}
	l.mu.Unlock()
	return nil
}

// catchUpTo reads the shared log until it has size entries.
func (l *Log) catchUpTo(size int64) error {
	if l.shared == nil || l.Size() >= size {
		return nil
	}
	if err := l.catchUp(); err != nil {
		return err
	}
	if n := l.Size(); n < size {
		return fmt.Errorf("evidence log: has %d entries, not yet %d", n, size)
	}
	return nil
}

// forward sends a batch to the leader and waits, within ForwardWait, for
// one to answer. Requests from another follower are refused instead: they
// go back to that follower to find the leader.
func (l *Log) forward(batch []*appendReq) {
	fail := func(err error) {
		for _, r := range batch {
			r.err = err
			close(r.done)
		}
	}
	for _, r := range batch {
		if r.leaderOnly {
			fail(ErrNotLeader)
			return
		}
	}
	entries := make([]evidence.Entry, len(batch))
	for i, r := range batch {
		entries[i] = r.e
	}
	local, err := l.toLeader(func(ctx context.Context, leader string) error {
		out, err := l.Forward.ForwardAppend(ctx, leader, entries)
		if err == nil && len(out) != len(entries) {
			err = fmt.Errorf("evidence log: the leader wrote %d entries of %d", len(out), len(entries))
		}
		if err == nil {
			entries = out
		}
		return err
	}, func() {
		// This node became the leader: its batch may have been stored by
		// the last one, whose answer was lost.
		if prior, ok := l.written.lookup(entries); ok {
			for i, r := range batch {
				r.e, r.seq = prior[i], prior[i].Seq
				close(r.done)
			}
			return
		}
		l.commit(batch)
	})
	if local {
		return // answered here: this node became the leader
	}
	if err == nil {
		err = l.catchUpTo(int64(entries[len(entries)-1].Seq) + 1)
		if err != nil {
			// Stored by the leader all the same: say so, not that it failed.
			l.Logger.Warn("evidence log: appended through the leader but not yet read back", "error", err)
			err = nil
		}
	}
	if err != nil {
		fail(err)
		return
	}
	for i, r := range batch {
		r.e, r.seq = entries[i], entries[i].Seq
		close(r.done)
	}
}

// toLeader calls send with the leader's node id until it succeeds, fails
// with an error that is not ErrNotLeader, or ForwardWait passes. If this
// node becomes the leader meanwhile, it calls local instead and reports
// true.
func (l *Log) toLeader(send func(ctx context.Context, leader string) error, local func()) (bool, error) {
	ctx, cancel := context.WithTimeout(l.ctx, ForwardWait)
	defer cancel()
	lastErr := errors.New("no node writes the evidence log")
	for {
		if l.leading.Load() {
			local()
			return true, nil
		}
		leader, err := l.shared.writer(ctx)
		switch {
		case err != nil:
			lastErr = err
		case leader == "" || leader == l.Node:
			// None yet, or this node's own lost lead: wait for a new one.
		case l.Forward == nil:
			return false, fmt.Errorf("evidence log: node %s writes it, and this process cannot append through it (use the service's API)", leader)
		default:
			err = send(ctx, leader)
			if err == nil || !errors.Is(err, ErrNotLeader) {
				return false, err
			}
			lastErr = err
		}
		select {
		case <-time.After(l.LeaderPoll / 4):
		case <-ctx.Done():
			if l.ctx.Err() != nil {
				return false, ErrClosed
			}
			return false, fmt.Errorf("evidence log: no writer answered within %s: %w", ForwardWait, lastErr)
		}
	}
}

// AppendLeading appends entries forwarded by a follower, in order, and
// returns them as written. It fails with ErrNotLeader unless this node
// writes the log.
func (l *Log) AppendLeading(ctx context.Context, entries []evidence.Entry) ([]evidence.Entry, error) {
	if !l.leading.Load() {
		return nil, ErrNotLeader
	}
	if prior, ok := l.written.lookup(entries); ok {
		l.Logger.Info("evidence log: a follower sent a batch again (its answer was lost): answered with the entries written",
			"entries", len(prior), "first", prior[0].Seq)
		return prior, nil
	}
	reqs := make([]*appendReq, len(entries))
	for i := range entries {
		r, err := l.request(&entries[i])
		if err != nil {
			return nil, err
		}
		r.leaderOnly = true
		reqs[i] = r
	}
	// Queued together, they share a commit; in order, so they keep it.
	start := time.Now()
	for i, r := range reqs {
		if err := l.submit(ctx, r); err != nil {
			for _, q := range reqs[:i] {
				<-q.done
			}
			return nil, err
		}
	}
	out := make([]evidence.Entry, len(reqs))
	var firstErr error
	for i, r := range reqs {
		if err := l.outcome(r, start); err != nil && firstErr == nil {
			firstErr = err
		}
		out[i] = r.e
	}
	if firstErr != nil {
		if !l.leading.Load() {
			firstErr = fmt.Errorf("%w (%v)", ErrNotLeader, firstErr)
		}
		return nil, firstErr
	}
	return out, nil
}

// CheckpointLeading signs a checkpoint for a follower: the note it
// returns is the one stored. It fails with ErrNotLeader unless this node
// writes the log.
func (l *Log) CheckpointLeading(ctx context.Context, ref string) ([]byte, error) {
	if !l.leading.Load() {
		return nil, ErrNotLeader
	}
	_, note, err := l.Checkpoint(ctx, ref)
	return note, err
}

// forwardCheckpoint asks the leader to sign a checkpoint, then reads the
// log up to it and takes it as the last signed one.
func (l *Log) forwardCheckpoint(ref string) (evidence.Checkpoint, []byte, error) {
	var note []byte
	var c evidence.Checkpoint
	var localErr error
	local, err := l.toLeader(func(ctx context.Context, leader string) error {
		var err error
		note, err = l.Forward.ForwardCheckpoint(ctx, leader, ref)
		return err
	}, func() { c, note, localErr = l.Checkpoint(l.ctx, ref) })
	if local || err != nil {
		if err == nil {
			err = localErr
		}
		return c, note, err
	}
	verifiers, err := l.knownVerifiers()
	if err != nil {
		return c, nil, err
	}
	if c, err = evidence.OpenCheckpoint(note, verifiers...); err != nil {
		return c, nil, fmt.Errorf("evidence log: the leader's checkpoint: %w", err)
	}
	// The leader logs a log.checkpoint entry right after signing.
	if err := l.catchUpTo(c.Size); err != nil {
		return c, nil, err
	}
	if err := l.takeSigned(note); err != nil {
		return c, nil, err
	}
	return c, note, nil
}
