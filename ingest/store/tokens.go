package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// APIToken lets a machine (Prometheus, an integration) call the API with
// a bearer token. The store keeps the SHA-256 of the token only.
type APIToken struct {
	ID        int64
	Name      string
	Hash      []byte
	Scopes    string // a comma list of permissions, as the auth package writes it
	Expires   time.Time
	Created   time.Time
	CreatedBy string
	Revoked   time.Time // zero while valid
	LastUsed  time.Time
}

const tokenColumns = `id, name, hash, scopes, expires_us, created_us, created_by, revoked_us, last_used_us`

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var t APIToken
	var expires, created int64
	var revoked, used sql.NullInt64
	if err := row.Scan(&t.ID, &t.Name, &t.Hash, &t.Scopes, &expires, &created, &t.CreatedBy, &revoked, &used); err != nil {
		return APIToken{}, err
	}
	t.Expires, t.Created = fromMicros(expires), fromMicros(created)
	if revoked.Valid {
		t.Revoked = fromMicros(revoked.Int64)
	}
	if used.Valid {
		t.LastUsed = fromMicros(used.Int64)
	}
	return t, nil
}

// CreateToken stores a token; ErrExists if the name is taken.
func (s *Store) CreateToken(ctx context.Context, t *APIToken) error {
	if !ValidUsername(t.Name) {
		return FieldErrors{{Field: "name", Msg: fmt.Sprintf("%q must be 2-64 lower-case letters, digits, . _ -", t.Name)}}
	}
	err := s.db.QueryRowContext(ctx, `INSERT INTO api_tokens (name, hash, scopes, expires_us, created_us, created_by)
		VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (name) DO NOTHING RETURNING id`,
		t.Name, t.Hash, t.Scopes, toMicros(t.Expires), toMicros(t.Created), t.CreatedBy).Scan(&t.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("token %s: %w", t.Name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	return nil
}

// TokenByHash finds a token by the hash of its secret; ErrNotFound if none.
// Expiry and revocation are the caller's to check.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (APIToken, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, fmt.Errorf("token: %w", ErrNotFound)
	}
	if err != nil {
		return APIToken{}, fmt.Errorf("token: %w", err)
	}
	return t, nil
}

// Tokens lists every token, newest first (never their secrets).
func (s *Store) Tokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken ends a token now; ErrNotFound if there is no such token.
func (s *Store) RevokeToken(ctx context.Context, id int64, now time.Time) (APIToken, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, `UPDATE api_tokens SET revoked_us = coalesce(revoked_us, $2)
		WHERE id = $1 RETURNING `+tokenColumns, id, toMicros(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return APIToken{}, fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	return t, err
}

// TouchToken records a token's use.
func (s *Store) TouchToken(ctx context.Context, id int64, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_us = $2 WHERE id = $1`, id, toMicros(now))
	return err
}
