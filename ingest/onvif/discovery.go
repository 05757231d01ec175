package onvif

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"time"
)

// Discovery defaults for zero ProbeOptions fields.
const (
	DefaultProbeTimeout = 3 * time.Second
	DefaultMaxDevices   = 256
	DefaultMaxDatagram  = 32 << 10
	// MulticastAddr is the WS-Discovery group and port.
	MulticastAddr = "239.255.255.250:3702"
)

// ProbeOptions says where to look for cameras.
type ProbeOptions struct {
	// Interface is the network interface (net.Interface name, e.g. "eth1")
	// to send from; its first IPv4 address is bound, which also picks it
	// for multicast. Empty: the system's choice.
	Interface string
	// Unicast is a host:port to probe directly instead of the multicast
	// group (a camera on another subnet, or a test responder).
	Unicast string
	// Timeout is how long answers are collected; the context may end it
	// sooner. Zero is DefaultProbeTimeout.
	Timeout time.Duration
	// MaxDevices stops collecting once this many were found. Zero is
	// DefaultMaxDevices.
	MaxDevices int
	// MaxDatagram drops larger answers. Zero is DefaultMaxDatagram.
	MaxDatagram int
	// Logger; nil discards.
	Logger *slog.Logger
}

// Probe sends a WS-Discovery Probe for NetworkVideoTransmitters and
// collects the answers that relate to it until the timeout or ctx ends,
// one Device per endpoint address (the first answer wins), sorted by
// endpoint. Unreadable or unrelated datagrams are counted and skipped. The
// error is for failing to send; ending by time is the normal way out.
func Probe(ctx context.Context, opts ProbeOptions) ([]Device, error) {
	o := opts
	if o.Timeout <= 0 {
		o.Timeout = DefaultProbeTimeout
	}
	if o.MaxDevices <= 0 {
		o.MaxDevices = DefaultMaxDevices
	}
	if o.MaxDatagram <= 0 {
		o.MaxDatagram = DefaultMaxDatagram
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dst := o.Unicast
	if dst == "" {
		dst = MulticastAddr
	}
	raddr, err := net.ResolveUDPAddr("udp", dst)
	if err != nil {
		return nil, fmt.Errorf("onvif: probe address %q: %w", dst, err)
	}
	network := "udp4"
	if raddr.IP.To4() == nil {
		network = "udp6"
	}
	laddr, err := localAddr(o.Interface, network)
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP(network, laddr)
	if err != nil {
		return nil, fmt.Errorf("onvif: probe socket: %w", err)
	}
	defer conn.Close()

	msgID := "urn:uuid:" + newUUID()
	msg := probeMessage(msgID)
	// WS-Discovery repeats UDP messages because datagrams get lost; the
	// copies share the MessageID and answers are de-duplicated.
	for range 2 {
		if _, err := conn.WriteToUDP(msg, raddr); err != nil {
			return nil, fmt.Errorf("onvif: sending probe to %s: %w", raddr, err)
		}
	}

	deadline := time.Now().Add(o.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetReadDeadline(deadline); err != nil {
		return nil, fmt.Errorf("onvif: probe socket: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	c := collector{want: msgID, max: o.MaxDevices, seen: map[string]bool{}}
	buf := make([]byte, o.MaxDatagram+1)
	for len(c.devices) < c.max {
		n, from, err := conn.ReadFromUDP(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || ctx.Err() != nil {
				break
			}
			return c.sorted(), fmt.Errorf("onvif: reading probe answers: %w", err)
		}
		if n > o.MaxDatagram {
			c.tooLarge++
			continue
		}
		c.add(buf[:n], from.String())
	}
	if c.bad+c.stray+c.tooLarge > 0 {
		log.Debug("onvif: probe skipped datagrams", "unreadable", c.bad, "unrelated", c.stray,
			"too_large", c.tooLarge, "last_error", c.lastErr)
	}
	if len(c.devices) == c.max {
		log.Warn("onvif: probe stopped at the device limit", "max_devices", c.max)
	}
	return c.sorted(), nil
}

// collector keeps the answers of one probe.
type collector struct {
	want                 string
	max                  int
	seen                 map[string]bool
	devices              []Device
	bad, stray, tooLarge int
	lastErr              error
}

func (c *collector) add(data []byte, from string) {
	pm, err := parseProbeMatches(data)
	if err != nil {
		c.bad++
		c.lastErr = err
		return
	}
	if pm.relatesTo != c.want {
		c.stray++
		return
	}
	for _, d := range pm.devices {
		if c.seen[d.Endpoint] || len(c.devices) == c.max {
			continue
		}
		c.seen[d.Endpoint] = true
		d.From = from
		c.devices = append(c.devices, d)
	}
}

func (c *collector) sorted() []Device {
	sort.Slice(c.devices, func(i, j int) bool { return c.devices[i].Endpoint < c.devices[j].Endpoint })
	return c.devices
}

// localAddr binds the interface's first address of the family; on Linux a
// socket bound to an address sends multicast out of that address's interface.
func localAddr(name, network string) (*net.UDPAddr, error) {
	if name == "" {
		return nil, nil
	}
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("onvif: probe interface %q: %w", name, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, fmt.Errorf("onvif: probe interface %q: %w", name, err)
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if (network == "udp4") == (ipn.IP.To4() != nil) {
			return &net.UDPAddr{IP: ipn.IP}, nil
		}
	}
	return nil, fmt.Errorf("onvif: probe interface %q has no %s address", name, map[string]string{"udp4": "IPv4", "udp6": "IPv6"}[network])
}

func probeMessage(msgID string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:wsa="` + nsWSA + `" xmlns:d="` + nsDisc + `" xmlns:dn="` + nsNetwork + `">` +
		`<s:Header>` +
		`<wsa:Action s:mustUnderstand="1">` + nsDisc + `/Probe</wsa:Action>` +
		text("wsa:MessageID", msgID) +
		`<wsa:ReplyTo><wsa:Address>` + nsWSA + `/role/anonymous</wsa:Address></wsa:ReplyTo>` +
		`<wsa:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>` +
		`</s:Header>` +
		`<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>` +
		`</s:Envelope>`)
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
