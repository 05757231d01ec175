package onvif

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// maxText bounds the fault reason and detail we keep (cameras put stack
// traces and whole requests there).
const maxText = 512

// parseResponse decodes a SOAP 1.2 answer whose body must hold want; a Fault
// body comes back as *Fault.
func parseResponse(data []byte, want xml.Name, out any) error {
	return parseEnvelope(data, nil, want, out)
}

// parseEnvelope checks data, decodes the Header into header (if not nil) and
// the Body's first element, which must be named want, into body (if not nil).
func parseEnvelope(data []byte, header any, want xml.Name, body any) error {
	if err := checkXML(data); err != nil {
		return err
	}
	w := &walker{d: newDecoder(data)}
	root, err := w.nextStart()
	if err != nil {
		return err
	}
	if root.Name != (xml.Name{Space: nsSOAP, Local: "Envelope"}) {
		return notEnvelope(root.Name)
	}
	for {
		tok, err := w.next()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Space == nsSOAP && t.Name.Local == "Header" && header != nil:
				if err := w.decode(header, &t); err != nil {
					return err
				}
			case t.Name.Space == nsSOAP && t.Name.Local == "Body":
				return w.body(want, body)
			default:
				if err := w.skip(); err != nil {
					return err
				}
			}
		case xml.EndElement:
			return fmt.Errorf("%w: envelope has no Body", ErrMalformed)
		}
	}
}

func notEnvelope(n xml.Name) error {
	switch {
	case n.Space == nsSOAP11 && n.Local == "Envelope":
		return fmt.Errorf("%w: a SOAP 1.1 envelope; ONVIF answers must be SOAP 1.2", ErrMalformed)
	case strings.EqualFold(n.Local, "html"):
		return fmt.Errorf("%w: an HTML page, not a SOAP envelope", ErrMalformed)
	case n.Local == "Envelope":
		return fmt.Errorf("%w: Envelope in namespace %q, want %q", ErrMalformed, n.Space, nsSOAP)
	}
	return fmt.Errorf("%w: root element is %s, not a SOAP Envelope", ErrMalformed, qname(n))
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

func (w *walker) body(want xml.Name, out any) error {
	start, err := w.nextStart()
	if errors.Is(err, errEndOfParent) {
		return fmt.Errorf("%w: empty SOAP Body, want %s", ErrMalformed, want.Local)
	}
	if err != nil {
		return err
	}
	if start.Name == (xml.Name{Space: nsSOAP, Local: "Fault"}) {
		f, err := w.fault()
		if err != nil {
			return err
		}
		return f
	}
	if start.Name != want {
		return fmt.Errorf("%w: body holds %s, want %s", ErrMalformed, qname(start.Name), qname(want))
	}
	if out == nil {
		return nil
	}
	return w.decode(out, &start)
}

// walker walks tokens and keeps its own prefix bindings, because fault codes
// are QNames in text (ter:NotAuthorized) and encoding/xml resolves only names.
type walker struct {
	d     *xml.Decoder
	depth int
	ns    []binding
}

type binding struct {
	prefix, uri string
	depth       int
}

var errEndOfParent = errors.New("end of parent element")

func (w *walker) next() (xml.Token, error) {
	tok, err := w.d.Token()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: unexpected end of document", ErrMalformed)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	switch t := tok.(type) {
	case xml.StartElement:
		w.depth++
		for _, a := range t.Attr {
			switch {
			case a.Name.Space == "xmlns":
				w.ns = append(w.ns, binding{a.Name.Local, a.Value, w.depth})
			case a.Name.Space == "" && a.Name.Local == "xmlns":
				w.ns = append(w.ns, binding{"", a.Value, w.depth})
			}
		}
	case xml.EndElement:
		w.popElement()
	}
	return tok, nil
}

// nextStart returns the next child element, or errEndOfParent.
func (w *walker) nextStart() (xml.StartElement, error) {
	for {
		tok, err := w.next()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, errEndOfParent
		}
	}
}

// skip consumes the rest of the element whose start was just read.
func (w *walker) skip() error {
	for d := 1; d > 0; {
		tok, err := w.next()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			d++
		case xml.EndElement:
			d--
		}
	}
	return nil
}

// decode hands the element to encoding/xml, which consumes it to its end.
func (w *walker) decode(out any, start *xml.StartElement) error {
	if err := w.d.DecodeElement(out, start); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, start.Name.Local, err)
	}
	w.popElement()
	return nil
}

func (w *walker) resolve(s string) xml.Name {
	s = strings.TrimSpace(s)
	prefix, local, ok := strings.Cut(s, ":")
	if !ok {
		prefix, local = "", s
	}
	for i := len(w.ns) - 1; i >= 0; i-- {
		if w.ns[i].prefix == prefix {
			return xml.Name{Space: w.ns[i].uri, Local: local}
		}
	}
	return xml.Name{Local: local}
}

func (w *walker) fault() (*Fault, error) {
	f := &Fault{}
	for {
		start, err := w.nextStart()
		if errors.Is(err, errEndOfParent) {
			return f, nil
		}
		if err != nil {
			return nil, err
		}
		if start.Name.Space != nsSOAP {
			if err := w.skip(); err != nil {
				return nil, err
			}
			continue
		}
		switch start.Name.Local {
		case "Code":
			codes, err := w.code()
			if err != nil {
				return nil, err
			}
			if len(codes) > 0 {
				f.Code, f.Subcodes = codes[0], codes[1:]
			}
		case "Reason":
			if f.Reason, err = w.reason(); err != nil {
				return nil, err
			}
		case "Detail":
			if f.Detail, err = w.text(); err != nil {
				return nil, err
			}
		default:
			if err := w.skip(); err != nil {
				return nil, err
			}
		}
	}
}

// code reads a Code or Subcode: its Value, then any nested Subcode's values.
func (w *walker) code() ([]xml.Name, error) {
	var out, sub []xml.Name
	for {
		start, err := w.nextStart()
		if errors.Is(err, errEndOfParent) {
			return append(out, sub...), nil
		}
		if err != nil {
			return nil, err
		}
		switch {
		case start.Name == xml.Name{Space: nsSOAP, Local: "Value"} && len(out) == 0:
			s, err := w.elementText(true)
			if err != nil {
				return nil, err
			}
			out = append(out, w.resolve(s))
			w.popElement()
		case start.Name == xml.Name{Space: nsSOAP, Local: "Subcode"} && sub == nil:
			if sub, err = w.code(); err != nil {
				return nil, err
			}
		default:
			if err := w.skip(); err != nil {
				return nil, err
			}
		}
	}
}

// reason picks the English Text of a Reason, else the first.
func (w *walker) reason() (string, error) {
	var first, en string
	for {
		start, err := w.nextStart()
		if errors.Is(err, errEndOfParent) {
			if en != "" {
				return en, nil
			}
			return first, nil
		}
		if err != nil {
			return "", err
		}
		if start.Name != (xml.Name{Space: nsSOAP, Local: "Text"}) {
			if err := w.skip(); err != nil {
				return "", err
			}
			continue
		}
		s, err := w.text()
		if err != nil {
			return "", err
		}
		if first == "" {
			first = s
		}
		for _, a := range start.Attr {
			if a.Name.Local == "lang" && strings.HasPrefix(strings.ToLower(a.Value), "en") && en == "" {
				en = s
			}
		}
	}
}

// text reads all character data inside the element just started, nested
// elements included, whitespace collapsed and bounded to maxText.
func (w *walker) text() (string, error) {
	s, err := w.elementText(false)
	if err != nil {
		return "", err
	}
	w.popElement()
	return s, nil
}

// elementText reads up to the element's end without leaving it in the
// walker's books, so the caller can still resolve prefixes in its scope and
// must then call popElement.
func (w *walker) elementText(flat bool) (string, error) {
	var b strings.Builder
	for d := 0; ; {
		tok, err := w.d.Token()
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if b.Len() < maxText {
				b.Write(t)
			}
		case xml.StartElement:
			if flat {
				return "", fmt.Errorf("%w: element inside a fault code value", ErrMalformed)
			}
			d++
		case xml.EndElement:
			if d == 0 {
				return clip(strings.Join(strings.Fields(b.String()), " ")), nil
			}
			d--
		}
	}
}

// popElement drops the bindings of the element just ended.
func (w *walker) popElement() {
	for len(w.ns) > 0 && w.ns[len(w.ns)-1].depth >= w.depth {
		w.ns = w.ns[:len(w.ns)-1]
	}
	w.depth--
}

func clip(s string) string { return truncate(s, maxText) }

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "..."
}
