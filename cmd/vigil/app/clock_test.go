package app

import (
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// Each running camera's clock offset is recorded when first seen, again
// only when it changes or an hour has passed, so an export finds the
// offset in effect when its footage was recorded.
func TestClockOffsetsAreRecordedAsTheyChange(t *testing.T) {
	a, _ := startApp(t, "")
	ctx := t.Context()
	waitUntil(t, 20*time.Second, "cam001's clock offset measured", func() bool {
		_, _, ok := a.clockOffset("cam001")
		return ok
	})
	now := time.Now()
	a.clocks.sample(ctx, now)
	a.clocks.sample(ctx, now.Add(time.Minute)) // unchanged: not recorded again
	got, err := a.store.ClockOffsets(ctx, "cam001", now.Add(-time.Hour), now.Add(3*time.Hour))
	if err != nil || len(got) != 1 {
		t.Fatalf("offsets after two samples a minute apart: %+v %v", got, err)
	}
	secs, source, _ := a.clockOffset("cam001")
	if got[0].Source != source || (got[0].Offset-time.Duration(secs*float64(time.Second))).Abs() > 50*time.Millisecond {
		t.Fatalf("recorded %+v, measured %v s from %s", got[0], secs, source)
	}
	a.clocks.sample(ctx, now.Add(2*time.Hour)) // an hour on: recorded again
	if got, _ := a.store.ClockOffsets(ctx, "cam001", now.Add(-time.Hour), now.Add(3*time.Hour)); len(got) != 2 {
		t.Fatalf("offsets after an hour: %+v", got)
	}
}

func TestWhichClockOffsetsAreWorthRecording(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	last := store.ClockOffset{At: t0, Offset: 40 * time.Millisecond, Source: "rtcp-sr"}
	for _, tc := range []struct {
		name  string
		after time.Duration
		off   time.Duration
		src   string
		want  bool
	}{
		{"jitter", time.Minute, 55 * time.Millisecond, "rtcp-sr", false},
		{"a change, soon", time.Minute, 70 * time.Millisecond, "rtcp-sr", false},
		{"a change, after the quiet", 5 * time.Minute, 70 * time.Millisecond, "rtcp-sr", true},
		{"jitter, after the quiet", 5 * time.Minute, 50 * time.Millisecond, "rtcp-sr", false},
		{"a step", 30 * time.Second, 400 * time.Millisecond, "rtcp-sr", true},
		{"another source", 30 * time.Second, 40 * time.Millisecond, "onvif", true},
		{"an hour on", time.Hour, 40 * time.Millisecond, "rtcp-sr", true},
	} {
		o := store.ClockOffset{At: t0.Add(tc.after), Offset: tc.off, Source: tc.src}
		if got := worthRecording(last, o); got != tc.want {
			t.Errorf("%s: worth recording %v, want %v", tc.name, got, tc.want)
		}
	}
}
