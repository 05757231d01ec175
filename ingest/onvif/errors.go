package onvif

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; calls wrap them with the detail (camera address, limit),
// so test with errors.Is.
var (
	// ErrAuth: the camera refused our credentials with every mechanism it offered.
	ErrAuth = errors.New("camera rejected the credentials")
	// ErrTimeout: the per-call timeout ran out before the answer was read.
	ErrTimeout = errors.New("camera did not answer in time")
	// ErrUnreachable: no connection could be made (refused, no route, DNS).
	ErrUnreachable = errors.New("camera unreachable")
	// ErrTooLarge: the answer was over the configured body limit.
	ErrTooLarge = errors.New("response too large")
	// ErrMalformed: the answer is not a well-formed SOAP 1.2 message we accept.
	ErrMalformed = errors.New("malformed SOAP response")
	// ErrNoPTZ: the camera has no PTZ service.
	ErrNoPTZ = errors.New("camera has no PTZ service")
	// ErrInvalidArg: a request was refused before sending (bad range, empty token).
	ErrInvalidArg = errors.New("invalid argument")
)

// ONVIF fault subcodes (namespace http://www.onvif.org/ver10/error) that
// callers commonly need to tell apart; see IsFault.
const (
	NotAuthorized      = "NotAuthorized"
	ActionNotSupported = "ActionNotSupported"
	InvalidArgVal      = "InvalidArgVal"
	InvalidArgs        = "InvalidArgs"
	NoProfile          = "NoProfile"
)

// Fault is a SOAP 1.2 Fault returned by the camera. Code is env:Sender,
// env:Receiver, ...; Subcodes run from the outermost (ter:NotAuthorized) to
// the most specific; names are resolved to namespace URIs where the camera
// declared the prefix, else Space is empty.
type Fault struct {
	Code     xml.Name
	Subcodes []xml.Name
	Reason   string
	Detail   string
	// HTTPStatus is the status line's code the fault came with.
	HTTPStatus int
}

// Subcode is the outermost subcode, the one ONVIF defines meanings for.
func (f *Fault) Subcode() xml.Name {
	if len(f.Subcodes) == 0 {
		return xml.Name{}
	}
	return f.Subcodes[0]
}

// Has reports whether any subcode has the given local name in the ONVIF
// error namespace (or an undeclared prefix: some cameras forget it).
func (f *Fault) Has(local string) bool {
	for _, s := range f.Subcodes {
		if s.Local == local && (s.Space == nsError || s.Space == "") {
			return true
		}
	}
	return false
}

func (f *Fault) Error() string {
	var b strings.Builder
	b.WriteString("SOAP fault ")
	b.WriteString(f.Code.Local)
	for _, s := range f.Subcodes {
		b.WriteByte('/')
		b.WriteString(s.Local)
	}
	if f.Reason != "" {
		b.WriteString(": ")
		b.WriteString(f.Reason)
	}
	return b.String()
}

// IsFault reports whether err carries a SOAP fault with the given ONVIF
// subcode local name (NotAuthorized, ActionNotSupported, InvalidArgVal, ...).
func IsFault(err error, subcode string) bool {
	var f *Fault
	return errors.As(err, &f) && f.Has(subcode)
}

func invalidArg(op, format string, args ...any) error {
	return fmt.Errorf("onvif: %s: %s: %w", op, fmt.Sprintf(format, args...), ErrInvalidArg)
}
