package bundle

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
)

// Bounds on custody.log. A line holds an entry (at most seven 4 KiB
// fields) twice, once in base64 and once JSON-escaped for reading.
const (
	MaxCustodyBytes = 64 << 20
	MaxCustodyLine  = 256 << 10
	MaxCustodyLines = 1 << 20
)

// CustodyLine is one line of custody.log: an entry's canonical bytes and
// the same fields decoded for people. Only Entry is trusted (it is what the
// proofs cover); Check ties the rest to it.
type CustodyLine struct {
	Seq          uint64 `json:"seq"`
	Entry        []byte `json:"entry"` // base64 in JSON
	Time         string `json:"time"`
	Action       string `json:"action"`
	Actor        string `json:"actor"`
	Role         string `json:"role"`
	Camera       string `json:"camera"`
	From         string `json:"from,omitempty"`
	To           string `json:"to,omitempty"`
	ObjectSHA256 string `json:"object_sha256,omitempty"`
	ObjectBytes  int64  `json:"object_bytes"`
	Reason       string `json:"reason"`
	Ref          string `json:"ref"`
	Detail       string `json:"detail"`
	// ActorName and ActorSalt (hex) disclose who a "person:" actor is.
	ActorName string `json:"actor_name,omitempty"`
	ActorSalt string `json:"actor_salt,omitempty"`
}

// NewCustodyLine fills a custody line from an entry and its canonical
// bytes. Disclose a name by setting ActorName and ActorSalt afterwards.
func NewCustodyLine(e evidence.Entry, encoded []byte) CustodyLine {
	l := CustodyLine{
		Seq:         e.Seq,
		Entry:       bytes.Clone(encoded),
		Time:        FormatTime(e.Time),
		Action:      string(e.Action),
		Actor:       e.Actor,
		Role:        e.Role,
		Camera:      e.Camera,
		ObjectBytes: e.ObjectBytes,
		Reason:      e.Reason,
		Ref:         e.Ref,
		Detail:      e.Detail,
	}
	if !e.From.IsZero() {
		l.From, l.To = FormatTime(e.From), FormatTime(e.To)
	}
	if e.HasObject() {
		l.ObjectSHA256 = hex.EncodeToString(e.ObjectSHA256[:])
	}
	return l
}

// FormatCustody returns custody.log: one JSON object a line.
func FormatCustody(lines []CustodyLine) []byte {
	var b bytes.Buffer
	for i := range lines {
		j, err := json.Marshal(&lines[i])
		if err != nil {
			panic(err) // strings, ints and bytes always marshal
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseCustody parses custody.log strictly: every line one JSON object
// with known fields only, ended by a newline, seq strictly increasing.
// It does not check the lines against their entries: see Check.
func ParseCustody(b []byte) ([]CustodyLine, error) {
	if len(b) > MaxCustodyBytes {
		return nil, fmt.Errorf("custody.log: %d bytes, at most %d", len(b), MaxCustodyBytes)
	}
	if len(b) == 0 || b[len(b)-1] != '\n' {
		return nil, errors.New("custody.log: empty or does not end with a newline")
	}
	var out []CustodyLine
	for n := 1; len(b) > 0; n++ {
		i := bytes.IndexByte(b, '\n')
		line := b[:i]
		b = b[i+1:]
		if n > MaxCustodyLines {
			return nil, fmt.Errorf("custody.log: over %d lines", MaxCustodyLines)
		}
		if len(line) > MaxCustodyLine {
			return nil, fmt.Errorf("custody.log line %d: over %d bytes", n, MaxCustodyLine)
		}
		var l CustodyLine
		if err := decodeStrict(line, &l); err != nil {
			return nil, fmt.Errorf("custody.log line %d: %v", n, err)
		}
		if len(out) > 0 && l.Seq <= out[len(out)-1].Seq {
			return nil, fmt.Errorf("custody.log line %d: seq %d after %d: not in increasing order", n, l.Seq, out[len(out)-1].Seq)
		}
		out = append(out, l)
	}
	return out, nil
}

// Check decodes the line's entry (it must be canonical), checks that every
// readable field says what the entry says, and that a disclosed name and
// salt hash to the actor. It returns the entry.
func (l *CustodyLine) Check() (evidence.Entry, error) {
	e, err := evidence.DecodeEntry(l.Entry)
	if err != nil {
		return e, err
	}
	if e.Seq != l.Seq {
		return e, fmt.Errorf("line says seq %d, the entry is %d", l.Seq, e.Seq)
	}
	want := NewCustodyLine(e, l.Entry)
	if err := sameTime("time", l.Time, e.Time); err != nil {
		return e, err
	}
	if err := sameTime("from", l.From, e.From); err != nil {
		return e, err
	}
	if err := sameTime("to", l.To, e.To); err != nil {
		return e, err
	}
	for _, f := range []struct{ name, got, want string }{
		{"action", l.Action, want.Action},
		{"actor", l.Actor, want.Actor},
		{"role", l.Role, want.Role},
		{"camera", l.Camera, want.Camera},
		{"object_sha256", l.ObjectSHA256, want.ObjectSHA256},
		{"reason", l.Reason, want.Reason},
		{"ref", l.Ref, want.Ref},
		{"detail", l.Detail, want.Detail},
	} {
		if f.got != f.want {
			return e, fmt.Errorf("line says %s %q, the entry says %q", f.name, f.got, f.want)
		}
	}
	if l.ObjectBytes != e.ObjectBytes {
		return e, fmt.Errorf("line says object_bytes %d, the entry says %d", l.ObjectBytes, e.ObjectBytes)
	}
	return e, l.checkName()
}

// sameTime compares a readable time with the entry's; "" stands for none.
func sameTime(name, s string, t time.Time) error {
	if s == "" && t.IsZero() {
		return nil
	}
	if s == "" || t.IsZero() {
		return fmt.Errorf("line says %s %q, the entry says %s", name, s, describeTime(t))
	}
	got, err := ParseTime(s)
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if !got.Equal(t) {
		return fmt.Errorf("line says %s %s, the entry says %s", name, s, FormatTime(t))
	}
	return nil
}

func describeTime(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return FormatTime(t)
}

func (l *CustodyLine) checkName() error {
	if l.ActorName == "" && l.ActorSalt == "" {
		return nil
	}
	if l.ActorName == "" || l.ActorSalt == "" {
		return errors.New("actor_name and actor_salt come together")
	}
	salt, err := hex.DecodeString(l.ActorSalt)
	if err != nil || hex.EncodeToString(salt) != l.ActorSalt {
		return fmt.Errorf("actor_salt %q is not lower-case hex", l.ActorSalt)
	}
	if evidence.Pseudonym(salt, l.ActorName) != l.Actor {
		return fmt.Errorf("actor_name %q with its salt does not hash to the actor %s", l.ActorName, l.Actor)
	}
	return nil
}
