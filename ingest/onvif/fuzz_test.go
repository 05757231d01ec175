package onvif

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

// Seeds live in testdata/fuzz/<name>: every fixture a camera style sends,
// the hostile bodies, and real WWW-Authenticate values.

func FuzzParseResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		targets := []struct {
			want xml.Name
			out  any
		}{
			{xml.Name{Space: nsDevice, Local: "GetDeviceInformationResponse"}, &DeviceInfo{}},
			{xml.Name{Space: nsDevice, Local: "GetSystemDateAndTimeResponse"}, &dateTimeXML{}},
			{xml.Name{Space: nsDevice, Local: "GetServicesResponse"}, &servicesXML{}},
			{xml.Name{Space: nsMedia, Local: "GetProfilesResponse"}, &profilesXML{}},
			{xml.Name{Space: nsPTZ, Local: "GetStatusResponse"}, &statusXML{}},
			{xml.Name{Space: nsPTZ, Local: "GetPresetsResponse"}, &presetsXML{}},
		}
		for _, tg := range targets {
			err := parseResponse(data, tg.want, tg.out)
			var fault *Fault
			switch {
			case err == nil:
			case errors.As(err, &fault):
				if len(fault.Reason) > maxText+3 || len(fault.Detail) > maxText+3 || len(fault.Subcodes) > maxDepth {
					t.Fatalf("fault not bounded: %d %d %d", len(fault.Reason), len(fault.Detail), len(fault.Subcodes))
				}
			case !errors.Is(err, ErrMalformed):
				t.Fatalf("error neither a Fault nor ErrMalformed: %v", err)
			}
		}
		// Whatever went in, what the typed layer derives must not panic.
		var st statusXML
		if parseResponse(data, xml.Name{Space: nsPTZ, Local: "GetStatusResponse"}, &st) == nil {
			_, _, _ = st.Position.vector()
		}
	})
}

func FuzzParseProbeMatches(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pm, err := parseProbeMatches(data)
		var fault *Fault
		if err != nil && !errors.As(err, &fault) && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error neither a Fault nor ErrMalformed: %v", err)
		}
		for _, d := range pm.devices {
			if d.Endpoint == "" || len(d.XAddrs) > maxXAddrs || len(d.Scopes) > maxScopes || len(d.Types) > maxScopes {
				t.Fatalf("device not bounded or without endpoint: %+v", d)
			}
			for _, x := range d.XAddrs {
				if checkHTTPURL(x) != nil {
					t.Fatalf("XAddr %q kept", x)
				}
			}
		}
	})
}

func FuzzParseDigestChallenge(f *testing.F) {
	f.Fuzz(func(t *testing.T, h string) {
		cs, err := parseChallenges(h)
		if err != nil {
			return
		}
		if len(h) > maxChallengeHeader || len(cs) > maxChallenges {
			t.Fatalf("unbounded: %d bytes, %d challenges", len(h), len(cs))
		}
		d, err := pickDigest([]string{h})
		if err != nil {
			return
		}
		if d.nonce == "" {
			t.Fatal("challenge without a nonce accepted")
		}
		// Our answer quotes what the camera sent; it must read back the same.
		a := d.authorizationWith(`us"er\`, "pw", "POST", "/onvif/device_service", 1, "c")
		if strings.ContainsAny(a, "\r\n") {
			t.Fatalf("header value with a line break: %q", a)
		}
		back, err := parseChallenges(a)
		if err != nil || len(back) != 1 {
			t.Fatalf("our own header does not parse: %q: %v", a, err)
		}
		p := back[0].params
		if p["username"] != `us"er\` || p["realm"] != d.realm || p["nonce"] != d.nonce || p["opaque"] != d.opaque {
			t.Fatalf("round trip: %q gave %v", a, p)
		}
	})
}
