package onvif

import (
	"encoding/xml"
	"strconv"
	"strings"
)

// request is one SOAP operation: its element, already serialised with the
// prefixes of envelopeNS, and where its answer is expected.
type request struct {
	op     string // operation name, for errors and the action
	ns     string // service namespace
	body   string // the request element
	public bool   // the spec lets it go unauthenticated (GetSystemDateAndTime)
}

func (r request) want() xml.Name { return xml.Name{Space: r.ns, Local: r.op + "Response"} }

func (r request) action() string { return r.ns + "/" + r.op }

// envelope wraps header and body fragments in a SOAP 1.2 envelope.
func envelope(header, body string) []byte {
	var b strings.Builder
	b.Grow(len(header) + len(body) + 512)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	b.WriteString(`<s:Envelope` + envelopeNS + `>`)
	if header != "" {
		b.WriteString(`<s:Header>`)
		b.WriteString(header)
		b.WriteString(`</s:Header>`)
	}
	b.WriteString(`<s:Body>`)
	b.WriteString(body)
	b.WriteString(`</s:Body></s:Envelope>`)
	return []byte(b.String())
}

// el writes <name>inner</name>, or <name/> when inner is empty.
func el(name, inner string) string {
	if inner == "" {
		return "<" + name + "/>"
	}
	return "<" + name + ">" + inner + "</" + name + ">"
}

// text is el with escaped character data.
func text(name, value string) string { return "<" + name + ">" + esc(value) + "</" + name + ">" }

func esc(s string) string {
	var b strings.Builder
	// EscapeText never fails on a strings.Builder.
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// num formats a float the way xs:float wants it, without an exponent.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
