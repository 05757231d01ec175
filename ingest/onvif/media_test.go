package onvif

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestGetProfiles(t *testing.T) {
	cases := map[string][]Profile{
		"hik": {
			{Token: "Profile_1", Name: "mainStream", Encoding: "H264", Width: 2560, Height: 1440, FrameRate: 25, BitrateKbps: 6144, VideoSource: "VideoSource_1", PTZConfig: "PTZToken", HasPTZConfig: true},
			{Token: "Profile_2", Name: "subStream", Encoding: "H264", Width: 640, Height: 360, FrameRate: 25, BitrateKbps: 512, VideoSource: "VideoSource_1", PTZConfig: "PTZToken", HasPTZConfig: true},
			{Token: "Profile_3", Name: "thirdStream", Encoding: "JPEG", Width: 1280, Height: 720, FrameRate: 12, BitrateKbps: 1024, VideoSource: "VideoSource_1", PTZConfig: "PTZToken", HasPTZConfig: true},
		},
		"dahua": {
			{Token: "MediaProfile000", Name: "MainStream", Encoding: "H264", Width: 2688, Height: 1520, FrameRate: 20, BitrateKbps: 4096, VideoSource: "000"},
			{Token: "MediaProfile001", Name: "SubStream", Encoding: "H264", Width: 704, Height: 576, FrameRate: 20, BitrateKbps: 512, VideoSource: "000"},
			{Token: "MediaProfile002", Name: "SubStream2", Encoding: "H264", Width: 704, Height: 576, FrameRate: 25, BitrateKbps: 768, VideoSource: "000"},
			{Token: "MediaProfile003", Name: "AudioOnly", VideoSource: "000"},
		},
		"axis": {
			{Token: "profile_1_h264", Name: "profile_1 h264", Encoding: "H264", Width: 1920, Height: 1080, FrameRate: 30, VideoSource: "0", PTZConfig: "1", HasPTZConfig: true},
			{Token: "profile_1_jpeg", Name: "profile_1 jpeg", Encoding: "JPEG", Width: 1920, Height: 1080, FrameRate: 30, VideoSource: "0", PTZConfig: "1", HasPTZConfig: true},
			{Token: "profile_2_h264", Name: "profile_2 h264", Encoding: "H264", Width: 480, Height: 270, FrameRate: 15, VideoSource: "0", PTZConfig: "1", HasPTZConfig: true},
		},
	}
	for style, want := range cases {
		t.Run(style, func(t *testing.T) {
			f := newFakeCam(t, style)
			got, err := f.client(t, f.user, f.pass).GetProfiles(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d profiles: %+v", len(got), got)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("profile %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestGetStreamURI(t *testing.T) {
	f := newFakeCam(t, "dahua")
	cl := f.client(t, f.user, f.pass)
	uri, err := cl.GetStreamURI(context.Background(), "MediaProfile001")
	if err != nil {
		t.Fatal(err)
	}
	if want := "rtsp://127.0.0.1:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif"; uri != want {
		t.Fatalf("uri %q, want %q", uri, want)
	}
	c, _ := f.lastCall("GetStreamUri")
	for k, v := range map[string]string{"ProfileToken": "MediaProfile001", "StreamSetup/Stream": "RTP-Unicast", "StreamSetup/Transport/Protocol": "RTSP"} {
		if c.fields[k] != v {
			t.Errorf("request %s = %q, want %q (all: %v)", k, c.fields[k], v, c.fields)
		}
	}
	if c.path != "/onvif/media_service" {
		t.Errorf("sent to %s, not the media XAddr", c.path)
	}

	_, err = cl.GetStreamURI(context.Background(), "missing_profile")
	if !IsFault(err, InvalidArgVal) || !IsFault(err, NoProfile) {
		t.Fatalf("err %v, want InvalidArgVal/NoProfile", err)
	}
	_, err = cl.GetStreamURI(context.Background(), "")
	if !errors.Is(err, ErrInvalidArg) {
		t.Fatalf("err %v, want ErrInvalidArg", err)
	}
}

func TestImport(t *testing.T) {
	cases := []struct {
		style      string
		main, sub  string
		ptz        bool
		auth       AuthMethod
		mainURI    string
		failStream map[string]bool
		streamErr  string // profile whose StreamError must be set
	}{
		{style: "hik", main: "Profile_1", sub: "Profile_2", ptz: true, auth: AuthWSSecurity,
			mainURI: "rtsp://127.0.0.1:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1"},
		// Two sub streams of the same size: the higher frame rate wins.
		{style: "dahua", main: "MediaProfile000", sub: "MediaProfile002", auth: AuthHTTPDigest,
			mainURI: "rtsp://127.0.0.1:554/cam/realmonitor?channel=1&subtype=0&unicast=true&proto=Onvif"},
		{style: "axis", main: "profile_1_h264", sub: "profile_2_h264", ptz: true, auth: AuthWSSecurity,
			mainURI: "rtsp://127.0.0.1/onvif-media/media.amp?profile=profile_1_h264&sessiontimeout=60&streamtype=unicast"},
		// A profile without a URI is kept, with why, and not suggested.
		{style: "hik", main: "Profile_1", sub: "Profile_1", ptz: true, auth: AuthWSSecurity,
			mainURI:    "rtsp://127.0.0.1:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1",
			failStream: map[string]bool{"Profile_2": true}, streamErr: "Profile_2"},
	}
	for _, c := range cases {
		t.Run(c.style, func(t *testing.T) {
			f := newFakeCam(t, c.style, func(f *fakeCam) {
				f.failStream = c.failStream
				f.wsse = c.auth == AuthWSSecurity
			})
			s, err := f.client(t, f.user, f.pass).Import(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if s.MainStream != c.main || s.SubStream != c.sub || s.PTZ != c.ptz || s.Auth != c.auth {
				t.Fatalf("main %q sub %q ptz %v auth %v", s.MainStream, s.SubStream, s.PTZ, s.Auth)
			}
			main, ok := s.Profile(s.MainStream)
			if !ok || main.StreamURI != c.mainURI {
				t.Fatalf("main stream %+v", main)
			}
			if s.Info.Manufacturer == "" || s.Clock.UTC.IsZero() || s.Services.Media == "" || s.XAddr != f.xaddr() {
				t.Fatalf("summary %+v", s)
			}
			for _, p := range s.Profiles {
				switch {
				case p.Token == c.streamErr:
					if p.StreamURI != "" || !strings.Contains(p.StreamError, "InvalidArgVal") {
						t.Errorf("profile %s: uri %q error %q", p.Token, p.StreamURI, p.StreamError)
					}
				case p.Encoding == "":
					if p.StreamURI != "" || p.StreamError != "" {
						t.Errorf("audio-only profile %s asked for a stream", p.Token)
					}
				case p.StreamURI == "":
					t.Errorf("profile %s has no URI: %s", p.Token, p.StreamError)
				}
			}
		})
	}
}

func TestImportFailsOnAuth(t *testing.T) {
	f := newFakeCam(t, "hik")
	_, err := f.client(t, f.user, "wrong").Import(context.Background())
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("err %v, want ErrAuth", err)
	}
}

func TestPickStreams(t *testing.T) {
	p := func(tok, enc string, w, h int, fps float64, uri string) ImportedProfile {
		return ImportedProfile{Profile: Profile{Token: tok, Encoding: enc, Width: w, Height: h, FrameRate: fps}, StreamURI: uri}
	}
	cases := []struct {
		name      string
		in        []ImportedProfile
		main, sub string
	}{
		{"none", nil, "", ""},
		{"only jpeg", []ImportedProfile{p("a", "JPEG", 1920, 1080, 25, "rtsp://x/a")}, "", ""},
		{"one h264", []ImportedProfile{p("a", "H264", 1920, 1080, 25, "rtsp://x/a")}, "a", "a"},
		{"h265 ignored", []ImportedProfile{p("a", "H265", 3840, 2160, 25, "rtsp://x/a"), p("b", "H264", 1920, 1080, 25, "rtsp://x/b"), p("c", "H264", 640, 360, 25, "rtsp://x/c")}, "b", "c"},
		{"listed small first", []ImportedProfile{p("s", "H264", 640, 480, 25, "rtsp://x/s"), p("m", "H264", 1280, 720, 25, "rtsp://x/m")}, "m", "s"},
		{"no uri skipped", []ImportedProfile{p("a", "H264", 3840, 2160, 25, ""), p("b", "H264", 1920, 1080, 25, "rtsp://x/b")}, "b", "b"},
		{"same size, faster main", []ImportedProfile{p("a", "H264", 1920, 1080, 12, "rtsp://x/a"), p("b", "H264", 1920, 1080, 25, "rtsp://x/b")}, "b", "b"},
	}
	for _, c := range cases {
		main, sub := pickStreams(c.in)
		if main != c.main || sub != c.sub {
			t.Errorf("%s: main %q sub %q, want %q %q", c.name, main, sub, c.main, c.sub)
		}
	}
}
