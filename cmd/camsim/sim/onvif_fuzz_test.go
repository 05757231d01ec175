package sim

import (
	"testing"
)

// FuzzParseRequest feeds SOAP requests (seeds in testdata/fuzz/FuzzParseRequest) to the parser
// every camera's ONVIF service runs on outside input: it must never panic, and what it accepts
// has an operation and renders a fault without trouble.
func FuzzParseRequest(f *testing.F) {
	c := &onvifTestClient{mode: authWSSE, user: "admin", pass: "secret"}
	f.Add([]byte(c.envelope(ptzOp("AbsoluteMove", ptzVec("Position", 0.5, -0.5, 1)))))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseRequest(body)
		if err != nil {
			return
		}
		if req.Op == nil {
			t.Fatal("accepted without an operation")
		}
		// what the handlers do with the arguments
		for _, arg := range []string{"Position", "Velocity", "Translation", "Speed"} {
			parseVector(req.Op.child("", arg), arg) //nolint:errcheck // only must not panic
		}
		parseXSDuration(req.Op.text("Timeout")) //nolint:errcheck // only must not panic
		faultBody(invalidArg("ter:NoProfile", "%s", req.Op.text("ProfileToken")))
	})
}

// FuzzParseProbe does the same for WS-Discovery datagrams.
func FuzzParseProbe(f *testing.F) {
	f.Add(probe("urn:uuid:0b5e4d2a-61f4-4c8a-9d1b-3a2f6c7e8d90", "dn:NetworkVideoTransmitter"))
	f.Add(probe("urn:uuid:1", ""))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseProbe(b)
		if err != nil {
			return
		}
		if p.messageID == "" {
			t.Fatal("accepted without a MessageID")
		}
		p.matches(&discoveryCamera{cam: &camera{name: "cam001"}, scopes: []string{"onvif://www.onvif.org/name/cam001"}})
	})
}
