package app

import (
	"context"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/locker"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ui/auth"
)

// ResetPassword is the console's way back in (a forgotten administrator
// password, a locked-out account): a new temporary password, to change
// at the next sign-in; the lockout and second factor are cleared, the
// account re-enabled, and every session ended. Like the evidence
// commands it needs the service stopped, so the change is logged.
func ResetPassword(c Config, username, by string) (string, error) {
	var password string
	err := withEvidence(c, func(l *locker.Log, st *store.Store) error {
		ctx := context.Background()
		u, err := st.UserByName(ctx, username)
		if err != nil {
			return err
		}
		password = auth.RandomPasswordFor(u.Username)
		hash, err := auth.Hasher{}.Hash(password)
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, u.ID, hash, true, time.Now()); err != nil {
			return err
		}
		if err := st.SetUserAccess(ctx, u.ID, u.DisplayName, u.Roles, u.Scope, false); err != nil {
			return err
		}
		if err := st.SetTOTP(ctx, u.ID, nil, nil); err != nil {
			return err
		}
		if _, err := st.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		actor, err := st.Pseudonym(ctx, by)
		if err != nil {
			return err
		}
		target, err := st.Pseudonym(ctx, u.Username)
		if err != nil {
			return err
		}
		_, err = l.Append(ctx, &evidence.Entry{Action: evidence.ActionUserChanged, Actor: actor, Role: "console",
			Ref: "user/" + target, Detail: "password reset at the server console; second factor removed; account enabled; sessions ended"})
		return err
	})
	return password, err
}
