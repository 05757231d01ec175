package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// User is a person who signs in. Roles and Scope are kept as the auth
// package writes them (a comma list; JSON, "" for every camera): the store
// does not interpret them. Users are disabled, never deleted, so the audit
// keeps naming them.
type User struct {
	ID              int64
	Username        string
	DisplayName     string
	Roles           string
	Scope           string
	PasswordHash    string
	MustChange      bool // the next sign-in must set a new password
	TOTPSecret      []byte
	TOTPPending     []byte // enrolled, not yet confirmed with a code
	TOTPLastStep    int64  // the last time step accepted: no code is used twice
	FailedLogins    int
	LockedUntil     time.Time
	Disabled        bool
	PasswordChanged time.Time
	Created         time.Time
	CreatedBy       string
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// ValidUsername reports whether name can be a username: 2-64 lower-case
// letters, digits, dot, dash or underscore.
func ValidUsername(name string) bool { return usernamePattern.MatchString(name) }

const userColumns = `id, username, display_name, roles, scope, password_hash, must_change, totp_secret,
	totp_pending, totp_last_step, failed_logins, locked_until_us, disabled, password_changed_us, created_us, created_by`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var locked, changed, created int64
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Roles, &u.Scope, &u.PasswordHash, &u.MustChange,
		&u.TOTPSecret, &u.TOTPPending, &u.TOTPLastStep, &u.FailedLogins, &locked, &u.Disabled, &changed, &created, &u.CreatedBy)
	if err != nil {
		return User{}, err
	}
	if locked != 0 {
		u.LockedUntil = fromMicros(locked)
	}
	u.PasswordChanged, u.Created = fromMicros(changed), fromMicros(created)
	return u, nil
}

// CreateUser adds a user; ErrExists if the username is taken.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if !ValidUsername(u.Username) {
		return FieldErrors{{Field: "username", Msg: fmt.Sprintf("%q must be 2-64 lower-case letters, digits, . _ -", u.Username)}}
	}
	if u.PasswordHash == "" || u.Roles == "" || u.CreatedBy == "" {
		return errors.New("create user: password hash, roles and creator are required")
	}
	if u.Created.IsZero() {
		u.Created = time.Now()
	}
	u.PasswordChanged = u.Created
	err := s.db.QueryRowContext(ctx, `INSERT INTO users (username, display_name, roles, scope, password_hash,
		must_change, password_changed_us, created_us, created_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$7,$8)
		ON CONFLICT (username) DO NOTHING RETURNING id`,
		u.Username, u.DisplayName, u.Roles, u.Scope, u.PasswordHash, boolInt(u.MustChange), toMicros(u.Created), u.CreatedBy).Scan(&u.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("user %s: %w", u.Username, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Username, err)
	}
	return nil
}

// UserByName returns a user; ErrNotFound if there is none.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	return s.userWhere(ctx, "username = $1", username)
}

// UserByID returns a user; ErrNotFound if there is none.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	return s.userWhere(ctx, "id = $1", id)
}

func (s *Store) userWhere(ctx context.Context, where string, arg any) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %v: %w", arg, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("user %v: %w", arg, err)
	}
	return u, nil
}

// Users lists every user by username.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetPassword stores a new password hash; mustChange asks for another
// change at the next sign-in (a reset by an administrator).
func (s *Store) SetPassword(ctx context.Context, id int64, hash string, mustChange bool, now time.Time) error {
	return s.updateUser(ctx, id, `password_hash = $2, must_change = $3, password_changed_us = $4,
		failed_logins = 0, locked_until_us = 0`, hash, boolInt(mustChange), toMicros(now))
}

// SetUserAccess changes what a user is and may see.
func (s *Store) SetUserAccess(ctx context.Context, id int64, displayName, roles, scope string, disabled bool) error {
	return s.updateUser(ctx, id, `display_name = $2, roles = $3, scope = $4, disabled = $5`,
		displayName, roles, scope, boolInt(disabled))
}

// SetTOTP stores the confirmed and pending second-factor secrets (nil to
// clear either).
func (s *Store) SetTOTP(ctx context.Context, id int64, secret, pending []byte) error {
	return s.updateUser(ctx, id, `totp_secret = $2, totp_pending = $3`, secret, pending)
}

// UseTOTPStep records that the code of a time step was used, once: false
// if that step (or a later one) was already used, so a code seen twice,
// even by two sign-ins at once, lets only one through.
func (s *Store) UseTOTPStep(ctx context.Context, id int64, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2`, id, step)
	if err != nil {
		return false, fmt.Errorf("user %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// LoginFailed counts a failed sign-in and, from the threshold on, locks the
// account for lockFor(failures). It returns the user as updated.
func (s *Store) LoginFailed(ctx context.Context, id int64, now time.Time, lockFor func(failures int) time.Duration) (User, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return User{}, err
	}
	defer tx.Rollback()
	var fails int
	if err := tx.QueryRowContext(ctx, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1
		RETURNING failed_logins`, id).Scan(&fails); err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	if d := lockFor(fails); d > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET locked_until_us = $2 WHERE id = $1`, id, toMicros(now.Add(d))); err != nil {
			return User{}, fmt.Errorf("user %d: %w", id, err)
		}
	}
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, tx.Commit()
}

// LoginSucceeded clears the failure count.
func (s *Store) LoginSucceeded(ctx context.Context, id int64) error {
	return s.updateUser(ctx, id, `failed_logins = 0, locked_until_us = 0`)
}

func (s *Store) updateUser(ctx context.Context, id int64, set string, args ...any) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET `+set+` WHERE id = $1`, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("user %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return nil
}
