package locker

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// ErrNoLog is returned by CopyToShared for a directory without a log.
var ErrNoLog = errors.New("no evidence log in that directory")

// CopyToShared moves a stopped site's log (in dir, signed with the key in
// keyDir) into db, where a cluster's nodes share it; db must hold no log
// yet. The entries, the last checkpoint and the public key move as they
// are: the tree and its signatures stay the same, so the checkpoints the
// police hold still verify against the shared log, and it goes on from
// there. It returns the number of entries moved.
func CopyToShared(dir, keyDir, origin string, db *sql.DB) (int64, error) {
	if _, err := os.Stat(filepath.Join(dir, logFile)); errors.Is(err, os.ErrNotExist) {
		return 0, ErrNoLog
	}
	src := &Log{Dir: dir, KeyDir: keyDir, Origin: origin, CheckpointInterval: -1}
	if err := src.Open(); err != nil {
		return 0, err
	}
	defer src.Close()
	dst, err := openSharedStorage(db, "migrate-store")
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM evidence_entries`).Scan(&n); err != nil {
		return 0, fmt.Errorf("evidence log: %w", err)
	}
	if n > 0 {
		return 0, fmt.Errorf("the database already holds an evidence log of %d entries: moving another in would fork it", n)
	}
	pub, err := PublicKey(src.keyDir())
	if err != nil {
		return 0, err
	}
	if recorded, err := dst.recordKey(origin, pub); err != nil {
		return 0, fmt.Errorf("evidence log: %w", err)
	} else if recorded != pub {
		return 0, fmt.Errorf("the database's evidence log is signed with key %s, this site's with %s", recorded, pub)
	}
	if got, err := dst.stand(time.Now()); err != nil || !got {
		return 0, fmt.Errorf("evidence log: a node of the cluster is writing the shared log (%v): stop it first", err)
	}
	defer dst.stepDown()
	size := src.Size()
	for from := int64(0); from < size; from += maxBatch {
		raws := make([][]byte, 0, maxBatch)
		for seq := from; seq < min(from+maxBatch, size); seq++ {
			raw, err := src.st.read(seq)
			if err != nil {
				return 0, fmt.Errorf("evidence log: entry %d: %w", seq, err)
			}
			raws = append(raws, raw)
		}
		if err := dst.write(from, raws); err != nil {
			return 0, fmt.Errorf("evidence log: %w", err)
		}
	}
	if c, note := src.LastCheckpoint(); note != nil {
		if err := dst.saveCheckpoint(c.Size, note); err != nil {
			return 0, fmt.Errorf("evidence log: %w", err)
		}
	}
	return size, nil
}
