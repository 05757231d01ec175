package sim

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Namespaces of the ONVIF wire contract. Parsing compares URIs, never prefixes.
const (
	nsSOAP   = "http://www.w3.org/2003/05/soap-envelope"
	nsSOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
	nsDevice = "http://www.onvif.org/ver10/device/wsdl"
	nsMedia  = "http://www.onvif.org/ver10/media/wsdl"
	nsPTZ    = "http://www.onvif.org/ver20/ptz/wsdl"
	nsSchema = "http://www.onvif.org/ver10/schema"
	nsError  = "http://www.onvif.org/ver10/error"
	nsWSSE   = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	nsWSU    = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	nsWSD    = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
	nsWSA    = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsNet    = "http://www.onvif.org/ver10/network/wsdl"
)

// Limits on SOAP input (HTTP bodies and discovery datagrams).
const (
	maxSOAPBody  = 64 << 10
	maxXMLDepth  = 32
	maxXMLNodes  = 2048
	maxXMLTextKB = 16 // character data of one element, KiB
)

// xmlNode is an element of a parsed message, its names resolved to namespace URIs.
type xmlNode struct {
	Name     xml.Name
	Attr     []xml.Attr // without namespace declarations
	Text     string     // character data directly inside, trimmed
	Children []*xmlNode
	parent   *xmlNode
	ns       map[string]string // prefixes declared on this element ("" is the default)
}

// child returns the first child named local in namespace space ("" matches any namespace).
func (n *xmlNode) child(space, local string) *xmlNode {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Name.Local == local && (space == "" || c.Name.Space == space) {
			return c
		}
	}
	return nil
}

// path follows children by local name in any namespace: n.path("Velocity", "PanTilt").
func (n *xmlNode) path(locals ...string) *xmlNode {
	for _, l := range locals {
		n = n.child("", l)
	}
	return n
}

// text is the text of the child at path, "" when absent.
func (n *xmlNode) text(locals ...string) string {
	if c := n.path(locals...); c != nil {
		return c.Text
	}
	return ""
}

// attr returns an unqualified attribute.
func (n *xmlNode) attr(local string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Name.Local == local && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

// resolveQName resolves "prefix:local" (a QName in text, like WS-Discovery's Types) against
// the namespace declarations in scope at n.
func (n *xmlNode) resolveQName(q string) (xml.Name, bool) {
	prefix, local, ok := strings.Cut(q, ":")
	if !ok {
		prefix, local = "", q
	}
	for e := n; e != nil; e = e.parent {
		if uri, ok := e.ns[prefix]; ok {
			return xml.Name{Space: uri, Local: local}, local != ""
		}
	}
	return xml.Name{}, false
}

var errDoctype = errors.New("DOCTYPE and other directives are not allowed")

// parseXML parses a whole document into a tree, bounded in depth, element count and text,
// refusing directives (DOCTYPE, ENTITY) and anything after the root element.
func parseXML(body []byte) (*xmlNode, error) {
	if len(body) > maxSOAPBody {
		return nil, fmt.Errorf("message of %d bytes exceeds %d", len(body), maxSOAPBody)
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	var root, cur *xmlNode
	var text strings.Builder
	nodes, depth := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, errDoctype
		case xml.StartElement:
			if root != nil && cur == nil {
				return nil, errors.New("content after the root element")
			}
			if nodes++; nodes > maxXMLNodes {
				return nil, fmt.Errorf("more than %d elements", maxXMLNodes)
			}
			if depth++; depth > maxXMLDepth {
				return nil, fmt.Errorf("nested deeper than %d", maxXMLDepth)
			}
			n := &xmlNode{Name: t.Name, parent: cur}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					n.declare(a.Name.Local, a.Value)
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.declare("", a.Value)
				default:
					n.Attr = append(n.Attr, a)
				}
			}
			if cur == nil {
				root = n
			} else {
				cur.Children = append(cur.Children, n)
			}
			cur = n
			text.Reset()
		case xml.CharData:
			if cur == nil {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("text outside the root element")
				}
				continue
			}
			if text.Len()+len(t) > maxXMLTextKB<<10 {
				return nil, fmt.Errorf("text longer than %d KiB", maxXMLTextKB)
			}
			text.Write(t)
		case xml.EndElement:
			// the decoder checks that end tags match
			if len(cur.Children) == 0 {
				cur.Text = strings.TrimSpace(text.String())
			}
			text.Reset()
			cur = cur.parent
			depth--
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

func (n *xmlNode) declare(prefix, uri string) {
	if n.ns == nil {
		n.ns = make(map[string]string)
	}
	n.ns[prefix] = uri
}

// soapRequest is a parsed SOAP 1.2 request.
type soapRequest struct {
	Header *xmlNode // nil when absent
	Op     *xmlNode // the Body's first element: the operation and its arguments
	Token  *usernameToken
}

// usernameToken is a WS-Security UsernameToken from the request header.
type usernameToken struct {
	Username, Password, PasswordType, Nonce, Created string
}

// errSOAPVersion: the envelope is SOAP 1.1 (or not SOAP); it gets a VersionMismatch fault.
var errSOAPVersion = errors.New("not a SOAP 1.2 envelope")

// parseRequest parses a SOAP 1.2 request: the envelope, the WS-Security UsernameToken if
// any, and the operation element.
func parseRequest(body []byte) (*soapRequest, error) {
	root, err := parseXML(body)
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "Envelope" || root.Name.Space != nsSOAP {
		if root.Name.Local == "Envelope" && root.Name.Space == nsSOAP11 {
			return nil, errSOAPVersion
		}
		return nil, fmt.Errorf("root element %s %s is not a SOAP 1.2 Envelope", root.Name.Space, root.Name.Local)
	}
	req := &soapRequest{Header: root.child(nsSOAP, "Header")}
	b := root.child(nsSOAP, "Body")
	if b == nil || len(b.Children) == 0 {
		return nil, errors.New("no operation in the SOAP Body")
	}
	req.Op = b.Children[0]
	if ut := req.Header.child(nsWSSE, "Security").child(nsWSSE, "UsernameToken"); ut != nil {
		pw := ut.child(nsWSSE, "Password")
		req.Token = &usernameToken{
			Username: ut.child(nsWSSE, "Username").textOrEmpty(),
			Password: pw.textOrEmpty(),
			Nonce:    ut.child(nsWSSE, "Nonce").textOrEmpty(),
			Created:  ut.child(nsWSU, "Created").textOrEmpty(),
		}
		req.Token.PasswordType, _ = pw.attr("Type")
	}
	return req, nil
}

func (n *xmlNode) textOrEmpty() string {
	if n == nil {
		return ""
	}
	return n.Text
}

// soapFault is an error answered as a SOAP 1.2 Fault.
type soapFault struct {
	status   int      // HTTP status
	code     string   // s:Sender, s:Receiver, s:VersionMismatch
	subcodes []string // ter:InvalidArgVal, ter:NoProfile ... outermost first
	reason   string
}

func (f *soapFault) Error() string {
	return fmt.Sprintf("%s %s: %s", f.code, strings.Join(f.subcodes, "/"), f.reason)
}

func senderFault(reason string, subcodes ...string) *soapFault {
	return &soapFault{status: 400, code: "s:Sender", subcodes: subcodes, reason: reason}
}

func receiverFault(reason string, subcodes ...string) *soapFault {
	return &soapFault{status: 500, code: "s:Receiver", subcodes: subcodes, reason: reason}
}

// invalidArg is s:Sender/ter:InvalidArgVal with an ONVIF detail subcode (ter:NoProfile ...).
func invalidArg(detail, format string, args ...any) *soapFault {
	subs := []string{"ter:InvalidArgVal"}
	if detail != "" {
		subs = append(subs, detail)
	}
	return senderFault(fmt.Sprintf(format, args...), subs...)
}

func notSupported(reason string, detail ...string) *soapFault {
	return receiverFault(reason, append([]string{"ter:ActionNotSupported"}, detail...)...)
}

// soapWriter builds a SOAP 1.2 envelope with the contract's prefixes.
type soapWriter struct {
	b bytes.Buffer
}

const soapEnvelopeOpen = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
	`<s:Envelope xmlns:s="` + nsSOAP + `" xmlns:tds="` + nsDevice + `" xmlns:trt="` + nsMedia +
	`" xmlns:tptz="` + nsPTZ + `" xmlns:tt="` + nsSchema + `" xmlns:ter="` + nsError + `"><s:Body>`

func newSOAPWriter() *soapWriter {
	w := &soapWriter{}
	w.b.WriteString(soapEnvelopeOpen)
	return w
}

// open writes a start tag; attrs are name, value pairs.
func (w *soapWriter) open(name string, attrs ...string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteByte(' ')
		w.b.WriteString(attrs[i])
		w.b.WriteString(`="`)
		xml.EscapeText(&w.b, []byte(attrs[i+1])) //nolint:errcheck // bytes.Buffer
		w.b.WriteByte('"')
	}
	w.b.WriteByte('>')
}

func (w *soapWriter) close(name string) {
	w.b.WriteString("</")
	w.b.WriteString(name)
	w.b.WriteByte('>')
}

// leaf writes <name>text</name>.
func (w *soapWriter) leaf(name, text string) {
	w.open(name)
	xml.EscapeText(&w.b, []byte(text)) //nolint:errcheck // bytes.Buffer
	w.close(name)
}

// empty writes <name attrs.../>.
func (w *soapWriter) empty(name string, attrs ...string) {
	w.open(name, attrs...)
	w.b.Truncate(w.b.Len() - 1)
	w.b.WriteString("/>")
}

func (w *soapWriter) bytes() []byte {
	w.b.WriteString("</s:Body></s:Envelope>\n")
	return w.b.Bytes()
}

// faultBody is the envelope of f.
func faultBody(f *soapFault) []byte {
	w := newSOAPWriter()
	w.open("s:Fault")
	w.open("s:Code")
	w.leaf("s:Value", f.code)
	for _, sc := range f.subcodes {
		w.open("s:Subcode")
		w.leaf("s:Value", sc)
	}
	for range f.subcodes {
		w.close("s:Subcode")
	}
	w.close("s:Code")
	w.open("s:Reason")
	w.open("s:Text", "xml:lang", "en")
	xml.EscapeText(&w.b, []byte(f.reason)) //nolint:errcheck // bytes.Buffer
	w.close("s:Text")
	w.close("s:Reason")
	w.close("s:Fault")
	return w.bytes()
}
