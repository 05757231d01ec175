package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of using a download link.
var (
	ErrLinkExpired = errors.New("download link has expired; ask for a new one")
	ErrLinkUsed    = errors.New("download link was already used; ask for a new one")
)

// DownloadLink lets police download an approved request's bundle, once
// (OneTime) or any number of times until ExpiresAt. The store keeps only
// the SHA-256 of the link's secret token.
type DownloadLink struct {
	RequestID string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	OneTime   bool
	UsedAt    time.Time // first use; zero if unused
	Uses      int
}

// AddDownloadLink stores a link under tokenHash, the SHA-256 of its secret
// token: the caller makes the random token and only ever hands out the
// token. The request must exist (ErrNotFound) and be approved
// (ErrNotApproved). A zero CreatedAt is now. Invalid links give
// FieldErrors, a hash already stored ErrExists.
func (s *Store) AddDownloadLink(ctx context.Context, tokenHash []byte, l DownloadLink) error {
	l.CreatedBy = strings.TrimSpace(l.CreatedBy)
	if l.CreatedAt.IsZero() {
		l.CreatedAt = time.Now()
	}
	var es FieldErrors
	if len(tokenHash) != sha256.Size {
		es = append(es, &FieldError{Field: "token_hash", Msg: fmt.Sprintf("%d bytes, not a SHA-256 (%d)", len(tokenHash), sha256.Size)})
	}
	checkText(&es, "request_id", l.RequestID, maxRequestIDBytes)
	checkText(&es, "created_by", l.CreatedBy, maxNameBytes)
	if !l.ExpiresAt.After(l.CreatedAt) {
		es = append(es, &FieldError{Field: "expires_at", Msg: fmt.Sprintf("%s is not after the link's creation (%s)",
			l.ExpiresAt.Format(time.RFC3339), l.CreatedAt.Format(time.RFC3339))})
	}
	if len(es) > 0 {
		return fmt.Errorf("download link for %s: %w", l.RequestID, es)
	}
	// Only a link to an approved request is stored, checked in the insert
	// itself so no decision can slip between check and insert.
	res, err := s.db.ExecContext(ctx, `INSERT INTO download_links
		(hash, request_id, created_by, created_us, expires_us, one_time)
		SELECT $1,$2,$3,$4,$5,$6 WHERE EXISTS (SELECT 1 FROM export_requests WHERE id = $2 AND state = $7)`,
		tokenHash, l.RequestID, l.CreatedBy, toMicros(l.CreatedAt), toMicros(l.ExpiresAt), boolInt(l.OneTime), ExportApproved)
	if isUniqueViolation(err) {
		return fmt.Errorf("download link %s: %w", linkName(tokenHash), ErrExists)
	}
	if err != nil {
		return fmt.Errorf("add download link for %s: %w", l.RequestID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("add download link for %s: %w", l.RequestID, err)
	} else if n == 1 {
		return nil
	}
	r, err := s.ExportRequest(ctx, l.RequestID)
	if err != nil {
		return err
	}
	return fmt.Errorf("download link for export request %s: %w: it is %s", l.RequestID, ErrNotApproved, r.State)
}

const downloadLinkColumns = `request_id, created_by, created_us, expires_us, one_time, used_us, uses`

func scanDownloadLink(sc scanner) (DownloadLink, error) {
	var l DownloadLink
	var created, expires int64
	var used sql.NullInt64
	if err := sc.Scan(&l.RequestID, &l.CreatedBy, &created, &expires, &l.OneTime, &used, &l.Uses); err != nil {
		return DownloadLink{}, err
	}
	l.CreatedAt, l.ExpiresAt, l.UsedAt = fromMicros(created), fromMicros(expires), timeOf(used)
	return l, nil
}

// UseDownloadLink checks and consumes the link stored under tokenHash, in
// one transaction: ErrNotFound for an unknown hash, ErrLinkUsed for a
// one-time link used before, ErrLinkExpired at or after its expiry. On
// success it records the first use and counts this one, and returns the
// link as updated. Of concurrent uses of a one-time link exactly one wins.
func (s *Store) UseDownloadLink(ctx context.Context, tokenHash []byte, now time.Time) (DownloadLink, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return DownloadLink{}, fmt.Errorf("use download link: %w", err)
	}
	defer tx.Rollback()
	// The check is in the update, which takes SQLite's write lock: what is
	// read below when it matched nothing is what made it match nothing.
	l, err := scanDownloadLink(tx.QueryRowContext(ctx, `UPDATE download_links
		SET used_us = coalesce(used_us, $1), uses = uses + 1
		WHERE hash = $2 AND (one_time = 0 OR used_us IS NULL) AND expires_us > $1
		RETURNING `+downloadLinkColumns, toMicros(now), tokenHash))
	if err == nil {
		if err := tx.Commit(); err != nil {
			return DownloadLink{}, fmt.Errorf("use download link: %w", err)
		}
		return l, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return DownloadLink{}, fmt.Errorf("use download link: %w", err)
	}
	l, err = scanDownloadLink(tx.QueryRowContext(ctx, `SELECT `+downloadLinkColumns+` FROM download_links WHERE hash = $1`, tokenHash))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return DownloadLink{}, fmt.Errorf("download link: %w", ErrNotFound)
	case err != nil:
		return DownloadLink{}, fmt.Errorf("use download link: %w", err)
	case l.OneTime && !l.UsedAt.IsZero():
		return l, fmt.Errorf("download link for %s: %w (used at %s)", l.RequestID, ErrLinkUsed, l.UsedAt.Format(time.RFC3339))
	case !now.Before(l.ExpiresAt):
		return l, fmt.Errorf("download link for %s: %w (expired at %s)", l.RequestID, ErrLinkExpired, l.ExpiresAt.Format(time.RFC3339))
	}
	return l, fmt.Errorf("download link for %s: not usable, yet neither used nor expired", l.RequestID)
}

// linkName names a link in errors by a prefix of its hash (never a token).
func linkName(tokenHash []byte) string {
	return hex.EncodeToString(tokenHash[:min(len(tokenHash), 4)])
}

// DownloadLinkByHash reads a link without using it (to check who may use
// it first); ErrNotFound for an unknown hash.
func (s *Store) DownloadLinkByHash(ctx context.Context, tokenHash []byte) (DownloadLink, error) {
	l, err := scanDownloadLink(s.db.QueryRowContext(ctx, `SELECT `+downloadLinkColumns+` FROM download_links WHERE hash = $1`, tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return DownloadLink{}, fmt.Errorf("download link: %w", ErrNotFound)
	}
	if err != nil {
		return DownloadLink{}, fmt.Errorf("download link: %w", err)
	}
	return l, nil
}
