package sim

import (
	"encoding/xml"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

const (
	wsdProbeAction        = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe"
	wsdProbeMatchesAction = "http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches"
	wsaAnonymous          = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	// maxDatagram bounds a probe; longer datagrams are ignored.
	maxDatagram = 8 << 10
	// probesPerSecond bounds the probes answered (each gets one datagram per camera).
	probesPerSecond = 20
)

// discoveryCamera is what a probe match says about a camera.
type discoveryCamera struct {
	cam    *camera
	scopes []string
	port   string // of its device service
	ptz    bool
}

// discovery answers WS-Discovery probes (2005/04, SOAP 1.2 over UDP) for every camera: each
// camera is a device, so each sends its own ProbeMatches, unicast to the prober.
type discovery struct {
	conn     *net.UDPConn
	cameras  []discoveryCamera
	onvifIP  net.IP // the device services' listen IP; unspecified: the route to the prober
	logger   *slog.Logger
	instance uint64 // AppSequence InstanceId
	done     chan struct{}

	ignored atomic.Uint64 // datagrams that were not probes

	// owned by run
	msgNum uint64
	window time.Time
	inWin  int
}

func startDiscovery(s *Server) (*discovery, error) {
	addr, err := net.ResolveUDPAddr("udp", s.DiscoveryListen)
	if err != nil {
		return nil, err
	}
	var conn *net.UDPConn
	if addr.IP.IsMulticast() {
		conn, err = net.ListenMulticastUDP("udp4", nil, addr)
	} else {
		conn, err = net.ListenUDP("udp", addr)
	}
	if err != nil {
		return nil, err
	}
	d := &discovery{conn: conn, logger: s.Logger, instance: uint64(time.Now().Unix()), done: make(chan struct{})}
	host, _, _ := net.SplitHostPort(s.ONVIFListen)
	d.onvifIP = net.ParseIP(host)
	if host == "localhost" {
		d.onvifIP = net.IPv4(127, 0, 0, 1)
	}
	for i, c := range s.cameras {
		_, port, _ := net.SplitHostPort(s.onvif.lns[i].Addr().String())
		d.cameras = append(d.cameras, discoveryCamera{cam: c, scopes: s.cameraScopes(c), port: port, ptz: c.ptz != nil})
	}
	go d.run()
	return d, nil
}

func (d *discovery) addr() string { return d.conn.LocalAddr().String() }

func (d *discovery) close() {
	d.conn.Close()
	<-d.done
}

func (d *discovery) run() {
	defer close(d.done)
	buf := make([]byte, maxDatagram+1)
	for {
		n, from, err := d.conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			d.logger.Debug("camsim: discovery read", "error", err)
			time.Sleep(10 * time.Millisecond) // a persistent error must not spin
			continue
		}
		if n > maxDatagram {
			d.ignored.Add(1)
			continue
		}
		probe, err := parseProbe(buf[:n])
		if err != nil {
			d.ignored.Add(1)
			d.logger.Debug("camsim: discovery: not a probe", "from", from, "error", err)
			continue
		}
		if !d.allow(time.Now()) {
			continue
		}
		d.answer(probe, from)
	}
}

// allow is a one-second window rate limit.
func (d *discovery) allow(now time.Time) bool {
	if now.Sub(d.window) >= time.Second {
		d.window, d.inWin = now, 0
	}
	d.inWin++
	return d.inWin <= probesPerSecond
}

// wsdProbe is what we need of a probe.
type wsdProbe struct {
	messageID string
	types     []xml.Name // empty: any
	scopes    []string   // empty: any
}

// parseProbe parses a WS-Discovery Probe; anything else is an error.
func parseProbe(b []byte) (*wsdProbe, error) {
	root, err := parseXML(b)
	if err != nil {
		return nil, err
	}
	if root.Name.Space != nsSOAP || root.Name.Local != "Envelope" {
		return nil, errors.New("not a SOAP 1.2 envelope")
	}
	hdr := root.child(nsSOAP, "Header")
	if hdr.child(nsWSA, "Action").textOrEmpty() != wsdProbeAction {
		return nil, errors.New("not a Probe action")
	}
	p := &wsdProbe{messageID: hdr.child(nsWSA, "MessageID").textOrEmpty()}
	if p.messageID == "" || len(p.messageID) > 256 || !printable(p.messageID) {
		return nil, errors.New("no usable MessageID")
	}
	probe := root.child(nsSOAP, "Body").child(nsWSD, "Probe")
	if probe == nil {
		return nil, errors.New("no Probe in the Body")
	}
	if t := probe.child(nsWSD, "Types"); t != nil {
		for _, q := range strings.Fields(t.Text) {
			name, ok := t.resolveQName(q)
			if !ok {
				return nil, errors.New("Types: unbound prefix in " + truncate(q))
			}
			p.types = append(p.types, name)
		}
	}
	if sc := probe.child(nsWSD, "Scopes"); sc != nil {
		if rule, ok := sc.attr("MatchBy"); ok && rule != "http://schemas.xmlsoap.org/ws/2005/04/discovery/rfc2396" {
			return nil, errors.New("Scopes: unsupported MatchBy " + truncate(rule))
		}
		p.scopes = strings.Fields(sc.Text)
	}
	return p, nil
}

// matches reports whether a camera matches the probe's Types and Scopes.
func (p *wsdProbe) matches(c *discoveryCamera) bool {
	for _, t := range p.types {
		switch t {
		case xml.Name{Space: nsNet, Local: "NetworkVideoTransmitter"}, xml.Name{Space: nsDevice, Local: "Device"}:
		case xml.Name{Space: nsPTZ, Local: "PTZ"}:
			if !c.ptz {
				return false
			}
		default:
			return false
		}
	}
	for _, want := range p.scopes {
		if !scopeMatch(want, c.scopes) {
			return false
		}
	}
	return true
}

// scopeMatch is RFC 2396 matching, simplified: want equals a scope or is a prefix of it
// ending at a path segment.
func scopeMatch(want string, scopes []string) bool {
	want = strings.TrimSuffix(want, "/")
	for _, s := range scopes {
		if s == want || strings.HasPrefix(s, want+"/") {
			return true
		}
	}
	return false
}

func (d *discovery) answer(p *wsdProbe, to *net.UDPAddr) {
	ip := d.onvifIP
	if ip == nil || ip.IsUnspecified() {
		ip = routeTo(to)
	}
	for i := range d.cameras {
		c := &d.cameras[i]
		if fs := c.cam.fault.Load(); fs != nil && fs.Refuse {
			continue // a dead camera does not answer
		}
		if !p.matches(c) {
			continue
		}
		d.msgNum++
		msg := probeMatch(p.messageID, c, "http://"+net.JoinHostPort(ip.String(), c.port)+onvifDevicePath, d.instance, d.msgNum)
		if _, err := d.conn.WriteToUDP(msg, to); err != nil {
			d.logger.Debug("camsim: discovery reply", "to", to, "error", err)
			return
		}
	}
}

// routeTo is the local IP the system would send to addr from (no packet is sent).
func routeTo(addr *net.UDPAddr) net.IP {
	c, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		return net.IPv4(127, 0, 0, 1)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP
}

func probeMatch(relatesTo string, c *discoveryCamera, xaddr string, instance, num uint64) []byte {
	w := &soapWriter{}
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:wsa="` + nsWSA + `" xmlns:d="` + nsWSD +
		`" xmlns:dn="` + nsNet + `" xmlns:tds="` + nsDevice + `" xmlns:tptz="` + nsPTZ + `">`)
	w.open("s:Header")
	w.leaf("wsa:MessageID", "urn:uuid:"+uuid.NewString())
	w.leaf("wsa:RelatesTo", relatesTo)
	w.leaf("wsa:To", wsaAnonymous)
	w.leaf("wsa:Action", wsdProbeMatchesAction)
	w.empty("d:AppSequence", "InstanceId", strconv.FormatUint(instance, 10), "MessageNumber", strconv.FormatUint(num, 10))
	w.close("s:Header")
	w.open("s:Body")
	w.open("d:ProbeMatches")
	w.open("d:ProbeMatch")
	w.open("wsa:EndpointReference")
	w.leaf("wsa:Address", cameraEndpoint(c.cam.name))
	w.close("wsa:EndpointReference")
	types := "dn:NetworkVideoTransmitter tds:Device"
	if c.ptz {
		types += " tptz:PTZ"
	}
	w.leaf("d:Types", types)
	w.leaf("d:Scopes", strings.Join(c.scopes, " "))
	w.leaf("d:XAddrs", xaddr)
	w.leaf("d:MetadataVersion", "1")
	w.close("d:ProbeMatch")
	w.close("d:ProbeMatches")
	w.close("s:Body")
	w.close("s:Envelope")
	return w.b.Bytes()
}
