package onvif

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestGetSystemDateAndTime(t *testing.T) {
	cases := []struct {
		style string
		skew  time.Duration
		ntp   bool
	}{
		{"hik", 2 * time.Hour, true},
		{"dahua", -90 * time.Second, false},
		{"axis", 0, true},
	}
	for _, c := range cases {
		t.Run(c.style, func(t *testing.T) {
			f := newFakeCam(t, c.style, func(f *fakeCam) { f.skew = c.skew })
			cl := f.client(t, "", "")
			dt, err := cl.GetSystemDateAndTime(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			// The device reports whole seconds: the offset is the skew less
			// up to a second, give or take the round trip.
			if d := dt.Offset - c.skew; d < -3*time.Second || d > 2*time.Second {
				t.Errorf("offset %v, skew %v", dt.Offset, c.skew)
			}
			if dt.NTP != c.ntp {
				t.Errorf("NTP %v", dt.NTP)
			}
			if off, ok := cl.ClockOffset(); !ok || off != dt.Offset {
				t.Errorf("ClockOffset %v %v", off, ok)
			}
			if calls := f.callLog(); len(calls) != 1 || calls[0].auth != "none" {
				t.Errorf("calls %+v; want one unauthenticated", calls)
			}
		})
	}
}

func TestGetSystemDateAndTimeOffsetUsesMidpoint(t *testing.T) {
	f := newFakeCam(t, "hik", func(f *fakeCam) { f.skew = time.Hour })
	// A local clock that moves 10 s per reading: the request "takes" 10 s
	// and its midpoint is 5 s after the first reading.
	base := time.Now()
	var mu sync.Mutex
	n := 0
	cl := f.client(t, "", "", func(c *Config) {
		c.Now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			n++
			return base.Add(time.Duration(n-1) * 10 * time.Second)
		}
	})
	dt, err := cl.GetSystemDateAndTime(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if dt.RoundTrip != 10*time.Second {
		t.Fatalf("RoundTrip %v", dt.RoundTrip)
	}
	want := dt.UTC.Sub(base.Add(5 * time.Second))
	if dt.Offset != want {
		t.Fatalf("Offset %v, want %v", dt.Offset, want)
	}
}

func TestGetDeviceInformation(t *testing.T) {
	want := map[string]DeviceInfo{
		"hik":   {"HIKVISION", "DS-2DE4A425IW-DE", "V5.6.15 build 200731", "DS-2DE4A425IW-DE20200815CCWRE12345678W", "88"},
		"dahua": {"General", "IPC-HFW2431S-S-S2", "2.800.0000000.24.R, Build Date 2021-03-04", "6J0A5D3PAG12345", "1.00"},
		"axis":  {"AXIS", "Q6135-LE", "10.12.114", "ACCC8EF0A1B2", "74F"},
	}
	for style, w := range want {
		t.Run(style, func(t *testing.T) {
			f := newFakeCam(t, style)
			got, err := f.client(t, f.user, f.pass).GetDeviceInformation(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got != w {
				t.Fatalf("got %+v", got)
			}
		})
	}
}

func TestServices(t *testing.T) {
	cases := []struct {
		style, media, ptz string
		ops               []string // the requests made, in order, after the clock
	}{
		{"hik", "/onvif/Media", "/onvif/PTZ", []string{"GetServices"}},
		{"dahua", "/onvif/media_service", "", []string{"GetServices"}},
		// No GetServices: the fault sends the client to GetCapabilities,
		// whose Media XAddr comes with whitespace around it.
		{"axis", "/vapix/services", "/vapix/services", []string{"GetServices", "GetCapabilities"}},
	}
	for _, c := range cases {
		t.Run(c.style, func(t *testing.T) {
			f := newFakeCam(t, c.style)
			cl := f.client(t, f.user, f.pass)
			s, err := cl.Services(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := Services{Media: f.srv.URL + c.media}
			if c.ptz != "" {
				want.PTZ = f.srv.URL + c.ptz
			}
			if s != want {
				t.Fatalf("got %+v, want %+v", s, want)
			}
			var ops []string
			for _, call := range f.callLog() {
				if call.op != "GetSystemDateAndTime" {
					ops = append(ops, call.op)
				}
			}
			if !equalStrings(ops, c.ops) {
				t.Fatalf("ops %v, want %v", ops, c.ops)
			}
			// Remembered: asking again costs nothing.
			f.reset()
			if _, err := cl.Services(context.Background()); err != nil || len(f.callLog()) != 0 {
				t.Fatalf("second Services: err %v, %d calls", err, len(f.callLog()))
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
