package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Fault is what can go wrong with a camera. The zero value is a healthy camera.
//
// Periodic events (DropEvery, StallEvery, JumpEvery) happen at since+k*Every, k >= 1, where
// since is when the fault was set: "drop=30s" streams for 30 s, drops, streams 30 s, drops...
// A stall or jump without a period happens once, as soon as the fault is set.
type Fault struct {
	// DropEvery closes every client session of the camera every DropEvery.
	DropEvery time.Duration
	// StallFor stops sending packets for StallFor (the connection stays open; sequence
	// numbers skip as if the packets were lost), every StallEvery, or once when StallEvery is 0.
	StallFor, StallEvery time.Duration
	// CorruptRatio is the fraction of RTP packets replaced by malformed H.264 payloads
	// (truncated FU-A, bad STAP-A lengths, unsupported packet types, garbage NAL units).
	CorruptRatio float64
	// JumpBy is added to the RTP timestamps every JumpEvery (a camera clock jump),
	// or once when JumpEvery is 0. It may be negative.
	JumpBy, JumpEvery time.Duration
	// Refuse answers DESCRIBE/SETUP/PLAY with 503 (the camera is "dead"); setting it also
	// closes the camera's sessions.
	Refuse bool
	// User and Pass, when User is set, require digest authentication for this camera
	// (overriding Config.User/Pass).
	User, Pass string
	// ClockOffset is how far the camera's wall clock (RTCP sender reports) is off.
	ClockOffset time.Duration
	// Codec, when "h265" or "mjpeg", advertises that format instead of H.264 (no packets
	// are sent) so clients can test "unsupported codec". "" or "h264" is H.264.
	// Changing it closes the camera's sessions.
	Codec string
}

// IsZero reports whether f is no fault at all.
func (f Fault) IsZero() bool {
	return f == Fault{}
}

const (
	minFaultPeriod = 100 * time.Millisecond
	maxJump        = 24 * time.Hour
	maxClockOffset = 10 * 365 * 24 * time.Hour
)

// Validate checks the fault.
func (f Fault) Validate() error {
	switch {
	case f.DropEvery < 0:
		return fmt.Errorf("DropEvery: negative")
	case f.DropEvery > 0 && f.DropEvery < minFaultPeriod:
		return fmt.Errorf("DropEvery: %v is shorter than %v", f.DropEvery, minFaultPeriod)
	case f.StallFor < 0 || f.StallEvery < 0:
		return fmt.Errorf("StallFor, StallEvery: negative")
	case f.StallEvery > 0 && (f.StallFor == 0 || f.StallFor >= f.StallEvery):
		return fmt.Errorf("StallFor: %v must be more than 0 and less than StallEvery (%v)", f.StallFor, f.StallEvery)
	case math.IsNaN(f.CorruptRatio) || f.CorruptRatio < 0 || f.CorruptRatio > 1:
		return fmt.Errorf("CorruptRatio: %v is not between 0 and 1", f.CorruptRatio)
	case f.JumpBy < -maxJump || f.JumpBy > maxJump:
		return fmt.Errorf("JumpBy: %v is beyond ±%v", f.JumpBy, maxJump)
	case f.JumpEvery < 0:
		return fmt.Errorf("JumpEvery: negative")
	case f.JumpEvery > 0 && f.JumpEvery < minFaultPeriod:
		return fmt.Errorf("JumpEvery: %v is shorter than %v", f.JumpEvery, minFaultPeriod)
	case f.JumpEvery > 0 && f.JumpBy == 0:
		return fmt.Errorf("JumpBy: zero while JumpEvery is set")
	case f.User == "" && f.Pass != "":
		return fmt.Errorf("User: empty while Pass is set")
	case strings.Contains(f.User, ":"):
		return fmt.Errorf("User: contains ':'")
	case !printable(f.User) || !printable(f.Pass):
		return fmt.Errorf("User, Pass: not printable UTF-8")
	case f.ClockOffset < -maxClockOffset || f.ClockOffset > maxClockOffset:
		return fmt.Errorf("ClockOffset: %v is beyond ±%v", f.ClockOffset, maxClockOffset)
	}
	switch f.Codec {
	case "", "h264", "h265", "mjpeg":
	default:
		return fmt.Errorf("Codec: %q is not one of h264, h265, mjpeg", f.Codec)
	}
	return nil
}

// codec returns the advertised codec, "" for H.264.
func (f Fault) codec() string {
	if f.Codec == "h264" {
		return ""
	}
	return f.Codec
}

// String returns the fault as comma-separated options, the format ParseFaultOptions reads.
func (f Fault) String() string {
	var opts []string
	if f.DropEvery != 0 {
		opts = append(opts, "drop="+f.DropEvery.String())
	}
	if f.StallFor != 0 || f.StallEvery != 0 {
		v := "stall=" + f.StallFor.String()
		if f.StallEvery != 0 {
			v += "/" + f.StallEvery.String()
		}
		opts = append(opts, v)
	}
	if f.CorruptRatio != 0 {
		opts = append(opts, "corrupt="+strconv.FormatFloat(f.CorruptRatio, 'g', -1, 64))
	}
	if f.JumpBy != 0 || f.JumpEvery != 0 {
		v := "jump=" + f.JumpBy.String()
		if f.JumpEvery != 0 {
			v += "/" + f.JumpEvery.String()
		}
		opts = append(opts, v)
	}
	if f.Refuse {
		opts = append(opts, "refuse")
	}
	if f.User != "" || f.Pass != "" {
		opts = append(opts, "auth="+f.User+":"+f.Pass)
	}
	if f.ClockOffset != 0 {
		opts = append(opts, "clock="+f.ClockOffset.String())
	}
	if f.Codec != "" {
		opts = append(opts, "codec="+f.Codec)
	}
	return strings.Join(opts, ",")
}

const maxFaultSpecLen = 1024

// ParseFault parses "CAMERA:OPTIONS", e.g. "cam003:drop=30s" or
// "cam004:stall=5s/60s,corrupt=0.01". See ParseFaultOptions for OPTIONS.
func ParseFault(spec string) (camera string, f Fault, err error) {
	camera, opts, ok := strings.Cut(spec, ":")
	if !ok {
		return "", Fault{}, fmt.Errorf("fault %q: want CAMERA:OPTIONS, e.g. cam003:drop=30s", truncate(spec))
	}
	if cameraIndex(camera) == 0 {
		return "", Fault{}, fmt.Errorf("fault %q: %q is not a camera name like cam003", truncate(spec), truncate(camera))
	}
	if err := ParseFaultOptions(opts, &f); err != nil {
		return "", Fault{}, fmt.Errorf("fault %q: %w", truncate(spec), err)
	}
	return camera, f, nil
}

// ParseFaults parses repeated -fault specs; options for the same camera are merged, later
// ones winning.
func ParseFaults(specs []string) (map[string]Fault, error) {
	out := make(map[string]Fault)
	for _, spec := range specs {
		camera, opts, _ := strings.Cut(spec, ":")
		if _, _, err := ParseFault(spec); err != nil {
			return nil, err
		}
		f := out[camera]
		if err := ParseFaultOptions(opts, &f); err != nil {
			return nil, fmt.Errorf("fault %q: %w", truncate(spec), err)
		}
		out[camera] = f
	}
	return out, nil
}

// ParseFaultOptions applies comma-separated options onto f and validates the result:
//
//	drop=30s          close the camera's sessions every 30 s
//	stall=5s/60s      stop sending for 5 s every 60 s (stall=5s: once, now)
//	corrupt=0.01      corrupt 1% of RTP packets
//	jump=10m/30s      jump RTP timestamps by 10 min every 30 s (jump=-1h: once, now)
//	refuse            refuse DESCRIBE/SETUP with 503 and close sessions (refuse=false undoes)
//	auth=user:pass    require digest auth with these credentials
//	clock=-3s         the camera's wall clock (RTCP SR) is 3 s slow
//	codec=h265        advertise H.265 (or mjpeg, or h264) instead of H.264
//
// Durations use Go syntax (300ms, 5s, 10m, 1h30m). User and password cannot contain ','.
func ParseFaultOptions(opts string, f *Fault) error {
	if len(opts) > maxFaultSpecLen {
		return fmt.Errorf("longer than %d bytes", maxFaultSpecLen)
	}
	if strings.TrimSpace(opts) == "" {
		return errors.New("no options (e.g. drop=30s, stall=5s/60s, corrupt=0.01, refuse)")
	}
	g := *f
	for _, opt := range strings.Split(opts, ",") {
		key, val, hasVal := strings.Cut(strings.TrimSpace(opt), "=")
		var err error
		switch key {
		case "drop":
			g.DropEvery, err = parseDur(val)
		case "stall":
			g.StallFor, g.StallEvery, err = parseDurPair(val)
		case "corrupt":
			g.CorruptRatio, err = strconv.ParseFloat(val, 64)
		case "jump":
			g.JumpBy, g.JumpEvery, err = parseDurPair(val)
		case "refuse":
			g.Refuse = true
			if hasVal {
				g.Refuse, err = strconv.ParseBool(val)
			}
		case "auth":
			var ok bool
			g.User, g.Pass, ok = strings.Cut(val, ":")
			if !ok || g.User == "" {
				err = errors.New("want auth=USER:PASS")
			}
		case "clock":
			g.ClockOffset, err = parseDur(val)
		case "codec":
			g.Codec = strings.ToLower(val)
		default:
			return fmt.Errorf("unknown option %q (drop, stall, corrupt, jump, refuse, auth, clock, codec)", truncate(key))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if !hasVal && key != "refuse" {
			return fmt.Errorf("%s: missing value", key)
		}
	}
	if err := g.Validate(); err != nil {
		return err
	}
	*f = g
	return nil
}

// printable reports whether s is valid UTF-8 without control characters (it goes in RTSP
// headers).
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func parseDur(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration like 30s", truncate(v))
	}
	return d, nil
}

func parseDurPair(v string) (time.Duration, time.Duration, error) {
	a, b, ok := strings.Cut(v, "/")
	d1, err := parseDur(a)
	if err != nil || !ok {
		return d1, 0, err
	}
	d2, err := parseDur(b)
	return d1, d2, err
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// faultJSON is the JSON form of a Fault, with durations as Go duration strings.
type faultJSON struct {
	DropEvery    string  `json:"drop_every,omitempty"`
	StallFor     string  `json:"stall_for,omitempty"`
	StallEvery   string  `json:"stall_every,omitempty"`
	CorruptRatio float64 `json:"corrupt_ratio,omitempty"`
	JumpBy       string  `json:"jump_by,omitempty"`
	JumpEvery    string  `json:"jump_every,omitempty"`
	Refuse       bool    `json:"refuse,omitempty"`
	User         string  `json:"user,omitempty"`
	Pass         string  `json:"pass,omitempty"`
	ClockOffset  string  `json:"clock_offset,omitempty"`
	Codec        string  `json:"codec,omitempty"`
}

func durString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// MarshalJSON encodes durations as strings ("30s").
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultJSON{
		DropEvery:    durString(f.DropEvery),
		StallFor:     durString(f.StallFor),
		StallEvery:   durString(f.StallEvery),
		CorruptRatio: f.CorruptRatio,
		JumpBy:       durString(f.JumpBy),
		JumpEvery:    durString(f.JumpEvery),
		Refuse:       f.Refuse,
		User:         f.User,
		Pass:         f.Pass,
		ClockOffset:  durString(f.ClockOffset),
		Codec:        f.Codec,
	})
}

// UnmarshalJSON decodes {"drop_every":"30s","stall_for":"5s","stall_every":"60s",
// "corrupt_ratio":0.01,"jump_by":"10m","jump_every":"30s","refuse":true,"user":"u",
// "pass":"p","clock_offset":"-2s","codec":"h265"}. Unknown fields are an error.
// It does not validate; call Validate.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var j faultJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	var g Fault
	for _, d := range []struct {
		name string
		src  string
		dst  *time.Duration
	}{
		{"drop_every", j.DropEvery, &g.DropEvery},
		{"stall_for", j.StallFor, &g.StallFor},
		{"stall_every", j.StallEvery, &g.StallEvery},
		{"jump_by", j.JumpBy, &g.JumpBy},
		{"jump_every", j.JumpEvery, &g.JumpEvery},
		{"clock_offset", j.ClockOffset, &g.ClockOffset},
	} {
		if d.src == "" {
			continue
		}
		v, err := parseDur(d.src)
		if err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		*d.dst = v
	}
	g.CorruptRatio = j.CorruptRatio
	g.Refuse = j.Refuse
	g.User, g.Pass = j.User, j.Pass
	g.Codec = j.Codec
	*f = g
	return nil
}
