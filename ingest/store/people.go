package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
)

// Pseudonym returns the evidence-log actor for a person's name
// ("person:<hex>", see evidence.Pseudonym), creating their random salt the
// first time. Names stay in this side table, out of the log's leaves.
func (s *Store) Pseudonym(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxNameBytes {
		return "", fmt.Errorf("pseudonym: a name of 1 to %d bytes is required", maxNameBytes)
	}
	p, err := s.pseudonymOf(ctx, name)
	if !errors.Is(err, ErrNotFound) {
		return p, err
	}
	salt := make([]byte, 16)
	rand.Read(salt) // never fails (crypto/rand)
	p = evidence.Pseudonym(salt, name)
	// A concurrent first call for the same name may win: read back theirs.
	_, err = s.db.ExecContext(ctx, `INSERT INTO evidence_people (pseudonym, name, salt, created_us)
		VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING`, p, name, salt, toMicros(time.Now()))
	if err != nil {
		return "", fmt.Errorf("pseudonym: %w", err)
	}
	return s.pseudonymOf(ctx, name)
}

// PseudonymOf returns the pseudonym of a person's name without creating
// one: ErrNotFound when nobody has that name (never given one, or erased).
func (s *Store) PseudonymOf(ctx context.Context, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxNameBytes {
		return "", fmt.Errorf("pseudonym of %q: %w", name, ErrNotFound)
	}
	return s.pseudonymOf(ctx, name)
}

func (s *Store) pseudonymOf(ctx context.Context, name string) (string, error) {
	var p string
	err := s.db.QueryRowContext(ctx, `SELECT pseudonym FROM evidence_people WHERE name = $1`, name).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("pseudonym: %w", err)
	}
	return p, nil
}

// Person returns the name and salt behind a pseudonym (for disclosure in
// an export's custody log), or ErrNotFound when unknown or erased.
func (s *Store) Person(ctx context.Context, pseudonym string) (name string, salt []byte, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT name, salt FROM evidence_people WHERE pseudonym = $1`,
		pseudonym).Scan(&name, &salt)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, fmt.Errorf("person %s: %w", pseudonym, ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("person %s: %w", pseudonym, err)
	}
	return name, salt, nil
}

// ErasePerson forgets who is behind a pseudonym (data-protection erasure).
// Log entries keep the pseudonym, which nothing can link to the name any
// more, and the hash chain stays intact.
func (s *Store) ErasePerson(ctx context.Context, pseudonym string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM evidence_people WHERE pseudonym = $1`, pseudonym)
	if err != nil {
		return fmt.Errorf("erase person %s: %w", pseudonym, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("person %s: %w", pseudonym, ErrNotFound)
	}
	return nil
}
