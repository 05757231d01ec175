package alerts

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigil-cctv/vigil/ingest/store"
)

// newService runs a Service on a fresh SQLite store.
func newService(t *testing.T, wh Webhook) *Service {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &Service{Store: st, Webhook: wh, Registerer: prometheus.NewRegistry()}
	if err := s.Initialize(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func tamper(camera string) store.Alert {
	return store.Alert{Camera: camera, Kind: store.AlertTamper, Rule: store.EventTamperCovered,
		Severity: store.SeverityWarning, Message: "camera " + camera + " is covered"}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func receive(t *testing.T, ch <-chan Message) Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("stream closed")
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}
	return Message{}
}

func TestRaiseStoresAndStreams(t *testing.T) {
	s := newService(t, Webhook{})
	ctx := context.Background()
	ch, cancel := s.Subscribe()
	defer cancel()
	if got := testutil.ToFloat64(s.subGauge); got != 1 {
		t.Fatalf("subscribers gauge %v, want 1", got)
	}
	a := tamper("cam001")
	a.Thumbnail = []byte{0xff, 0xd8, 0xff, 0xd9}
	raised, err := s.Raise(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if raised.ID == 0 || raised.At.IsZero() {
		t.Fatalf("raised %+v: want an ID and a time", raised)
	}
	m := receive(t, ch)
	if m.Type != TypeAlert || m.Alert.ID != raised.ID || m.Alert.Thumbnail == nil || len(m.Alert.Thumbnail) != 0 {
		t.Fatalf("streamed %+v: want the alert, its thumbnail only marked", m)
	}
	list, err := s.List(ctx, store.AlertFilter{Unacked: true})
	if err != nil || len(list) != 1 || list[0].ID != raised.ID {
		t.Fatalf("list %+v, %v", list, err)
	}
	if got := testutil.ToFloat64(s.raised.WithLabelValues(store.AlertTamper, store.SeverityWarning)); got != 1 {
		t.Fatalf("vigil_alerts_total %v, want 1", got)
	}

	acked, err := s.Ack(ctx, raised.ID, "op.patel", "patrol sent")
	if err != nil || acked.AckedBy != "op.patel" || acked.Acked.IsZero() {
		t.Fatalf("ack: %+v, %v", acked, err)
	}
	if m := receive(t, ch); m.Type != TypeAck || m.Alert.ID != raised.ID || m.Alert.AckNote != "patrol sent" {
		t.Fatalf("streamed %+v: want the acknowledgement", m)
	}
	if _, err := s.Ack(ctx, raised.ID, "op.jones", "me too"); !errors.Is(err, store.ErrAlreadyAcked) {
		t.Fatalf("second ack: %v, want ErrAlreadyAcked", err)
	}
	if _, err := s.Raise(ctx, store.Alert{Camera: "cam001"}); err == nil {
		t.Fatal("an alert without kind, severity or message was raised")
	}
}

func TestSlowSubscriberIsCutOff(t *testing.T) {
	s := newService(t, Webhook{})
	ctx := context.Background()
	slow, cancelSlow := s.Subscribe()
	defer cancelSlow()
	fast, cancelFast := s.Subscribe()
	defer cancelFast()
	got := make(chan int)
	go func() {
		n := 0
		for range fast {
			if n++; n == SubscriberQueue+5 {
				break
			}
		}
		got <- n
	}()
	for range SubscriberQueue + 5 {
		if _, err := s.Raise(ctx, tamper("cam002")); err != nil {
			t.Fatal(err)
		}
	}
	if n := <-got; n != SubscriberQueue+5 {
		t.Fatalf("the reading subscriber got %d messages", n)
	}
	n := 0
	for range slow {
		n++
	}
	if n != SubscriberQueue {
		t.Fatalf("the slow subscriber got %d messages before its stream closed, want %d", n, SubscriberQueue)
	}
	if c := testutil.ToFloat64(s.cut); c != 1 {
		t.Fatalf("cut off %v, want 1", c)
	}
	if g := testutil.ToFloat64(s.subGauge); g != 1 {
		t.Fatalf("subscribers gauge %v, want 1", g)
	}
	cancelSlow() // after the cut: harmless
}

func TestCloseEndsStreams(t *testing.T) {
	s := newService(t, Webhook{})
	ch, cancel := s.Subscribe()
	defer cancel()
	s.Close()
	if _, ok := <-ch; ok {
		t.Fatal("stream still open after Close")
	}
	if _, err := s.Raise(context.Background(), tamper("cam001")); !errors.Is(err, ErrClosed) {
		t.Fatalf("raise after close: %v, want ErrClosed", err)
	}
	if late, _ := s.Subscribe(); late != nil {
		if _, ok := <-late; ok {
			t.Fatal("a stream opened after Close")
		}
	}
	if g := testutil.ToFloat64(s.subGauge); g != 0 {
		t.Fatalf("subscribers gauge %v, want 0", g)
	}
}
