package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"
)

// approvedRequest adds a request and approves it.
func approvedRequest(t *testing.T, s *Store, id string, now time.Time) {
	t.Helper()
	addExportRequest(t, s, goodExportRequest(id, now))
	if _, err := s.DecideExportRequest(context.Background(), id, true, "sgt.khan", "ok",
		now.Add(30*24*time.Hour), now, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func addLink(t *testing.T, s *Store, token string, l DownloadLink) {
	t.Helper()
	if err := s.AddDownloadLink(context.Background(), tokenHash(token), l); err != nil {
		t.Fatal(err)
	}
}

func TestAddDownloadLinkValidates(t *testing.T) { bothBackends(t, testAddDownloadLinkValidates) }

func testAddDownloadLinkValidates(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
	approvedRequest(t, s, "approved", now)
	addExportRequest(t, s, goodExportRequest("undecided", now))
	good := DownloadLink{RequestID: "approved", CreatedBy: "sgt.khan", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, tc := range []struct {
		name  string
		hash  []byte
		edit  func(*DownloadLink)
		field string
		want  error
	}{
		{"valid", tokenHash("a"), func(*DownloadLink) {}, "", nil},
		{"same hash", tokenHash("a"), func(*DownloadLink) {}, "", ErrExists},
		{"short hash", []byte("abc"), func(*DownloadLink) {}, "token_hash", nil},
		{"no creator", tokenHash("b"), func(l *DownloadLink) { l.CreatedBy = " " }, "created_by", nil},
		{"no request", tokenHash("b"), func(l *DownloadLink) { l.RequestID = "" }, "request_id", nil},
		{"expires at creation", tokenHash("b"), func(l *DownloadLink) { l.ExpiresAt = now }, "expires_at", nil},
		{"unknown request", tokenHash("b"), func(l *DownloadLink) { l.RequestID = "nope" }, "", ErrNotFound},
		{"request not approved", tokenHash("b"), func(l *DownloadLink) { l.RequestID = "undecided" }, "", ErrNotApproved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := good
			tc.edit(&l)
			err := s.AddDownloadLink(ctx, tc.hash, l)
			var fe FieldErrors
			switch {
			case tc.field == "" && tc.want == nil && err != nil:
				t.Fatalf("rejected: %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("got %v, want %v", err, tc.want)
			case tc.field != "" && (!errors.As(err, &fe) || len(fe) != 1 || fe[0].Field != tc.field):
				t.Fatalf("got %v, want one error on %s", err, tc.field)
			}
		})
	}
}

func TestUseDownloadLink(t *testing.T) { bothBackends(t, testUseDownloadLink) }

func testUseDownloadLink(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 2, 9, 0, 0, 0, time.UTC)
	expires := now.Add(24 * time.Hour)
	approvedRequest(t, s, "req", now)
	addLink(t, s, "once", DownloadLink{RequestID: "req", CreatedBy: "sgt.khan", CreatedAt: now, ExpiresAt: expires, OneTime: true})
	addLink(t, s, "day", DownloadLink{RequestID: "req", CreatedBy: "sgt.khan", CreatedAt: now, ExpiresAt: expires})
	addLink(t, s, "once-unused", DownloadLink{RequestID: "req", CreatedBy: "sgt.khan", CreatedAt: now, ExpiresAt: expires, OneTime: true})

	first := now.Add(time.Minute)
	for _, tc := range []struct {
		name  string
		token string
		at    time.Time
		want  error
		uses  int
	}{
		{"one-time, first use", "once", first, nil, 1},
		{"one-time, again", "once", now.Add(2 * time.Minute), ErrLinkUsed, 1},
		{"one-time, again after expiry", "once", expires, ErrLinkUsed, 1},
		{"time-limited, first", "day", first, nil, 1},
		{"time-limited, second", "day", now.Add(time.Hour), nil, 2},
		{"time-limited, last microsecond", "day", expires.Add(-time.Microsecond), nil, 3},
		{"time-limited, at expiry", "day", expires, ErrLinkExpired, 3},
		{"time-limited, after expiry", "day", expires.Add(time.Hour), ErrLinkExpired, 3},
		{"one-time, unused, expired", "once-unused", expires, ErrLinkExpired, 0},
		{"unknown", "guess", first, ErrNotFound, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := s.UseDownloadLink(ctx, tokenHash(tc.token), tc.at)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if l.Uses != tc.uses {
				t.Fatalf("uses = %d, want %d", l.Uses, tc.uses)
			}
			if tc.uses > 0 && (!l.UsedAt.Equal(first) || l.RequestID != "req" || !l.ExpiresAt.Equal(expires) ||
				!l.CreatedAt.Equal(now) || l.CreatedBy != "sgt.khan") {
				t.Fatalf("link %+v", l)
			}
		})
	}
}

func TestOneTimeLinkRace(t *testing.T) { bothBackends(t, testOneTimeLinkRace) }

func testOneTimeLinkRace(t *testing.T) {
	s, _ := openTemp(t)
	now := time.Now()
	approvedRequest(t, s, "req", now)
	addLink(t, s, "once", DownloadLink{RequestID: "req", CreatedBy: "sgt.khan", CreatedAt: now,
		ExpiresAt: now.Add(time.Hour), OneTime: true})
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = s.UseDownloadLink(context.Background(), tokenHash("once"), now) })
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrLinkUsed):
			t.Fatalf("use %d: %v, want ErrLinkUsed", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d uses succeeded, want 1", ok)
	}
	var uses int
	if err := s.db.QueryRow(`SELECT uses FROM download_links`).Scan(&uses); err != nil || uses != 1 {
		t.Fatalf("stored uses = %d %v", uses, err)
	}
}
