package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is a signed-in browser. The store keeps only the SHA-256 of the
// session id the cookie carries, so a copy of the database signs nobody in.
type Session struct {
	IDHash  []byte
	UserID  int64
	CSRF    string // the token every state-changing request must echo
	Created time.Time
	Seen    time.Time // last request: the idle timeout counts from here
	Expires time.Time // absolute end, whatever the activity
	Remote  string
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, se Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, csrf, created_us, seen_us, expires_us, remote)
		VALUES ($1,$2,$3,$4,$5,$6,$7)`, se.IDHash, se.UserID, se.CSRF, toMicros(se.Created), toMicros(se.Seen),
		toMicros(se.Expires), se.Remote)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByHash returns a session; ErrNotFound if there is none.
func (s *Store) SessionByHash(ctx context.Context, idHash []byte) (Session, error) {
	se := Session{IDHash: idHash}
	var created, seen, expires int64
	err := s.db.QueryRowContext(ctx, `SELECT user_id, csrf, created_us, seen_us, expires_us, remote
		FROM sessions WHERE id_hash = $1`, idHash).Scan(&se.UserID, &se.CSRF, &created, &seen, &expires, &se.Remote)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	se.Created, se.Seen, se.Expires = fromMicros(created), fromMicros(seen), fromMicros(expires)
	return se, nil
}

// TouchSession records activity on a session.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, seen time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET seen_us = $2 WHERE id_hash = $1`, idHash, toMicros(seen))
	return err
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	return err
}

// DeleteUserSessions ends every session of a user ("log out everywhere");
// it returns how many there were.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteStaleSessions removes sessions past their absolute end or idle
// since before idleCutoff.
func (s *Store) DeleteStaleSessions(ctx context.Context, now, idleCutoff time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_us <= $1 OR seen_us < $2`,
		toMicros(now), toMicros(idleCutoff))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
