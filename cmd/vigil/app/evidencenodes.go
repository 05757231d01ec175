package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/locker"
)

// A cluster's evidence log has one writer (locker's leader); the other
// nodes append and ask for checkpoints through it, with signed internal
// requests: POST /internal/v1/evidence/append carries entries in their
// canonical encoding and returns them as written; POST
// /internal/v1/evidence/checkpoint?ref=R returns the signed note. A node
// that does not write the log answers 409, and the sender looks again.

const (
	evidenceAppendPath     = "/internal/v1/evidence/append"
	evidenceCheckpointPath = "/internal/v1/evidence/checkpoint"
	// forwardTimeout bounds one request to the leader.
	forwardTimeout = 15 * time.Second
)

var _ locker.Forwarder = (*nodeRouter)(nil)

type evidenceBatch struct {
	Entries [][]byte `json:"entries"` // canonical encodings
}

func (n *nodeRouter) ForwardAppend(ctx context.Context, leader string, entries []evidence.Entry) ([]evidence.Entry, error) {
	var batch evidenceBatch
	for i := range entries {
		raw, err := entries[i].Encode()
		if err != nil {
			return nil, err
		}
		batch.Entries = append(batch.Entries, raw)
	}
	body, _ := json.Marshal(batch)
	res, err := n.toLeader(ctx, leader, evidenceAppendPath, nil, body)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(res, &batch); err != nil {
		return nil, fmt.Errorf("evidence log: node %s's answer: %w", leader, err)
	}
	out := make([]evidence.Entry, len(batch.Entries))
	for i, raw := range batch.Entries {
		if out[i], err = evidence.DecodeEntry(raw); err != nil {
			return nil, fmt.Errorf("evidence log: node %s's answer: %w", leader, err)
		}
	}
	return out, nil
}

func (n *nodeRouter) ForwardCheckpoint(ctx context.Context, leader, ref string) ([]byte, error) {
	return n.toLeader(ctx, leader, evidenceCheckpointPath, url.Values{"ref": {ref}}, nil)
}

// toLeader posts a signed request to the leader. Whatever kept it from
// being carried out there (no such node, not reachable, not the leader)
// wraps locker.ErrNotLeader, so the log looks for the leader again.
func (n *nodeRouter) toLeader(ctx context.Context, leader, path string, query url.Values, body []byte) ([]byte, error) {
	p, err := n.peer(ctx, leader)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", locker.ErrNotLeader, err)
	}
	ctx, cancel := context.WithTimeout(ctx, forwardTimeout)
	defer cancel()
	u := *p.url
	u.Path, u.RawQuery = path, query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	n.sign(req, body)
	res, err := (&http.Client{Transport: p.tr}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: node %s: %v", locker.ErrNotLeader, leader, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(io.LimitReader(res.Body, maxInternalBody+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("evidence log: node %s: %w", leader, err)
	case len(out) > maxInternalBody:
		return nil, fmt.Errorf("evidence log: node %s answered more than %d bytes", leader, maxInternalBody)
	case res.StatusCode == http.StatusConflict:
		return nil, fmt.Errorf("%w: node %s: %s", locker.ErrNotLeader, leader, bytes.TrimSpace(out))
	case res.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("evidence log: node %s: %s: %s", leader, res.Status, bytes.TrimSpace(out))
	}
	return out, nil
}

func (n *nodeRouter) serveEvidenceAppend(w http.ResponseWriter, r *http.Request, body []byte) {
	if n.evlog == nil {
		n.evidenceError(w, locker.ErrNotLeader)
		return
	}
	var batch evidenceBatch
	if err := json.Unmarshal(body, &batch); err != nil || len(batch.Entries) == 0 {
		http.Error(w, "evidence append: a JSON object with entries", http.StatusBadRequest)
		return
	}
	entries := make([]evidence.Entry, len(batch.Entries))
	for i, raw := range batch.Entries {
		e, err := evidence.DecodeEntry(raw)
		if err != nil {
			http.Error(w, fmt.Sprintf("evidence append: entry %d: %v", i, err), http.StatusBadRequest)
			return
		}
		entries[i] = e
	}
	written, err := n.evlog.AppendLeading(r.Context(), entries)
	if err != nil {
		n.evidenceError(w, err)
		return
	}
	batch.Entries = batch.Entries[:0]
	for i := range written {
		raw, err := written[i].Encode()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		batch.Entries = append(batch.Entries, raw)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(batch)
}

func (n *nodeRouter) serveEvidenceCheckpoint(w http.ResponseWriter, r *http.Request) {
	if n.evlog == nil {
		n.evidenceError(w, locker.ErrNotLeader)
		return
	}
	note, err := n.evlog.CheckpointLeading(r.Context(), r.URL.Query().Get("ref"))
	if err != nil {
		n.evidenceError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(note)
}

func (n *nodeRouter) evidenceError(w http.ResponseWriter, err error) {
	if errors.Is(err, locker.ErrNotLeader) {
		http.Error(w, fmt.Sprintf("node %s does not write the evidence log now", n.self), http.StatusConflict)
		return
	}
	n.logger.Warn("evidence append from another node failed", "error", err)
	http.Error(w, err.Error(), http.StatusServiceUnavailable)
}
