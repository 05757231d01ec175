package store

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func addAlert(t *testing.T, s *Store, camera string, at time.Time, thumb []byte) Alert {
	t.Helper()
	a := Alert{At: at, Camera: camera, Kind: AlertTamper, Rule: EventTamperCovered, Severity: SeverityWarning,
		Message: "camera " + camera + " covered", EventID: 7, Thumbnail: thumb}
	if err := s.AddAlert(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAddAlertValidates(t *testing.T) { bothBackends(t, testAddAlertValidates) }

func testAddAlertValidates(t *testing.T) {
	s, _ := openTemp(t)
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		edit  func(*Alert)
		field string // "" = valid
	}{
		{"valid", func(*Alert) {}, ""},
		{"no time", func(a *Alert) { a.At = time.Time{} }, "at"},
		{"bad camera", func(a *Alert) { a.Camera = "Cam 1" }, "camera"},
		{"no kind", func(a *Alert) { a.Kind = "" }, "kind"},
		{"bad severity", func(a *Alert) { a.Severity = "urgent" }, "severity"},
		{"no message", func(a *Alert) { a.Message = "" }, "message"},
		{"invalid UTF-8", func(a *Alert) { a.Message = "\xff" }, "message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Alert{At: t0, Camera: "cam001", Kind: AlertActivity, Rule: "night doorway", Severity: SeverityInfo, Message: "busy"}
			tc.edit(&a)
			err := s.AddAlert(context.Background(), &a)
			var fe FieldErrors
			switch {
			case tc.field == "" && err != nil:
				t.Fatal(err)
			case tc.field != "" && (!errors.As(err, &fe) || fe[0].Field != tc.field):
				t.Fatalf("got %v, want a field error on %s", err, tc.field)
			case tc.field == "" && a.ID == 0:
				t.Fatal("no ID set")
			}
		})
	}
}

func TestAlertRoundTrip(t *testing.T) { bothBackends(t, testAlertRoundTrip) }

func testAlertRoundTrip(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 123000, time.UTC)
	jpeg := []byte{0xff, 0xd8, 0xff, 0xd9}
	a := addAlert(t, s, "cam001", t0, jpeg)
	b := addAlert(t, s, "cam002", t0.Add(time.Minute), nil)

	got, err := s.Alert(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.At.Equal(t0) || got.Camera != "cam001" || got.Kind != AlertTamper || got.Rule != EventTamperCovered ||
		got.Severity != SeverityWarning || got.EventID != 7 || !got.Acked.IsZero() {
		t.Fatalf("alert read back as %+v", got)
	}
	if got.Thumbnail == nil || len(got.Thumbnail) != 0 {
		t.Fatalf("thumbnail %v: want a non-nil, empty marker", got.Thumbnail)
	}
	if other, _ := s.Alert(ctx, b.ID); other.Thumbnail != nil {
		t.Fatal("an alert without a thumbnail is marked as having one")
	}
	cam, img, err := s.AlertThumbnail(ctx, a.ID)
	if err != nil || cam != "cam001" || !bytes.Equal(img, jpeg) {
		t.Fatalf("thumbnail: %q %x %v", cam, img, err)
	}
	if _, _, err := s.AlertThumbnail(ctx, b.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no thumbnail: %v, want ErrNotFound", err)
	}
	if _, err := s.Alert(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no alert: %v, want ErrNotFound", err)
	}
}

func TestAlertsFilter(t *testing.T) { bothBackends(t, testAlertsFilter) }

func testAlertsFilter(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	var ids []int64
	for i, cam := range []string{"cam001", "cam002", "cam001", "cam003"} {
		ids = append(ids, addAlert(t, s, cam, t0.Add(time.Duration(i)*time.Minute), nil).ID)
	}
	if _, err := s.AckAlert(ctx, ids[2], "op.patel", "checked", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	idsOf := func(f AlertFilter) []int64 {
		t.Helper()
		list, err := s.Alerts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    AlertFilter
		want []int64
	}{
		{"all, newest first", AlertFilter{}, []int64{ids[3], ids[2], ids[1], ids[0]}},
		{"cameras", AlertFilter{Cameras: []string{"cam001", "cam003"}}, []int64{ids[3], ids[2], ids[0]}},
		{"no cameras", AlertFilter{Cameras: []string{}}, nil},
		{"since", AlertFilter{Since: t0.Add(2 * time.Minute)}, []int64{ids[3], ids[2]}},
		{"unacked", AlertFilter{Unacked: true}, []int64{ids[3], ids[1], ids[0]}},
		{"limit", AlertFilter{Limit: 2}, []int64{ids[3], ids[2]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := idsOf(tc.f)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestAckAlert(t *testing.T) { bothBackends(t, testAckAlert) }

func testAckAlert(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 22, 0, 0, 0, time.UTC)
	a := addAlert(t, s, "cam001", t0, nil)
	if _, err := s.AckAlert(ctx, a.ID, "op.patel", "  ", t0); err == nil {
		t.Fatal("an acknowledgement without a note was taken")
	}
	if _, err := s.AckAlert(ctx, 999, "op.patel", "ok", t0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no alert: %v, want ErrNotFound", err)
	}
	// Two people at once: exactly one wins, the other learns who did.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, who := range []string{"op.patel", "op.jones"} {
		wg.Go(func() { _, errs[i] = s.AckAlert(ctx, a.ID, who, "sent a patrol", t0.Add(time.Minute)) })
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("errors %v: want exactly one acknowledgement", errs)
	}
	for _, err := range errs {
		if err != nil && !errors.Is(err, ErrAlreadyAcked) {
			t.Fatalf("second acknowledgement: %v, want ErrAlreadyAcked", err)
		}
	}
	got, err := s.Alert(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Acked.Equal(t0.Add(time.Minute)) || got.AckNote != "sent a patrol" || (got.AckedBy != "op.patel" && got.AckedBy != "op.jones") {
		t.Fatalf("acknowledged as %+v", got)
	}
}
