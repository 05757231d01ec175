package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestUsersLockoutAndTOTPSteps(t *testing.T) { bothBackends(t, testUsersLockoutAndTOTPSteps) }

func testUsersLockoutAndTOTPSteps(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	u := User{Username: "op.smith", DisplayName: "Sam Smith", Roles: "operator", PasswordHash: "h", CreatedBy: "admin", Created: t0}
	if err := s.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &User{Username: "op.smith", Roles: "operator", PasswordHash: "h", CreatedBy: "admin"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate username: %v", err)
	}
	if err := s.CreateUser(ctx, &User{Username: "Bad Name", Roles: "operator", PasswordHash: "h", CreatedBy: "admin"}); err == nil {
		t.Fatal("a username with spaces and capitals was accepted")
	}
	lock := func(n int) time.Duration {
		if n < 3 {
			return 0
		}
		return time.Minute << (n - 3)
	}
	var got User
	var err error
	for range 4 {
		if got, err = s.LoginFailed(ctx, u.ID, t0, lock); err != nil {
			t.Fatal(err)
		}
	}
	if got.FailedLogins != 4 || !got.LockedUntil.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("after 4 failures: %d, locked until %v", got.FailedLogins, got.LockedUntil)
	}
	if err := s.LoginSucceeded(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.UserByName(ctx, "op.smith"); got.FailedLogins != 0 || !got.LockedUntil.IsZero() {
		t.Fatalf("success did not clear the lock: %+v", got)
	}

	// Ten sign-ins racing with the same code: one step, one winner.
	var wins int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.UseTOTPStep(ctx, u.ID, 1000)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("a TOTP step was accepted %d times", wins)
	}
	if ok, _ := s.UseTOTPStep(ctx, u.ID, 999); ok {
		t.Fatal("an older step was accepted")
	}
	if err := s.SetPassword(ctx, 999, "x", false, t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
}

func TestSessionsExpireAndEndEverywhere(t *testing.T) {
	bothBackends(t, testSessionsExpireAndEndEverywhere)
}

func testSessionsExpireAndEndEverywhere(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	u := User{Username: "sup.jones", Roles: "supervisor", PasswordHash: "h", CreatedBy: "admin"}
	if err := s.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	for i, seen := range []time.Time{t0, t0.Add(-time.Hour), t0} {
		se := Session{IDHash: []byte{byte(i)}, UserID: u.ID, CSRF: "c", Created: t0.Add(-2 * time.Hour), Seen: seen, Expires: t0.Add(time.Hour)}
		if i == 2 {
			se.Expires = t0 // past its absolute end
		}
		if err := s.CreateSession(ctx, se); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteStaleSessions(ctx, t0, t0.Add(-30*time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("stale sessions removed: %d %v", n, err)
	}
	if _, err := s.SessionByHash(ctx, []byte{0}); err != nil {
		t.Fatalf("live session removed: %v", err)
	}
	if n, _ := s.DeleteUserSessions(ctx, u.ID); n != 1 {
		t.Fatalf("logout everywhere ended %d sessions", n)
	}
	if _, err := s.SessionByHash(ctx, []byte{0}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session after logout everywhere: %v", err)
	}
}

func TestTokens(t *testing.T) { bothBackends(t, testTokens) }

func testTokens(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tok := APIToken{Name: "prometheus", Hash: []byte("h1"), Scopes: "metrics.read", Expires: t0.Add(time.Hour), Created: t0, CreatedBy: "admin"}
	if err := s.CreateToken(ctx, &tok); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, &APIToken{Name: "prometheus", Hash: []byte("h2"), Scopes: "x", CreatedBy: "a"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	got, err := s.TokenByHash(ctx, []byte("h1"))
	if err != nil || got.Name != "prometheus" || !got.Revoked.IsZero() {
		t.Fatalf("token: %+v %v", got, err)
	}
	if got, err = s.RevokeToken(ctx, tok.ID, t0); err != nil || !got.Revoked.Equal(t0) {
		t.Fatalf("revoke: %+v %v", got, err)
	}
	// Revoking twice keeps the first time.
	if got, _ = s.RevokeToken(ctx, tok.ID, t0.Add(time.Hour)); !got.Revoked.Equal(t0) {
		t.Fatalf("revoked again: %v", got.Revoked)
	}
	if _, err := s.TokenByHash(ctx, []byte("nope")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
}
