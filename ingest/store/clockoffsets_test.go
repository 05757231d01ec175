package store

import (
	"context"
	"testing"
	"time"
)

// An export asks what a camera's clock offset was over its footage: the
// measurement in effect at the start, then every later one in the range.
func TestClockOffsetsOverARange(t *testing.T) { bothBackends(t, testClockOffsetsOverARange) }

func testClockOffsetsOverARange(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	t0 := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC) // the night the clocks go back
	for i, ms := range []int{12, 15, 40, 41} {
		o := ClockOffset{Camera: "cam001", At: t0.Add(time.Duration(i) * time.Hour), Offset: time.Duration(ms) * time.Millisecond, Source: "rtcp-sr"}
		if err := s.AddClockOffset(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddClockOffset(ctx, ClockOffset{Camera: "cam002", At: t0, Offset: time.Second, Source: "onvif"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClockOffsets(ctx, "cam001", t0.Add(90*time.Minute), t0.Add(3*time.Hour))
	if err != nil || len(got) != 3 || got[0].Offset != 15*time.Millisecond || got[1].Offset != 40*time.Millisecond ||
		got[2].Offset != 41*time.Millisecond || !got[0].At.Equal(t0.Add(time.Hour)) || got[0].Source != "rtcp-sr" {
		t.Fatalf("offsets over the range: %+v %v", got, err)
	}
	// Before the first measurement: only those within the range.
	if got, _ := s.ClockOffsets(ctx, "cam001", t0.Add(-time.Hour), t0); len(got) != 1 || got[0].Offset != 12*time.Millisecond {
		t.Fatalf("offsets from before the first: %+v", got)
	}
	if got, _ := s.ClockOffsets(ctx, "cam003", t0, t0.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("offsets of a camera never measured: %+v", got)
	}
	if err := s.AddClockOffset(ctx, ClockOffset{Camera: "cam001", At: t0}); err == nil {
		t.Fatal("a measurement without a source was recorded")
	}
}
