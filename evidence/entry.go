package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// Action names what an entry records. The set grows with later issues; a
// verifier shows an unknown action as it is.
type Action string

// The actions Vigil logs.
const (
	ActionSegmentSealed    Action = "segment.sealed"
	ActionSegmentDeleted   Action = "segment.deleted" // a tombstone: keeps the hash
	ActionHoldPlaced       Action = "hold.placed"
	ActionHoldExtended     Action = "hold.extended"
	ActionHoldReleaseAsked Action = "hold.release_requested"
	ActionHoldReleased     Action = "hold.released"
	ActionExportRequested  Action = "export.requested"
	ActionExportApproved   Action = "export.approved"
	ActionExportCreated    Action = "export.created"
	ActionExportDownloaded Action = "export.downloaded"
	ActionPlayback         Action = "footage.playback"
	ActionLiveView         Action = "footage.live_view"
	ActionSnapshot         Action = "footage.snapshot"
	ActionLogin            Action = "auth.login"
	ActionLoginFailed      Action = "auth.login_failed"
	ActionLockedOut        Action = "auth.locked_out"
	ActionLogout           Action = "auth.logout"
	ActionPasswordChanged  Action = "auth.password_changed"
	ActionSecondFactor     Action = "auth.totp_changed"
	ActionAccessDenied     Action = "access.denied"
	ActionUserChanged      Action = "user.changed"
	ActionTokenChanged     Action = "token.changed"
	ActionExportRefused    Action = "export.refused"
	ActionExportExpired    Action = "export.expired"
	ActionExportLink       Action = "export.link_created"
	ActionConfigChanged    Action = "config.changed"
	ActionKeyRotated       Action = "key.rotated"
	ActionCheckpoint       Action = "log.checkpoint"
	// Analytics (issue 7): settings (zones, exclusions), privacy masks,
	// event thumbnails (footage) and alert acknowledgements.
	ActionAnalyticsChanged Action = "analytics.changed"
	ActionMaskChanged      Action = "privacy.mask_changed"
	ActionEventThumbnail   Action = "footage.event_thumbnail"
	ActionAlertAcked       Action = "alert.acked"
	ActionAlertRuleChanged Action = "alert.rule_changed"
	// ANPR (issue 8): every search of plate reads is a consultation of
	// personal data; a read's crop or vehicle picture is footage; the
	// watch-list's changes and the retention of reads are recorded.
	ActionPlateSearch      Action = "anpr.search"
	ActionPlateImage       Action = "footage.plate_image"
	ActionWatchlistChanged Action = "anpr.watchlist_changed"
	ActionPlateReadsPruned Action = "anpr.reads_deleted"
	// Steering a pan-tilt-zoom camera, and holding or taking its control
	// (issue 11).
	ActionPTZ     Action = "camera.ptz"
	ActionPTZLock Action = "camera.ptz_lock"
)

// Actors that are parts of Vigil rather than people.
const (
	ActorRecorder  = "system:recorder"
	ActorRetention = "system:retention"
	ActorLog       = "system:evidence-log"
	// ActorAnonymous marks API access before users existed (issue 5);
	// entries written since name a person or a token.
	ActorAnonymous = "system:unauthenticated-api"
	// ActorUnknownUser is a sign-in attempt with a username nobody has
	// (the name typed is not kept).
	ActorUnknownUser = "system:unknown-user"
	// ActorWorkflow is Vigil acting on a rule, e.g. expiring an undecided
	// export request.
	ActorWorkflow = "system:workflow"
	// ActorDemo is the demo site setting itself up (its first watch-list entry).
	ActorDemo = "system:demo"
	// ActorPTZ is Vigil stopping a dome nobody steers any more (the
	// dead-man stop of a continuous move, a lock run out).
	ActorPTZ = "system:ptz"
)

// Entry is one record of the log. Seq and Prev are set by the log.
type Entry struct {
	Seq    uint64    // leaf index, from 0
	Time   time.Time // UTC, microsecond precision
	Action Action
	// Actor is a system actor ("system:...") or a person's pseudonym
	// ("person:" + hex SHA-256 of salt||name, see Pseudonym): names stay out
	// of the leaves so erasing one never breaks the chain.
	Actor  string
	Role   string
	Camera string
	// From and To are the footage time range; zero when none.
	From, To time.Time
	// ObjectSHA256 is the hash of the object acted on (a segment, a
	// manifest); zero when none. ObjectBytes is its size.
	ObjectSHA256 [32]byte
	ObjectBytes  int64
	Reason       string // why: required for access to footage
	Ref          string // a reference: crime reference, hold or export id, path
	Detail       string // anything else, short
	Prev         tlog.Hash
}

// entryMagic starts every encoded entry: format name and version 1.
var entryMagic = []byte("VGE\x01")

// MaxFieldBytes bounds each text field of an entry.
const MaxFieldBytes = 4096

// ErrBadEntry is returned for bytes that are not a canonical entry.
var ErrBadEntry = errors.New("not a canonical evidence entry")

// Encode returns the entry's canonical bytes (docs/evidence-format.md).
func (e *Entry) Encode() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 256)
	b = append(b, entryMagic...)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(micros(e.Time)))
	for _, s := range []string{string(e.Action), e.Actor, e.Role, e.Camera} {
		b = appendString(b, s)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(micros(e.From)))
	b = binary.BigEndian.AppendUint64(b, uint64(micros(e.To)))
	b = append(b, e.ObjectSHA256[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.ObjectBytes))
	for _, s := range []string{e.Reason, e.Ref, e.Detail} {
		b = appendString(b, s)
	}
	return append(b, e.Prev[:]...), nil
}

// Validate checks the entry can be encoded: time, action and actor set,
// a whole time range or none, bounded UTF-8 text.
func (e *Entry) Validate() error {
	if e.Time.IsZero() {
		return fmt.Errorf("entry %d: no time", e.Seq)
	}
	if e.Action == "" || e.Actor == "" {
		return fmt.Errorf("entry %d: action and actor are required", e.Seq)
	}
	if e.From.IsZero() != e.To.IsZero() || e.To.Before(e.From) {
		return fmt.Errorf("entry %d: bad time range %v to %v", e.Seq, e.From, e.To)
	}
	if e.ObjectBytes < 0 {
		return fmt.Errorf("entry %d: negative object size", e.Seq)
	}
	for _, s := range []string{string(e.Action), e.Actor, e.Role, e.Camera, e.Reason, e.Ref, e.Detail} {
		if len(s) > MaxFieldBytes || !utf8.ValidString(s) {
			return fmt.Errorf("entry %d: a text field is over %d bytes or not UTF-8", e.Seq, MaxFieldBytes)
		}
	}
	return nil
}

// DecodeEntry parses canonical bytes. It accepts only what Encode produces:
// any other byte string is ErrBadEntry.
func DecodeEntry(b []byte) (Entry, error) {
	d := decoder{b: b}
	if !bytes.HasPrefix(b, entryMagic) {
		return Entry{}, fmt.Errorf("%w: wrong magic or version", ErrBadEntry)
	}
	d.b = d.b[len(entryMagic):]
	var e Entry
	e.Seq = d.u64()
	e.Time = fromMicros(int64(d.u64()))
	var action string
	for _, p := range []*string{&action, &e.Actor, &e.Role, &e.Camera} {
		*p = d.str()
	}
	e.Action = Action(action)
	e.From, e.To = fromMicros(int64(d.u64())), fromMicros(int64(d.u64()))
	copy(e.ObjectSHA256[:], d.take(32))
	e.ObjectBytes = int64(d.u64())
	for _, p := range []*string{&e.Reason, &e.Ref, &e.Detail} {
		*p = d.str()
	}
	copy(e.Prev[:], d.take(32))
	if d.err != nil {
		return Entry{}, d.err
	}
	if len(d.b) != 0 {
		return Entry{}, fmt.Errorf("%w: %d trailing bytes", ErrBadEntry, len(d.b))
	}
	if err := e.Validate(); err != nil {
		return Entry{}, fmt.Errorf("%w: %v", ErrBadEntry, err)
	}
	// Canonical: re-encoding gives the same bytes (this rejects, for
	// example, a zero time encoded as something other than 0).
	if again, _ := e.Encode(); !bytes.Equal(again, b) {
		return Entry{}, fmt.Errorf("%w: not in canonical form", ErrBadEntry)
	}
	return e, nil
}

// LeafHash is the entry's RFC 6962 leaf hash: SHA-256(0x00 || bytes).
func LeafHash(encoded []byte) tlog.Hash { return tlog.RecordHash(encoded) }

// HasObject reports whether the entry names an object by hash.
func (e *Entry) HasObject() bool { return e.ObjectSHA256 != [32]byte{} }

// Pseudonym is the actor string for a person: their name never enters the
// log, only SHA-256(salt || name) with a per-person random salt kept in a
// side table, so erasing the side-table row leaves the chain intact.
func Pseudonym(salt []byte, name string) string {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(name))
	return "person:" + hex.EncodeToString(h.Sum(nil))
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// micros is a time as UTC microseconds since 1970; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// decoder reads big-endian fields, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return make([]byte, n)
	}
	if len(d.b) < n {
		d.err = fmt.Errorf("%w: truncated", ErrBadEntry)
		return make([]byte, n)
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u64() uint64 { return binary.BigEndian.Uint64(d.take(8)) }

func (d *decoder) str() string {
	n := binary.BigEndian.Uint32(d.take(4))
	if n > MaxFieldBytes {
		if d.err == nil {
			d.err = fmt.Errorf("%w: a %d-byte field (at most %d)", ErrBadEntry, n, MaxFieldBytes)
		}
		return ""
	}
	return string(d.take(int(n)))
}
