package sim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
)

// startONVIF serves two cameras (cam002 a PTZ dome) with ONVIF on free ports.
func startONVIF(t *testing.T, mod func(*Config)) *Server {
	t.Helper()
	return startServer(t, func(c *Config) {
		c.PTZ = []string{"cam002"}
		c.ONVIFListen = "127.0.0.1:0"
		if mod != nil {
			mod(c)
		}
	})
}

type dateTimeResp struct {
	UTC struct {
		Hour   int `xml:"Time>Hour"`
		Minute int `xml:"Time>Minute"`
		Second int `xml:"Time>Second"`
		Year   int `xml:"Date>Year"`
		Month  int `xml:"Date>Month"`
		Day    int `xml:"Date>Day"`
	} `xml:"SystemDateAndTime>UTCDateTime"`
}

func (d dateTimeResp) time() time.Time {
	u := d.UTC
	return time.Date(u.Year, time.Month(u.Month), u.Day, u.Hour, u.Minute, u.Second, 0, time.UTC)
}

type deviceInfoResp struct {
	Manufacturer, Model, FirmwareVersion, SerialNumber string
	HardwareID                                         string `xml:"HardwareId"`
}

type capabilitiesResp struct {
	Device string `xml:"Capabilities>Device>XAddr"`
	Media  string `xml:"Capabilities>Media>XAddr"`
	PTZ    string `xml:"Capabilities>PTZ>XAddr"`
}

type servicesResp struct {
	Services []struct {
		Namespace string
		XAddr     string
		Major     int `xml:"Version>Major"`
	} `xml:"Service"`
}

type profilesResp struct {
	Profiles []struct {
		Token  string `xml:"token,attr"`
		Name   string
		Enc    string `xml:"VideoEncoderConfiguration>Encoding"`
		Width  int    `xml:"VideoEncoderConfiguration>Resolution>Width"`
		Height int    `xml:"VideoEncoderConfiguration>Resolution>Height"`
		FPS    int    `xml:"VideoEncoderConfiguration>RateControl>FrameRateLimit"`
		PTZ    *struct {
			Token string `xml:"token,attr"`
		} `xml:"PTZConfiguration"`
	} `xml:"Profiles"`
}

type streamURIResp struct {
	URI string `xml:"MediaUri>Uri"`
}

const (
	opDateTime = `<tds:GetSystemDateAndTime/>`
	opInfo     = `<tds:GetDeviceInformation/>`
)

func TestONVIFDeviceService(t *testing.T) {
	s := startONVIF(t, func(c *Config) {
		c.User, c.Pass = "admin", "secret"
		c.Faults = map[string]Fault{"cam001": {ClockOffset: -time.Hour}}
	})
	for _, mode := range []authMode{authWSSE, authDigest} {
		t.Run(fmt.Sprint("auth", mode), func(t *testing.T) {
			for i, model := range []string{modelFixed, modelPTZ} {
				c := newONVIFClient(t, s.ONVIFURL(i+1), "admin", "secret", mode)
				name := CameraName(i + 1)

				var dt dateTimeResp
				c.ok(onvifDevicePath, opDateTime, &dt)
				want := time.Now()
				if i == 0 {
					want = want.Add(-time.Hour) // the camera's clock fault
				}
				if d := dt.time().Sub(want); d < -3*time.Second || d > 3*time.Second {
					t.Fatalf("%s: camera time %v, want about %v", name, dt.time(), want.UTC())
				}
				c.offset = dt.time().Sub(time.Now()) // UsernameToken times are the camera's

				var info deviceInfoResp
				c.ok(onvifDevicePath, opInfo, &info)
				if info.Manufacturer != "Vigil camsim" || info.Model != model || info.FirmwareVersion == "" ||
					info.SerialNumber != cameraSerial(name) || info.HardwareID == "" {
					t.Fatalf("%s: device information %+v", name, info)
				}

				var caps capabilitiesResp
				c.ok(onvifDevicePath, `<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>`, &caps)
				base := strings.TrimSuffix(s.ONVIFURL(i+1), onvifDevicePath)
				wantPTZ := ""
				if model == modelPTZ {
					wantPTZ = base + onvifPTZPath
				}
				if caps.Device != s.ONVIFURL(i+1) || caps.Media != base+onvifMediaPath || caps.PTZ != wantPTZ {
					t.Fatalf("%s: capabilities %+v", name, caps)
				}

				var svcs servicesResp
				c.ok(onvifDevicePath, `<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>`, &svcs)
				got := map[string]string{}
				for _, sv := range svcs.Services {
					got[sv.Namespace] = sv.XAddr
				}
				if got[nsDevice] != s.ONVIFURL(i+1) || got[nsMedia] != base+onvifMediaPath || got[nsPTZ] != wantPTZ {
					t.Fatalf("%s: services %+v", name, svcs)
				}
			}
		})
	}
}

func TestONVIFMediaService(t *testing.T) {
	s := startONVIF(t, nil) // no credentials: no authentication
	for i := 1; i <= 2; i++ {
		c := newONVIFClient(t, s.ONVIFURL(i), "", "", authNone)
		var pr profilesResp
		c.ok(onvifMediaPath, `<trt:GetProfiles/>`, &pr)
		if len(pr.Profiles) != 2 {
			t.Fatalf("cam%d: %d profiles", i, len(pr.Profiles))
		}
		for _, p := range pr.Profiles {
			var su streamURIResp
			c.ok(onvifMediaPath, `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>`+
				`<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>`+
				`<trt:ProfileToken>`+p.Token+`</trt:ProfileToken></trt:GetStreamUri>`, &su)
			if su.URI != s.URL(i, p.Token) {
				t.Fatalf("cam%d %s: stream URI %q, want %q", i, p.Token, su.URI, s.URL(i, p.Token))
			}
			if (p.PTZ != nil) != (i == 2) {
				t.Fatalf("cam%d %s: PTZ configuration %v", i, p.Token, p.PTZ)
			}
			// the profile says what the stream really is
			r, err := dial(t, su.URI)
			if err != nil {
				t.Fatal(err)
			}
			var sps h264.SPS
			if err := sps.Unmarshal(r.forma.SPS); err != nil {
				t.Fatal(err)
			}
			spec := s.streamSpec(s.byName[CameraName(i)], p.Token)
			if p.Enc != "H264" || p.Width != sps.Width() || p.Height != sps.Height() || p.FPS != spec.FPS {
				t.Fatalf("cam%d %s: profile %+v, stream %dx%d at %d fps", i, p.Token, p, sps.Width(), sps.Height(), spec.FPS)
			}
			r.close()
		}
	}
}

func TestONVIFAuthFailures(t *testing.T) {
	s := startONVIF(t, func(c *Config) {
		c.User, c.Pass = "admin", "secret"
		c.Faults = map[string]Fault{"cam001": {User: "op", Pass: "pw"}} // its own account
	})
	url := s.ONVIFURL(2)
	for _, tc := range []struct {
		name   string
		client *onvifTestClient
	}{
		{"none", newONVIFClient(t, url, "", "", authNone)},
		{"wsse wrong password", newONVIFClient(t, url, "admin", "nope", authWSSE)},
		{"wsse wrong user", newONVIFClient(t, url, "root", "secret", authWSSE)},
		{"digest wrong password", newONVIFClient(t, url, "admin", "nope", authDigest)},
		{"wsse created 10 min off", func() *onvifTestClient {
			c := newONVIFClient(t, url, "admin", "secret", authWSSE)
			c.offset = 10 * time.Minute
			return c
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, b := tc.client.post(onvifDevicePath, tc.client.envelope(opInfo), "")
			if tc.client.mode == authDigest {
				status, hdr, b = tc.client.post(onvifDevicePath, tc.client.envelope(opInfo),
					tc.client.digest(hdr.Get("WWW-Authenticate"), onvifDevicePath))
			}
			var f testFault
			decodeBody(t, b, &f)
			ch := hdr.Get("WWW-Authenticate")
			if status != http.StatusUnauthorized || f.Code.Value != "s:Sender" || f.subcode() != "ter:NotAuthorized" ||
				!strings.HasPrefix(ch, "Digest ") || !strings.Contains(ch, `qop="auth"`) || !strings.Contains(ch, "algorithm=MD5") {
				t.Fatalf("HTTP %d, fault %+v, challenge %q", status, f, ch)
			}
		})
	}

	// the clock comes first, without credentials
	var dt dateTimeResp
	newONVIFClient(t, url, "", "", authNone).ok(onvifDevicePath, opDateTime, &dt)

	// a UsernameToken with PasswordText is refused
	c := newONVIFClient(t, url, "admin", "secret", authNone)
	text := strings.Replace(newONVIFClient(t, url, "admin", "secret", authWSSE).envelope(opInfo), "#PasswordDigest", "#PasswordText", 1)
	if status, _, _ := c.post(onvifDevicePath, text, ""); status != http.StatusUnauthorized {
		t.Fatalf("PasswordText: HTTP %d", status)
	}
	// a Digest answer for another URI, or with a forged nonce, is refused
	status, hdr, _ := c.post(onvifDevicePath, c.envelope(opInfo), "")
	if status != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") == "" {
		t.Fatalf("no credentials: HTTP %d, challenge %q", status, hdr.Get("WWW-Authenticate"))
	}
	c.mode = authDigest
	authz := c.digest(hdr.Get("WWW-Authenticate"), onvifMediaPath)
	if status, _, _ = c.post(onvifDevicePath, c.envelope(opInfo), authz); status != http.StatusUnauthorized {
		t.Fatalf("digest for another uri: HTTP %d", status)
	}
	forged := c.digest(`Digest realm="camsim", qop="auth", nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", algorithm=MD5`, onvifDevicePath)
	if status, _, _ = c.post(onvifDevicePath, c.envelope(opInfo), forged); status != http.StatusUnauthorized {
		t.Fatalf("forged nonce: HTTP %d", status)
	}

	// cam001's auth fault replaces the server's credentials
	own := s.ONVIFURL(1)
	newONVIFClient(t, own, "admin", "secret", authWSSE).fault(onvifDevicePath, opInfo, 401, "s:Sender", "ter:NotAuthorized")
	var info deviceInfoResp
	newONVIFClient(t, own, "op", "pw", authWSSE).ok(onvifDevicePath, opInfo, &info)
	newONVIFClient(t, own, "op", "pw", authDigest).ok(onvifDevicePath, opInfo, &info)
}

func TestONVIFBadRequests(t *testing.T) {
	s := startONVIF(t, nil)
	c := newONVIFClient(t, s.ONVIFURL(1), "", "", authNone)
	ptz := newONVIFClient(t, s.ONVIFURL(2), "", "", authNone)

	c.fault(onvifDevicePath, `<tds:GetHostname/>`, 500, "s:Receiver", "ter:ActionNotSupported")
	c.fault(onvifMediaPath, `<trt:GetSnapshotUri><trt:ProfileToken>main</trt:ProfileToken></trt:GetSnapshotUri>`,
		500, "s:Receiver", "ter:ActionNotSupported")
	c.fault(onvifMediaPath, opInfo, 500, "s:Receiver", "ter:ActionNotSupported") // device op at the media XAddr
	c.fault(onvifPTZPath, `<tptz:GetStatus><tptz:ProfileToken>main</tptz:ProfileToken></tptz:GetStatus>`,
		500, "s:Receiver", "ter:ActionNotSupported") // not a PTZ camera
	c.fault(onvifDevicePath, `<tds:GetCapabilities><tds:Category>PTZ</tds:Category></tds:GetCapabilities>`,
		500, "s:Receiver", "ter:ActionNotSupported")
	c.fault(onvifMediaPath, `<trt:GetStreamUri><trt:ProfileToken>third</trt:ProfileToken></trt:GetStreamUri>`,
		400, "s:Sender", "ter:InvalidArgVal")
	c.fault(onvifMediaPath, `<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Multicast</tt:Stream></trt:StreamSetup>`+
		`<trt:ProfileToken>main</trt:ProfileToken></trt:GetStreamUri>`, 400, "s:Sender", "ter:InvalidArgVal")
	ptz.fault(onvifPTZPath, `<tptz:AbsoluteMove><tptz:ProfileToken>main</tptz:ProfileToken><tptz:Position>`+
		`<tt:PanTilt x="1.5" y="0"/></tptz:Position></tptz:AbsoluteMove>`, 400, "s:Sender", "ter:InvalidArgVal")

	raw := func(body string) (int, string) {
		status, _, b := c.post(onvifDevicePath, body, "")
		return status, string(b)
	}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"doctype", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>` + c.envelope(opInfo)[len(`<?xml version="1.0" encoding="UTF-8"?>`):], 400, "s:Sender"},
		{"malformed", `<s:Envelope xmlns:s="` + nsSOAP + `"><s:Body><x>`, 400, "s:Sender"},
		{"not soap", `<a/>`, 400, "s:Sender"},
		{"soap 1.1", `<e:Envelope xmlns:e="` + nsSOAP11 + `"><e:Body/></e:Envelope>`, 500, "s:VersionMismatch"},
		{"empty body", `<s:Envelope xmlns:s="` + nsSOAP + `"><s:Body/></s:Envelope>`, 400, "s:Sender"},
		{"over 64 KiB", c.envelope(`<tds:GetDeviceInformation>` + strings.Repeat("x", 70<<10) + `</tds:GetDeviceInformation>`), 413, "s:Sender"},
	} {
		status, body := raw(tc.body)
		if status != tc.status || !strings.Contains(body, "<s:Value>"+tc.code+"</s:Value>") {
			t.Errorf("%s: HTTP %d %.300s, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
	}
	res, err := http.Get(s.ONVIFURL(1))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: HTTP %d", res.StatusCode)
	}

	// a camera refusing (fault) refuses ONVIF too
	if err := s.SetFault("cam001", Fault{Refuse: true}); err != nil {
		t.Fatal(err)
	}
	if status, _ := c.call(onvifDevicePath, opDateTime); status != http.StatusServiceUnavailable {
		t.Fatalf("refusing camera: HTTP %d", status)
	}
}
