package evidence

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func sampleEntry() Entry {
	e := Entry{Seq: 41, Time: time.Date(2026, 3, 29, 0, 59, 59, 123456000, time.UTC), Action: ActionSegmentSealed,
		Actor: ActorRecorder, Camera: "cam001",
		From: time.Date(2026, 3, 29, 0, 55, 0, 0, time.UTC), To: time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),
		ObjectBytes: 12345, Ref: "cam001/2026/03/29/20260329T005500Z_7.mp4"}
	e.ObjectSHA256[0], e.Prev[31] = 0xab, 0xcd
	return e
}

func TestEntryRoundTrip(t *testing.T) {
	e := sampleEntry()
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("VGE\x01")) {
		t.Fatalf("magic %q", b[:4])
	}
	got, err := DecodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	if got != e {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
	}
	// No range, no object: zeros, and back.
	e2 := Entry{Time: e.Time, Action: ActionLogin, Actor: Pseudonym([]byte("salt"), "A. Operator"), Role: "operator"}
	b2, _ := e2.Encode()
	if got, err := DecodeEntry(b2); err != nil || got != e2 {
		t.Fatalf("%v %+v", err, got)
	}
}

func TestEntryRejects(t *testing.T) {
	good, _ := func() ([]byte, error) { e := sampleEntry(); return e.Encode() }()
	for name, b := range map[string][]byte{
		"empty":        nil,
		"magic":        append([]byte("VGE\x02"), good[4:]...),
		"truncated":    good[:len(good)-1],
		"trailing":     append(append([]byte(nil), good...), 0),
		"huge field":   append(append([]byte(nil), good[:20]...), 0xff, 0xff, 0xff, 0xff),
		"invalid utf8": bytes.Replace(good, []byte("cam001"), []byte("cam\xff01"), 1),
	} {
		if _, err := DecodeEntry(b); !errors.Is(err, ErrBadEntry) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, e := range map[string]Entry{
		"no time":     {Action: ActionLogin, Actor: "x"},
		"no actor":    {Time: time.Now(), Action: ActionLogin},
		"half range":  {Time: time.Now(), Action: ActionLogin, Actor: "x", From: time.Now()},
		"long reason": {Time: time.Now(), Action: ActionLogin, Actor: "x", Reason: strings.Repeat("a", MaxFieldBytes+1)},
	} {
		if _, err := e.Encode(); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
}

func TestPseudonymHidesTheName(t *testing.T) {
	a, b := Pseudonym([]byte("s1"), "PC 123 Smith"), Pseudonym([]byte("s2"), "PC 123 Smith")
	if a == b || strings.Contains(a, "Smith") || !strings.HasPrefix(a, "person:") || len(a) != len("person:")+64 {
		t.Fatalf("%s %s", a, b)
	}
}

func FuzzDecodeEntry(f *testing.F) {
	e := sampleEntry()
	b, _ := e.Encode()
	f.Add(b)
	f.Add([]byte("VGE\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b)
		if err != nil {
			return
		}
		again, err := e.Encode()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decoded entry does not re-encode to its bytes: %v", err)
		}
	})
}
