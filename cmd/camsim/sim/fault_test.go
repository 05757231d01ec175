package sim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseFault(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		camera string
		want   Fault
		err    string
	}{
		{spec: "cam003:drop=30s", camera: "cam003", want: Fault{DropEvery: 30 * time.Second}},
		{spec: "cam004:stall=5s/60s", camera: "cam004", want: Fault{StallFor: 5 * time.Second, StallEvery: time.Minute}},
		{spec: "cam004:stall=5s", camera: "cam004", want: Fault{StallFor: 5 * time.Second}},
		{spec: "cam005:corrupt=0.01", camera: "cam005", want: Fault{CorruptRatio: 0.01}},
		{spec: "cam006:jump=10m/30s", camera: "cam006", want: Fault{JumpBy: 10 * time.Minute, JumpEvery: 30 * time.Second}},
		{spec: "cam006:jump=-1h", camera: "cam006", want: Fault{JumpBy: -time.Hour}},
		{spec: "cam007:refuse", camera: "cam007", want: Fault{Refuse: true}},
		{spec: "cam007:refuse=false", camera: "cam007", want: Fault{}},
		{spec: "cam008:auth=user:pa:ss=", camera: "cam008", want: Fault{User: "user", Pass: "pa:ss="}},
		{spec: "cam009:clock=-3s", camera: "cam009", want: Fault{ClockOffset: -3 * time.Second}},
		{spec: "cam010:codec=H265", camera: "cam010", want: Fault{Codec: "h265"}},
		{spec: "cam1000:drop=1s, corrupt=0.5", camera: "cam1000", want: Fault{DropEvery: time.Second, CorruptRatio: 0.5}},
		{spec: "drop=30s", err: "CAMERA:OPTIONS"},
		{spec: "camera3:drop=30s", err: "not a camera name"},
		{spec: "cam3:drop=30s", err: "not a camera name"},
		{spec: "cam000:drop=30s", err: "not a camera name"},
		{spec: "cam003:", err: "no options"},
		{spec: "cam003:drop", err: "not a duration"},
		{spec: "cam003:drop=10ms", err: "shorter than"},
		{spec: "cam003:drop=-1s", err: "negative"},
		{spec: "cam003:stall=5s/5s", err: "less than StallEvery"},
		{spec: "cam003:corrupt=1.5", err: "between 0 and 1"},
		{spec: "cam003:corrupt=NaN", err: "between 0 and 1"},
		{spec: "cam003:jump=0s/10s", err: "JumpBy: zero"},
		{spec: "cam003:jump=25h", err: "JumpBy"},
		{spec: "cam003:auth=user", err: "USER:PASS"},
		{spec: "cam003:auth=:pass", err: "USER:PASS"},
		{spec: "cam003:codec=vp9", err: "Codec"},
		{spec: "cam003:reboot", err: "unknown option"},
		{spec: "cam003:refuse=maybe", err: "refuse"},
	} {
		camera, f, err := ParseFault(tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one containing %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if camera != tc.camera || f != tc.want {
			t.Errorf("%q: %s %+v, want %s %+v", tc.spec, camera, f, tc.camera, tc.want)
		}
	}
}

func TestParseFaultsMerges(t *testing.T) {
	got, err := ParseFaults([]string{"cam003:drop=30s", "cam004:refuse", "cam003:corrupt=0.1,drop=20s"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Fault{
		"cam003": {DropEvery: 20 * time.Second, CorruptRatio: 0.1},
		"cam004": {Refuse: true},
	}
	if len(got) != len(want) || got["cam003"] != want["cam003"] || got["cam004"] != want["cam004"] {
		t.Fatalf("got %+v", got)
	}
	if _, err := ParseFaults([]string{"cam003:drop=30s", "cam003:bogus"}); err == nil {
		t.Fatal("bad second spec accepted")
	}
}

func TestFaultStringRoundTrip(t *testing.T) {
	f := Fault{
		DropEvery: 30 * time.Second, StallFor: 5 * time.Second, StallEvery: time.Minute,
		CorruptRatio: 0.01, JumpBy: -10 * time.Minute, JumpEvery: 30 * time.Second,
		Refuse: true, User: "u", Pass: "p:w", ClockOffset: 1500 * time.Millisecond, Codec: "mjpeg",
	}
	var g Fault
	if err := ParseFaultOptions(f.String(), &g); err != nil || g != f {
		t.Fatalf("%q -> %+v, %v", f.String(), g, err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	var h Fault
	if err := json.Unmarshal(b, &h); err != nil || h != f {
		t.Fatalf("%s -> %+v, %v", b, h, err)
	}
	if string(must(json.Marshal(Fault{}))) != "{}" {
		t.Fatal("zero fault is not {}")
	}
}

func TestFaultJSONErrors(t *testing.T) {
	for _, body := range []string{
		`{"drop_every":30}`,
		`{"drop_every":"30 s"}`,
		`{"dropEvery":"30s"}`,
		`{"corrupt_ratio":"x"}`,
		`[]`,
	} {
		var f Fault
		if err := json.Unmarshal([]byte(body), &f); err == nil {
			t.Errorf("%s accepted", body)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Listen = "" }, "Listen"},
		{func(c *Config) { c.Listen = "8554" }, "Listen"},
		{func(c *Config) { c.UDPRTPAddress = ":8000" }, "UDPRTCPAddress"},
		{func(c *Config) { c.Cameras = 0 }, "Cameras"},
		{func(c *Config) { c.Main.Width = 641 }, "Main.Width"},
		{func(c *Config) { c.Sub.Height = 0 }, "Sub.Height"},
		{func(c *Config) { c.Main.FPS = 0 }, "Main.FPS"},
		{func(c *Config) { c.Sub.GOP = 0 }, "Sub.GOP"},
		{func(c *Config) { c.Main.Bitrate = 10 }, "Main.Bitrate"},
		{func(c *Config) { c.ClipSeconds = 0 }, "ClipSeconds"},
		{func(c *Config) { c.Pass = "x" }, "User"},
		{func(c *Config) { c.Faults = map[string]Fault{"cam005": {Refuse: true}} }, `Faults["cam005"]: no such camera`},
		{func(c *Config) { c.Faults = map[string]Fault{"cam001": {CorruptRatio: -1}} }, "CorruptRatio"},
		{func(c *Config) { c.ControlListen = "0.0.0.0:8555" }, "ControlListen"},
		{func(c *Config) { c.ControlListen = "localhost:0" }, ""},
		{func(c *Config) { c.ControlListen = "[::1]:0" }, ""},
		{func(*Config) {}, ""},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		err := c.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

func TestParseSizeAndBitrate(t *testing.T) {
	if w, h, err := ParseSize("1920x1080"); err != nil || w != 1920 || h != 1080 {
		t.Fatal(w, h, err)
	}
	for _, bad := range []string{"1920", "x1080", "-1x2", "axb"} {
		if _, _, err := ParseSize(bad); err == nil {
			t.Errorf("size %q accepted", bad)
		}
	}
	for in, want := range map[string]int{"4000000": 4_000_000, "4M": 4_000_000, "512k": 512_000, "1.5M": 1_500_000} {
		if got, err := ParseBitrate(in); err != nil || got != want {
			t.Errorf("%q: %d %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "k", "-1M", "fast", "2000M"} {
		if _, err := ParseBitrate(bad); err == nil {
			t.Errorf("bit rate %q accepted", bad)
		}
	}
}

func TestCameraNames(t *testing.T) {
	for i, want := range map[int]string{1: "cam001", 42: "cam042", 999: "cam999", 1000: "cam1000"} {
		if got := CameraName(i); got != want || cameraIndex(got) != i {
			t.Errorf("%d: %s", i, got)
		}
	}
	for _, bad := range []string{"cam", "cam1", "cam01", "cam0001", "cam-01", "Cam001", "cam001x"} {
		if cameraIndex(bad) != 0 {
			t.Errorf("%q parsed as a camera", bad)
		}
	}
}

func TestNTPTimestamp(t *testing.T) {
	tm := time.Date(2025, 3, 30, 1, 0, 0, 500_000_000, time.UTC)
	v := ntpTimestamp(tm)
	if frac := uint32(v); frac != 1<<31 {
		t.Fatalf("fraction of .5 s = %#x", frac)
	}
	if back := ntpToTime(v); !back.Equal(tm) {
		t.Fatalf("round trip %v", back)
	}
}

func FuzzParseFault(f *testing.F) {
	for _, s := range []string{
		"cam003:drop=30s", "cam004:stall=5s/60s", "cam005:corrupt=0.01", "cam006:jump=10m/30s",
		"cam007:refuse", "cam008:auth=user:pass", "cam009:clock=-3s,codec=h265", "cam1:x", ":", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		camera, flt, err := ParseFault(spec)
		if err != nil {
			return
		}
		if cameraIndex(camera) == 0 {
			t.Fatalf("camera %q", camera)
		}
		if err := flt.Validate(); err != nil {
			t.Fatalf("parsed an invalid fault: %v", err)
		}
		// what String prints parses back to the same fault (when there is something to print)
		if flt.IsZero() {
			return
		}
		var again Fault
		if err := ParseFaultOptions(flt.String(), &again); err != nil || again != flt {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", spec, flt, flt.String(), again, err)
		}
	})
}

func FuzzFaultBody(f *testing.F) {
	for _, s := range []string{
		`{"drop_every":"30s"}`, `{"stall_for":"5s","stall_every":"60s"}`, `{"corrupt_ratio":0.01}`,
		`{"refuse":true,"user":"a","pass":"b"}`, `{"clock_offset":"-2s","codec":"h265"}`, `{`,
		"drop=30s,corrupt=0.5", "jump=10m/30s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		flt, err := parseFaultBody("", []byte(body))
		if err != nil {
			return
		}
		if err := flt.Validate(); err != nil {
			t.Fatalf("accepted an invalid fault: %v", err)
		}
		b, err := json.Marshal(flt)
		if err != nil {
			t.Fatal(err)
		}
		var again Fault
		if err := json.Unmarshal(b, &again); err != nil || again != flt {
			t.Fatalf("%s -> %+v, %v", b, again, err)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
