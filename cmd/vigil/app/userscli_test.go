package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// The console reset lets a locked-out administrator back in, and the log says who did it.
func TestResetPasswordAtTheConsole(t *testing.T) {
	c := DefaultConfig()
	c.DataDir = t.TempDir()
	if _, err := KeyGen(c); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(filepath.Join(c.DataDir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.Hasher{Time: 1, MemoryKiB: 64, Threads: 1}.Hash("forgotten password")
	u := store.User{Username: "admin", Roles: "admin", PasswordHash: hash, CreatedBy: "test"}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	// Locked out every way: a lost phone, disabled, a session left behind.
	st.SetTOTP(ctx, u.ID, []byte("lost phone's secret"), nil)
	st.SetUserAccess(ctx, u.ID, "", "admin", "", true)
	st.CreateSession(ctx, store.Session{IDHash: []byte("old"), UserID: u.ID, CSRF: "c", Expires: time.Now().Add(time.Hour)})
	st.Close()

	if _, err := ResetPassword(c, "nobody", "Ops Lead"); err == nil {
		t.Fatal("reset of an unknown user succeeded")
	}
	pw, err := ResetPassword(c, "admin", "Ops Lead")
	if err != nil {
		t.Fatal(err)
	}
	if st, err = store.Open(filepath.Join(c.DataDir, "vigil.db")); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, _ := st.UserByName(ctx, "admin")
	if ok, _ := auth.VerifyPassword(got.PasswordHash, pw); !ok || !got.MustChange || got.TOTPSecret != nil || got.Disabled {
		t.Fatalf("after reset: password ok %v, must change %v, totp %v, disabled %v", ok, got.MustChange, got.TOTPSecret, got.Disabled)
	}
	if _, err := st.SessionByHash(ctx, []byte("old")); err == nil {
		t.Fatal("a session from before the reset survived it")
	}
	l := newEvidenceLog(&c, st, "test")
	l.CheckpointInterval = -1
	if err := l.Open(); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lead, _ := st.PseudonymOf(ctx, "Ops Lead")
	var found bool
	l.Scan(0, l.Size(), func(e evidence.Entry, _ []byte) bool {
		found = found || e.Action == evidence.ActionUserChanged && e.Actor == lead && e.Role == "console"
		return true
	})
	if !found {
		t.Fatal("the console reset is not in the evidence log")
	}
}
