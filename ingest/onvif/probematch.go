package onvif

import (
	"encoding/xml"
	"net/url"
	"strconv"
	"strings"
)

// Device is one camera that answered a WS-Discovery Probe.
type Device struct {
	// Endpoint is the stable identity, wsa:Address (usually urn:uuid:...).
	Endpoint string
	// XAddrs are its device service URLs (http and https only).
	XAddrs []string
	Types  []string
	Scopes []string
	// Name, Hardware and Location come from the onvif:// scopes (the first
	// of each), percent-decoded; Location keeps its path, e.g. "city/london".
	Name, Hardware, Location string
	MetadataVersion          uint64
	// From is the address the answer came from.
	From string
}

// Bounds on what one ProbeMatch may make us keep.
const (
	maxXAddrs = 8
	maxScopes = 64
)

type probeHeaderXML struct {
	RelatesTo string `xml:"RelatesTo"`
	Action    string `xml:"Action"`
}

type probeMatchesXML struct {
	Matches []struct {
		Address         string `xml:"EndpointReference>Address"`
		Types           string `xml:"Types"`
		Scopes          string `xml:"Scopes"`
		XAddrs          string `xml:"XAddrs"`
		MetadataVersion string `xml:"MetadataVersion"`
	} `xml:"ProbeMatch"`
}

// probeMatches is one parsed ProbeMatches message.
type probeMatches struct {
	relatesTo string
	devices   []Device
	skipped   int // matches without an endpoint address
}

// parseProbeMatches reads a ProbeMatches datagram with the same checks as
// any SOAP answer (no DOCTYPE, bounded depth).
func parseProbeMatches(data []byte) (probeMatches, error) {
	var h probeHeaderXML
	var b probeMatchesXML
	if err := parseEnvelope(data, &h, xml.Name{Space: nsDisc, Local: "ProbeMatches"}, &b); err != nil {
		return probeMatches{}, err
	}
	pm := probeMatches{relatesTo: strings.TrimSpace(h.RelatesTo)}
	for _, m := range b.Matches {
		addr := clip(strings.TrimSpace(m.Address))
		if addr == "" {
			pm.skipped++
			continue
		}
		d := Device{Endpoint: addr, Types: fields(m.Types, maxScopes), Scopes: fields(m.Scopes, maxScopes)}
		for _, x := range fields(m.XAddrs, maxXAddrs) {
			if checkHTTPURL(x) == nil {
				d.XAddrs = append(d.XAddrs, x)
			}
		}
		d.MetadataVersion, _ = strconv.ParseUint(strings.TrimSpace(m.MetadataVersion), 10, 64)
		d.Name, d.Hardware, d.Location = scope(d.Scopes, "name/"), scope(d.Scopes, "hardware/"), scope(d.Scopes, "location/")
		pm.devices = append(pm.devices, d)
	}
	return pm, nil
}

// fields splits a space-separated list, keeping at most n clipped items.
func fields(s string, n int) []string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	for i := range f {
		f[i] = clip(f[i])
	}
	return f
}

const onvifScope = "onvif://www.onvif.org/"

// scope returns the first onvif://www.onvif.org/<kind>... scope's value.
func scope(scopes []string, kind string) string {
	for _, s := range scopes {
		if len(s) < len(onvifScope) || !strings.EqualFold(s[:len(onvifScope)], onvifScope) {
			continue
		}
		rest, ok := strings.CutPrefix(s[len(onvifScope):], kind)
		if !ok || rest == "" {
			continue
		}
		if v, err := url.PathUnescape(rest); err == nil {
			return v
		}
		return rest
	}
	return ""
}
