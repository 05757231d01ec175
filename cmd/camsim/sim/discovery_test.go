package sim

import (
	"encoding/xml"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// probe is a WS-Discovery Probe as a client sends it; types "" leaves Types out.
func probe(id, types string) []byte {
	t := ""
	if types != "" {
		t = `<d:Types xmlns:dn="` + nsNet + `" xmlns:pz="` + nsPTZ + `">` + types + `</d:Types>`
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="` + nsSOAP + `" xmlns:a="` + nsWSA +
		`" xmlns:d="` + nsWSD + `"><s:Header><a:Action s:mustUnderstand="1">` + wsdProbeAction + `</a:Action>` +
		`<a:MessageID>` + id + `</a:MessageID><a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
		`</s:Header><s:Body><d:Probe>` + t + `</d:Probe></s:Body></s:Envelope>`)
}

type probeMatches struct {
	RelatesTo string `xml:"Header>RelatesTo"`
	Action    string `xml:"Header>Action"`
	Matches   []struct {
		Address string `xml:"EndpointReference>Address"`
		Types   string `xml:"Types"`
		Scopes  string `xml:"Scopes"`
		XAddrs  string `xml:"XAddrs"`
	} `xml:"Body>ProbeMatches>ProbeMatch"`
}

// sendProbe sends b and collects the answers until quiet for 300 ms.
func sendProbe(t *testing.T, conn *net.UDPConn, to *net.UDPAddr, b []byte) []probeMatches {
	t.Helper()
	if _, err := conn.WriteToUDP(b, to); err != nil {
		t.Fatal(err)
	}
	var out []probeMatches
	buf := make([]byte, 64<<10)
	for {
		conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, _, err := conn.ReadFromUDP(buf)
		if err != nil {
			return out
		}
		var m probeMatches
		if err := xml.Unmarshal(buf[:n], &m); err != nil {
			t.Fatalf("answer %s: %v", buf[:n], err)
		}
		out = append(out, m)
	}
}

func TestDiscovery(t *testing.T) {
	s := startONVIF(t, func(c *Config) { c.DiscoveryListen = "127.0.0.1:0" })
	to, err := net.ResolveUDPAddr("udp", s.DiscoveryAddr())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	for _, tc := range []struct {
		types string
		want  []string // cameras answering
	}{
		{"dn:NetworkVideoTransmitter", []string{"cam001", "cam002"}},
		{"", []string{"cam001", "cam002"}},
		{"pz:PTZ", []string{"cam002"}},
		{"dn:Printer", nil},
	} {
		id := "urn:uuid:" + uuid.NewString()
		answers := sendProbe(t, conn, to, probe(id, tc.types))
		var got []string
		for _, a := range answers {
			if a.RelatesTo != id || a.Action != wsdProbeMatchesAction || len(a.Matches) != 1 {
				t.Fatalf("types %q: answer %+v", tc.types, a)
			}
			m := a.Matches[0]
			scopes := strings.Fields(m.Scopes)
			var name string
			for _, sc := range scopes {
				if v, ok := strings.CutPrefix(sc, "onvif://www.onvif.org/name/"); ok {
					name = v
				}
			}
			i := cameraIndex(name)
			if i == 0 || m.XAddrs != s.ONVIFURL(i) || m.Address != cameraEndpoint(name) ||
				!strings.Contains(m.Types, "dn:NetworkVideoTransmitter") ||
				!strings.Contains(m.Scopes, "onvif://www.onvif.org/hardware/camsim-") ||
				!strings.Contains(m.Scopes, "onvif://www.onvif.org/location/camsim") {
				t.Fatalf("types %q: match %+v", tc.types, m)
			}
			got = append(got, name)
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Fatalf("types %q: answers from %v, want %v", tc.types, got, tc.want)
		}
	}

	// garbage, a wrong action, a DOCTYPE and a datagram too long are ignored, and the
	// responder still answers afterwards
	for _, junk := range [][]byte{
		[]byte("hello"),
		[]byte(strings.Replace(string(probe("urn:uuid:1", "")), wsdProbeAction, "urn:other", 1)),
		append([]byte(`<!DOCTYPE x>`), probe("urn:uuid:2", "")...),
		append(probe("urn:uuid:3", ""), make([]byte, maxDatagram)...),
		probe("urn:uuid:4", "zz:Device"), // unbound prefix
	} {
		if got := sendProbe(t, conn, to, junk); len(got) != 0 {
			t.Fatalf("junk %.60q got %d answers", junk, len(got))
		}
	}
	if got := sendProbe(t, conn, to, probe("urn:uuid:"+uuid.NewString(), "")); len(got) != 2 {
		t.Fatalf("after the junk: %d answers", len(got))
	}
}
