package onvif

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRequestFormat(t *testing.T) {
	f := newFakeCam(t, "hik")
	if _, err := f.client(t, f.user, f.pass).GetDeviceInformation(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, ok := f.lastCall("GetDeviceInformation")
	if !ok {
		t.Fatal("no GetDeviceInformation request")
	}
	if c.ns != nsDevice || c.path != "/onvif/device_service" {
		t.Errorf("op namespace %q path %q", c.ns, c.path)
	}
	if !strings.HasPrefix(c.ctype, "application/soap+xml; charset=utf-8") || !strings.Contains(c.ctype, `action="`+nsDevice+`/GetDeviceInformation"`) {
		t.Errorf("Content-Type %q", c.ctype)
	}
	for _, want := range []string{`<s:Envelope xmlns:s="` + nsSOAP + `"`, `xmlns:tds="` + nsDevice + `"`, "<s:Header><wsse:Security", "<tds:GetDeviceInformation/>"} {
		if !strings.Contains(string(c.raw), want) {
			t.Errorf("request lacks %s:\n%s", want, c.raw)
		}
	}
}

// hangingCam answers nothing until the client gives up.
func hangingCam(t *testing.T) *fakeCam {
	release := make(chan struct{})
	f := newFakeCam(t, "hik", func(f *fakeCam) {
		f.override = func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	return f
}

func TestTimeout(t *testing.T) {
	f := hangingCam(t)
	cl := f.client(t, "", "", func(c *Config) { c.Timeout = 300 * time.Millisecond })
	start := time.Now()
	_, err := cl.GetDeviceInformation(context.Background())
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "camera did not answer within 300ms") {
		t.Errorf("message %q", err)
	}
	// Generous: the point is that it ends, not how exactly on time.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestCallerCancel(t *testing.T) {
	f := hangingCam(t)
	cl := f.client(t, "", "", func(c *Config) { c.Timeout = time.Minute })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := cl.GetDeviceInformation(ctx)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err %v, want context.Canceled and not ErrTimeout", err)
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cl, err := New(Config{XAddr: "http://" + addr + "/onvif/device_service"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cl.GetDeviceInformation(context.Background())
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "camera unreachable") {
		t.Fatalf("err %v, want ErrUnreachable", err)
	}
}

func TestBadAnswers(t *testing.T) {
	big := "<env:Envelope xmlns:env=\"" + nsSOAP + "\"><env:Body>" + strings.Repeat("<x>padding</x>", 100_000) + "</env:Body></env:Envelope>"
	cases := []struct {
		name   string
		status int
		header map[string]string
		body   string
		limit  int64
		is     error
		msg    string
	}{
		{"huge body", 200, nil, big, 0, ErrTooLarge, "response larger than 1 MiB"},
		{"over a small limit", 200, nil, strings.Repeat(" ", 5000), 4096, ErrTooLarge, "response larger than 4 KiB"},
		{"html 500", 500, map[string]string{"Content-Type": "text/html"}, string(readFixture(t, "bad/html_500.html")), 0, ErrMalformed, "HTTP 500 Internal Server Error"},
		{"html 401 without challenge", 401, nil, string(readFixture(t, "bad/html_login.html")), 0, ErrAuth, "camera rejected the credentials"},
		{"billion laughs", 200, nil, string(readFixture(t, "bad/billion_laughs.xml")), 0, ErrMalformed, "DOCTYPE"},
		{"isapi xml", 200, nil, string(readFixture(t, "bad/isapi.xml")), 0, ErrMalformed, "not a SOAP Envelope"},
		{"empty 200", 200, nil, "", 0, ErrMalformed, "no XML element"},
		{"redirect", 302, map[string]string{"Location": "https://example.invalid/"}, "", 0, nil, "redirects are not followed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeCam(t, "hik", func(f *fakeCam) {
				f.override = func(w http.ResponseWriter, r *http.Request) {
					for k, v := range c.header {
						w.Header().Set(k, v)
					}
					w.WriteHeader(c.status)
					_, _ = w.Write([]byte(c.body))
				}
			})
			cl := f.client(t, "admin", "x", func(cfg *Config) { cfg.MaxResponse = c.limit })
			_, err := cl.GetDeviceInformation(context.Background())
			if err == nil || (c.is != nil && !errors.Is(err, c.is)) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err %v, want %v saying %q", err, c.is, c.msg)
			}
		})
	}
}

func TestFaultsReachTheCaller(t *testing.T) {
	for _, style := range styles {
		t.Run(style, func(t *testing.T) {
			f := newFakeCam(t, style)
			cl := f.client(t, f.user, f.pass)
			// None of the fixtures implements GetNetworkInterfaces.
			err := cl.call(context.Background(), f.xaddr(), request{op: "GetNetworkInterfaces", ns: nsDevice, body: "<tds:GetNetworkInterfaces/>"}, nil)
			var fault *Fault
			if !errors.As(err, &fault) || !IsFault(err, ActionNotSupported) || fault.HTTPStatus != 500 {
				t.Fatalf("err %v (%+v), want an ActionNotSupported fault with HTTP 500", err, fault)
			}
			if fault.Code.Local != "Receiver" || !strings.Contains(err.Error(), "GetNetworkInterfaces at 127.0.0.1") {
				t.Fatalf("fault %+v, message %q", fault, err)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		cfg Config
		msg string
	}{
		{Config{}, "Config.XAddr is empty"},
		{Config{XAddr: "rtsp://cam/"}, "Config.XAddr"},
		{Config{XAddr: "http:///onvif"}, "has no host"},
		{Config{XAddr: "http://cam/", Timeout: -1}, "Config.Timeout"},
		{Config{XAddr: "http://cam/", MaxResponse: -1}, "Config.MaxResponse"},
		{Config{XAddr: "http://cam/", Password: "x"}, "Config.Username is empty"},
	}
	for _, c := range cases {
		if err := c.cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: err %v, want %q", c.cfg, err, c.msg)
		}
		if _, err := New(c.cfg); err == nil {
			t.Errorf("%+v: New accepted it", c.cfg)
		}
	}
	if err := (Config{XAddr: "https://10.0.0.5/onvif/device_service"}).Validate(); err != nil {
		t.Error(err)
	}
}
