package locker

import (
	"crypto/sha256"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/vigil-cctv/vigil/evidence"
)

// A follower whose answer from the leader was lost (a timeout, a
// connection cut after the leader wrote) sends the same batch again, to
// the same leader or to the next. Its entries are the same, down to the
// microsecond of the time the follower gave them, so the leader answers
// with the entries already written instead of writing them twice.

// resentWindow is how long written entries are remembered: longer than a
// follower goes on sending one batch (ForwardWait).
const resentWindow = 2 * ForwardWait

// written remembers a shared log's recent entries by their content.
type written struct {
	mu    sync.Mutex
	byKey map[[32]byte]evidence.Entry
	order []writtenKey // oldest first
}

type writtenKey struct {
	key [32]byte
	at  time.Time
}

// contentKey names an entry by what its sender set: all but its place in
// the log (sequence and previous hash).
func contentKey(e evidence.Entry) ([32]byte, bool) {
	e.Seq, e.Prev = 0, tlog.Hash{}
	raw, err := e.Encode()
	if err != nil {
		return [32]byte{}, false
	}
	return sha256.Sum256(raw), true
}

// remember notes an entry stored in the log; one older than the window
// (read at start) is not: no sender still waits for it.
func (w *written) remember(e evidence.Entry, now time.Time) {
	if now.Sub(e.Time) > resentWindow {
		return
	}
	key, ok := contentKey(e)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byKey == nil {
		w.byKey = map[[32]byte]evidence.Entry{}
	}
	w.byKey[key] = e
	w.order = append(w.order, writtenKey{key, e.Time})
	i := 0
	for ; i < len(w.order) && now.Sub(w.order[i].at) > resentWindow; i++ {
		if old := w.order[i]; w.byKey[old.key].Time.Equal(old.at) {
			delete(w.byKey, old.key)
		}
	}
	w.order = w.order[i:]
}

// lookup returns the entries already written for a batch sent again; false
// when the batch is new. A batch is stored whole or not at all, so it is
// sent again only if all of it is there.
func (w *written) lookup(entries []evidence.Entry) ([]evidence.Entry, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]evidence.Entry, len(entries))
	for i := range entries {
		key, ok := contentKey(entries[i])
		if !ok {
			return nil, false
		}
		if out[i], ok = w.byKey[key]; !ok {
			return nil, false
		}
	}
	return out, len(out) > 0
}
