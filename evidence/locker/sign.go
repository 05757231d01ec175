package locker

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/vigil-cctv/vigil/evidence"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// evidence.Checkpoint signs the current tree (ref says why: "periodic",
// "export/<id>", ...), stores it as the last checkpoint, and logs a
// log.checkpoint entry for it. It refuses to sign a tree that does not
// extend the last one signed: the log never signs two inconsistent trees.
func (l *Log) Checkpoint(ctx context.Context, ref string) (evidence.Checkpoint, []byte, error) {
	if !l.Leading() {
		return l.forwardCheckpoint(ref)
	}
	l.signMu.Lock()
	c, signed, err := l.signLocked(l.signers...)
	l.signMu.Unlock()
	if err != nil {
		return evidence.Checkpoint{}, nil, err
	}
	_, err = l.Append(ctx, &evidence.Entry{Action: evidence.ActionCheckpoint, Actor: evidence.ActorLog, Ref: ref, Detail: checkpointDetail(c)})
	return c, signed, err
}

func (l *Log) signLocked(signers ...note.Signer) (evidence.Checkpoint, []byte, error) {
	l.mu.RLock()
	size, prev := l.size, l.signed
	l.mu.RUnlock()
	if size < prev.Size {
		return evidence.Checkpoint{}, nil, fmt.Errorf("evidence log: refusing to sign size %d, smaller than the signed %d", size, prev.Size)
	}
	// The hash cache is rebuilt from the log, so this catches a log
	// changed under the service since the last signature.
	if prev.Size > 0 {
		old, err := tlog.TreeHash(prev.Size, l.hashes)
		if err != nil {
			return evidence.Checkpoint{}, nil, err
		}
		if old != prev.Root {
			return evidence.Checkpoint{}, nil, fmt.Errorf("evidence log: refusing to sign: the tree no longer matches the checkpoint signed at size %d", prev.Size)
		}
	}
	root, err := tlog.TreeHash(size, l.hashes)
	if err != nil {
		return evidence.Checkpoint{}, nil, err
	}
	c := evidence.Checkpoint{Origin: l.Origin, Size: size, Root: root}
	signed, err := evidence.SignCheckpoint(c, signers...)
	if err != nil {
		return evidence.Checkpoint{}, nil, fmt.Errorf("evidence log: sign checkpoint: %w", err)
	}
	if err := l.st.saveCheckpoint(size, signed); err != nil {
		if l.shared != nil {
			l.stepDown(err)
		}
		return evidence.Checkpoint{}, nil, fmt.Errorf("evidence log: store checkpoint: %w", err)
	}
	l.mu.Lock()
	l.signed, l.signedNote = c, signed
	l.mu.Unlock()
	if l.Metrics != nil {
		l.Metrics.CheckpointSize.Set(float64(size))
		l.Metrics.CheckpointTime.Set(float64(l.Now().Unix()))
	}
	return c, signed, nil
}

// grown reports whether entries other than the last checkpoint's own
// entry arrived since it was signed.
func (l *Log) grown() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.size == l.signed.Size {
		return false
	}
	return !(l.size == l.signed.Size+1 && l.lastCkptEntry == l.signed.Size)
}

func (l *Log) checkpointLoop() {
	defer l.wg.Done()
	t := time.NewTicker(l.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-l.ctx.Done():
			return
		}
		if !l.Leading() || !l.grown() {
			continue
		}
		if _, _, err := l.Checkpoint(l.ctx, "periodic"); err != nil && l.ctx.Err() == nil {
			l.Logger.Error("evidence checkpoint failed", "error", err)
		}
	}
}

// LastCheckpoint returns the last signed checkpoint and its note bytes
// (nil before the first).
func (l *Log) LastCheckpoint() (evidence.Checkpoint, []byte) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.signed, l.signedNote
}

// RotateKey replaces the signing key: the rotation is logged (with the new
// public key), a checkpoint is signed by both keys so that holders of the
// old key can follow to the new one, then the old private key is deleted
// and its public key kept in keys/retired. actor is who rotated it.
func (l *Log) RotateKey(ctx context.Context, actor string) (string, error) {
	if l.shared != nil {
		return "", errors.New("evidence key: rotating the key of a cluster's shared log is not supported yet (every node holds the key)")
	}
	l.signMu.Lock()
	defer l.signMu.Unlock()
	skey, vkey, err := note.GenerateKey(rand.Reader, l.Origin)
	if err != nil {
		return "", err
	}
	next, err := note.NewSigner(skey)
	if err != nil {
		return "", err
	}
	old := l.signers[0]
	if _, err = l.Append(ctx, &evidence.Entry{Action: evidence.ActionKeyRotated, Actor: actor,
		Ref: fmt.Sprintf("%s+%08x", old.Name(), old.KeyHash()), Detail: vkey}); err != nil {
		return "", err
	}
	c, _, err := l.signLocked(old, next)
	if err != nil {
		return "", err
	}
	dir := l.keyDir()
	if _, err = retireKey(dir, l.Now()); err != nil {
		return "", fmt.Errorf("evidence key: retire the old key: %w", err)
	}
	if err = writeKeyPair(dir, skey, vkey); err != nil {
		return "", fmt.Errorf("evidence key: %w", err)
	}
	l.signers = []note.Signer{next}
	if _, err = l.Append(ctx, &evidence.Entry{Action: evidence.ActionCheckpoint, Actor: evidence.ActorLog, Ref: "key-rotation", Detail: checkpointDetail(c)}); err != nil {
		return "", err
	}
	return vkey, nil
}

// SignNote signs text (a signed note, e.g. an export manifest's hash) with
// the log's current key.
func (l *Log) SignNote(text string) ([]byte, error) {
	l.signMu.Lock()
	defer l.signMu.Unlock()
	return note.Sign(&note.Note{Text: text}, l.signers...)
}

// checkpointDetail is what a log.checkpoint entry records of the
// checkpoint it follows.
func checkpointDetail(c evidence.Checkpoint) string {
	return fmt.Sprintf("size %d root %s", c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}
