package onvif

import (
	"context"
	"encoding/xml"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	hikUUID  = "54443d25-4f57-11b5-8351-c056e3a1b2c3"
	axisUUID = "2ee2a5e0-0000-4000-8000-accc8ef0a1b2"
)

// responder is a camera's discovery service on loopback, answering each
// probe it gets with what answers returns.
type responder struct {
	conn   *net.UDPConn
	mu     sync.Mutex
	probes int
	errs   []string
}

func newResponder(t *testing.T, answers func(msgID string) [][]byte) *responder {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	r := &responder{conn: conn}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				return // closed
			}
			msgID, err := checkProbe(buf[:n])
			r.mu.Lock()
			r.probes++
			if err != nil {
				r.errs = append(r.errs, err.Error())
			}
			r.mu.Unlock()
			if answers == nil {
				continue
			}
			for _, a := range answers(msgID) {
				_, _ = conn.WriteToUDP(a, from)
			}
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, e := range r.errs {
			t.Errorf("responder: bad probe: %s", e)
		}
	})
	return r
}

func (r *responder) addr() string { return r.conn.LocalAddr().String() }

// checkProbe reads a Probe as a camera would and returns its MessageID.
func checkProbe(data []byte) (string, error) {
	var h struct {
		Action    string `xml:"Action"`
		MessageID string `xml:"MessageID"`
		To        string `xml:"To"`
	}
	var b struct {
		Types string `xml:"Types"`
	}
	if err := parseEnvelope(data, &h, xml.Name{Space: nsDisc, Local: "Probe"}, &b); err != nil {
		return "", err
	}
	switch {
	case h.Action != "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe":
		return "", errors.New("Action " + h.Action)
	case !strings.HasPrefix(h.MessageID, "urn:uuid:") || len(h.MessageID) != len("urn:uuid:")+36:
		return "", errors.New("MessageID " + h.MessageID)
	case h.To != "urn:schemas-xmlsoap-org:ws:2005:04:discovery":
		return "", errors.New("To " + h.To)
	case b.Types != "dn:NetworkVideoTransmitter":
		return "", errors.New("Types " + b.Types)
	}
	// The prefix dn must be bound to the ONVIF network namespace.
	if !strings.Contains(string(data), `xmlns:dn="`+nsNetwork+`"`) {
		return "", errors.New("dn not declared")
	}
	return h.MessageID, nil
}

func probeMatch(t *testing.T, style, relatesTo, uuid, xaddr string) []byte {
	return renderFixture(t, "discovery/"+style+"_probematches.xml", fixtureData{RelatesTo: relatesTo, UUID: uuid, XAddr: xaddr})
}

func TestProbeUnicast(t *testing.T) {
	r := newResponder(t, func(msgID string) [][]byte {
		return [][]byte{
			[]byte("not XML at all"),
			readFixture(t, "discovery/hello.xml"),
			probeMatch(t, "hik", "urn:uuid:00000000-0000-4000-8000-000000000000", "aaaa-stray", "http://10.9.9.9/onvif/device_service"),
			[]byte(strings.Repeat(" ", 9000) + string(probeMatch(t, "hik", msgID, "aaaa-too-large", "http://10.9.9.8/onvif/device_service"))),
			probeMatch(t, "hik", msgID, hikUUID, "http://10.20.0.64/onvif/device_service"),
			probeMatch(t, "hik", msgID, hikUUID, "http://10.20.0.64/onvif/device_service"),
			probeMatch(t, "axis", msgID, axisUUID, "http://10.20.0.90/onvif/device_service"),
		}
	})
	start := time.Now()
	devs, err := Probe(context.Background(), ProbeOptions{Unicast: r.addr(), Interface: "lo", Timeout: 10 * time.Second, MaxDevices: 2, MaxDatagram: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	// MaxDevices ends the wait long before the timeout.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if len(devs) != 2 {
		t.Fatalf("%d devices: %+v", len(devs), devs)
	}
	axis, hik := devs[0], devs[1] // sorted by endpoint
	wantHik := Device{
		Endpoint: "urn:uuid:" + hikUUID,
		XAddrs:   []string{"http://10.20.0.64/onvif/device_service"},
		Types:    []string{"dn:NetworkVideoTransmitter", "tds:Device"},
		Name:     "HIKVISION DS-2DE4A425IW-DE", Hardware: "DS-2DE4A425IW-DE", Location: "city/London Fields",
		MetadataVersion: 10, From: r.addr(),
	}
	if !sameDevice(hik, wantHik) || len(hik.Scopes) != 9 {
		t.Errorf("hik\n got %+v\nwant %+v", hik, wantHik)
	}
	wantAxis := Device{
		Endpoint: "urn:uuid:" + axisUUID,
		XAddrs:   []string{"http://10.20.0.90/onvif/device_service"},
		Types:    []string{"dn:NetworkVideoTransmitter", "tds:Device"},
		Name:     "AXIS Q6135-LE Kingsland Rd", Hardware: "Q6135-LE", Location: "country/uk",
		MetadataVersion: 1, From: r.addr(),
	}
	if !sameDevice(axis, wantAxis) {
		t.Errorf("axis\n got %+v\nwant %+v", axis, wantAxis)
	}
}

func sameDevice(a, b Device) bool {
	return a.Endpoint == b.Endpoint && equalStrings(a.XAddrs, b.XAddrs) && equalStrings(a.Types, b.Types) &&
		a.Name == b.Name && a.Hardware == b.Hardware && a.Location == b.Location &&
		a.MetadataVersion == b.MetadataVersion && a.From == b.From
}

func TestProbeUntilTimeout(t *testing.T) {
	// Answers arrive, then silence: Probe returns what it has at the timeout.
	r := newResponder(t, func(msgID string) [][]byte {
		return [][]byte{probeMatch(t, "hik", msgID, hikUUID, "http://10.20.0.64/onvif/device_service")}
	})
	start := time.Now()
	devs, err := Probe(context.Background(), ProbeOptions{Unicast: r.addr(), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 || devs[0].Endpoint != "urn:uuid:"+hikUUID {
		t.Fatalf("devices %+v", devs)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.probes != 2 {
		t.Errorf("%d probes; want the probe and its repeat", r.probes)
	}
}

func TestProbeContextEnds(t *testing.T) {
	r := newResponder(t, nil) // never answers
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	devs, err := Probe(ctx, ProbeOptions{Unicast: r.addr(), Timeout: time.Minute})
	if err != nil || len(devs) != 0 {
		t.Fatalf("devices %v err %v", devs, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v after the context ended", d)
	}
}

func TestProbeOptionErrors(t *testing.T) {
	cases := []struct {
		opts ProbeOptions
		msg  string
	}{
		{ProbeOptions{Interface: "no-such-if0", Unicast: "127.0.0.1:3702"}, `probe interface "no-such-if0"`},
		{ProbeOptions{Unicast: "not an address"}, `probe address "not an address"`},
	}
	for _, c := range cases {
		_, err := Probe(context.Background(), c.opts)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: err %v, want %q", c.opts, err, c.msg)
		}
	}
}

func TestParseProbeMatches(t *testing.T) {
	pm, err := parseProbeMatches(probeMatch(t, "axis", "urn:uuid:x", axisUUID, "http://10.20.0.90/onvif/device_service https://10.20.0.90/onvif/device_service"))
	if err != nil {
		t.Fatal(err)
	}
	if pm.relatesTo != "urn:uuid:x" || len(pm.devices) != 1 || len(pm.devices[0].XAddrs) != 2 {
		t.Fatalf("%+v", pm)
	}
	// A Hello is not an answer to our probe.
	if _, err := parseProbeMatches(readFixture(t, "discovery/hello.xml")); !errors.Is(err, ErrMalformed) {
		t.Fatalf("hello: err %v", err)
	}
	// No endpoint address: skipped, counted.
	noAddr := strings.Replace(string(probeMatch(t, "hik", "r", hikUUID, "http://a/")), "urn:uuid:"+hikUUID, "  ", 1)
	pm, err = parseProbeMatches([]byte(noAddr))
	if err != nil || len(pm.devices) != 0 || pm.skipped != 1 {
		t.Fatalf("no address: %+v %v", pm, err)
	}
}

func TestScope(t *testing.T) {
	scopes := []string{"onvif://www.onvif.org/type/ptz", "ONVIF://www.onvif.org/name/Caf%C3%A9%20cam", "onvif://www.onvif.org/hardware/100%", "onvif://www.onvif.org/location/", "onvif://www.onvif.org/location/a/b"}
	if got := scope(scopes, "name/"); got != "Café cam" {
		t.Errorf("name %q", got)
	}
	if got := scope(scopes, "hardware/"); got != "100%" { // bad escape kept raw
		t.Errorf("hardware %q", got)
	}
	if got := scope(scopes, "location/"); got != "a/b" { // an empty one skipped
		t.Errorf("location %q", got)
	}
	if got := scope(nil, "name/"); got != "" {
		t.Errorf("none %q", got)
	}
}

func TestCollectorCounts(t *testing.T) {
	c := collector{want: "urn:uuid:me", max: 2, seen: map[string]bool{}}
	c.add([]byte("junk"), "a")
	c.add(readFixture(t, "discovery/hello.xml"), "a")
	c.add(probeMatch(t, "hik", "urn:uuid:other", hikUUID, "http://a/"), "a")
	c.add(probeMatch(t, "hik", "urn:uuid:me", hikUUID, "http://a/"), "a")
	c.add(probeMatch(t, "hik", "urn:uuid:me", hikUUID, "http://b/"), "b") // same endpoint: first wins
	if c.bad != 2 || c.stray != 1 || len(c.devices) != 1 || c.devices[0].XAddrs[0] != "http://a/" || c.devices[0].From != "a" {
		t.Fatalf("bad %d stray %d devices %+v", c.bad, c.stray, c.devices)
	}
	c.add(probeMatch(t, "axis", "urn:uuid:me", axisUUID, "http://c/"), "c")
	c.add(probeMatch(t, "axis", "urn:uuid:me", "third", "http://d/"), "d") // over max
	if len(c.devices) != 2 {
		t.Fatalf("%d devices, max 2", len(c.devices))
	}
}
