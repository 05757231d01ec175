package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// ManifestFormat is the "format" of a version 1 manifest.
const ManifestFormat = "vigil-export/1"

// The kinds of file a manifest lists.
const (
	KindMaster   = "master"   // a sealed segment, byte for byte
	KindWorking  = "working"  // an MP4 cut to the range for viewing
	KindVerifier = "verifier" // a vigil-verify binary
	KindReadme   = "readme"   // README.txt
)

// Bounds on a manifest: far above a month of one-minute segments from a
// dozen cameras, far below what would exhaust a laptop's memory.
const (
	MaxManifestBytes = 32 << 20
	MaxManifestFiles = 200_000
	MaxCameras       = 10_000
	maxTextBytes     = 64 << 10
)

// Manifest is manifest.json (spec §5). Times are kept as the strings the
// manifest carries (RFC 3339 UTC, see FormatTime) so that what is shown is
// exactly what was signed.
type Manifest struct {
	Format         string   `json:"format"`
	ExportID       string   `json:"export_id"`
	Created        string   `json:"created"`
	CreatedLocal   string   `json:"created_local"`
	Origin         string   `json:"origin"`
	CrimeReference string   `json:"crime_reference"`
	Officer        string   `json:"officer"`
	Reason         string   `json:"reason"`
	RequestedBy    string   `json:"requested_by"`
	ApprovedBy     string   `json:"approved_by"`
	From           string   `json:"from"`
	To             string   `json:"to"`
	FromLocal      string   `json:"from_local"`
	ToLocal        string   `json:"to_local"`
	Cameras        []Camera `json:"cameras"`
	Files          []File   `json:"files"`
}

// Camera describes one camera whose footage is in the bundle.
type Camera struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	Site          string  `json:"site"`
	Ward          string  `json:"ward"`
	Latitude      float64 `json:"latitude"`
	Longitude     float64 `json:"longitude"`
	ClockOffsetMS float64 `json:"clock_offset_ms"`
	// ClockSource is where the offset comes from: "rtcp-sr" (the camera's
	// RTCP sender reports), "onvif" (its clock read over ONVIF), or
	// "receive-time" (none: footage is timed as it arrived).
	ClockSource string `json:"clock_source"`
	// ClockOffsetAt is when clock_offset_ms was measured: the measurement
	// in effect when the footage begins (absent in bundles made before it
	// was recorded; such a bundle's offset was measured when it was made).
	ClockOffsetAt string `json:"clock_offset_at,omitempty"`
	// ClockOffsetRangeMS is the least and the greatest offset measured over
	// the footage, when it changed during it.
	ClockOffsetRangeMS []float64 `json:"clock_offset_range_ms,omitempty"`
	// PrivacyMasks are the areas of the picture that must never be shown
	// (polygons of [x, y] points, fractions of the width and height from
	// the top left), as set when the bundle was made. The camera's masters
	// hold them unmasked (ContainsMaskedAreas); its working copy has them
	// painted black (MasksBurnedIn).
	PrivacyMasks []MaskPolygon `json:"privacy_masks,omitempty"`
	// Locations are where the camera stood during the footage, oldest
	// first, each with the part of the exported period it covers: a
	// mobile camera may have been elsewhere then than it is now, or moved
	// within the period. Name, Site, Ward, Latitude and Longitude above
	// are the first of them. Empty for a camera with no recorded places.
	Locations []Location `json:"locations,omitempty"`
}

// Location is where a camera stood over part of the exported period.
type Location struct {
	From      string  `json:"from"` // FormatTime
	To        string  `json:"to"`
	FromLocal string  `json:"from_local"`
	ToLocal   string  `json:"to_local"`
	Name      string  `json:"name"`
	Address   string  `json:"address"`
	Site      string  `json:"site"`
	Ward      string  `json:"ward"`
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	// Deployment is the BJAG deployment that put the camera there (0: none).
	Deployment int64 `json:"deployment,omitempty"`
}

// MaxLocations bounds the places one camera lists.
const MaxLocations = 1000

// MaskPolygon is a privacy mask: 3 to MaxMaskPoints points.
type MaskPolygon [][2]float64

// Bounds on privacy masks, above the service's own (32 masks of 64 points).
const (
	MaxMasks      = 64
	MaxMaskPoints = 64
)

// File is one file of the bundle other than those authenticated by
// signatures and proofs (see IsFixedPath).
type File struct {
	Path       string `json:"path"`
	Kind       string `json:"kind"`
	SHA256     string `json:"sha256"` // lower-case hex
	Bytes      int64  `json:"bytes"`
	Camera     string `json:"camera,omitempty"`
	Start      string `json:"start,omitempty"`
	End        string `json:"end,omitempty"`
	StartLocal string `json:"start_local,omitempty"`
	EndLocal   string `json:"end_local,omitempty"`
	// SealedSeq is the seq of the master's segment.sealed entry; a pointer
	// because entry 0 is a valid seq.
	SealedSeq *uint64 `json:"sealed_seq,omitempty"`
	// ContainsMaskedAreas marks a master of a camera with privacy masks:
	// native footage in which those areas are visible.
	ContainsMaskedAreas bool `json:"contains_masked_areas,omitempty"`
	// MasksBurnedIn marks a working copy re-encoded with its camera's
	// privacy masks painted black.
	MasksBurnedIn bool `json:"masks_burned_in,omitempty"`
}

// The files every bundle has that the manifest does not list.
const (
	ManifestPath    = "manifest.json"
	ManifestSigPath = "manifest.sig"
	CheckpointPath  = "checkpoint"
	CustodyPath     = "custody.log"
	SumsPath        = "SHA256SUMS"
	ReadmePath      = "README.txt"
)

// IsFixedPath reports whether p is one of the files authenticated by
// signatures and proofs rather than listed in the manifest.
func IsFixedPath(p string) bool {
	switch p {
	case ManifestPath, ManifestSigPath, CheckpointPath, CustodyPath, SumsPath:
		return true
	}
	return strings.HasPrefix(p, "proofs/")
}

// FormatTime is a time as manifests and custody logs write it: RFC 3339 in
// UTC with a Z and as many fractional digits as needed (entries keep
// microseconds, and a master's start must equal its entry's exactly).
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ParseTime parses a time written by FormatTime; it insists on the Z.
func ParseTime(s string) (time.Time, error) {
	if !strings.HasSuffix(s, "Z") {
		return time.Time{}, fmt.Errorf("time %q: not UTC with a Z suffix", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: not RFC 3339", s)
	}
	return t, nil
}

// ParseManifest parses manifest.json strictly: no unknown fields, no
// trailing data, every time, hash and path well formed, every master tied
// to a camera and a sealed entry, no path twice.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if len(b) > MaxManifestBytes {
		return m, fmt.Errorf("manifest: %d bytes, at most %d", len(b), MaxManifestBytes)
	}
	if err := decodeStrict(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("manifest: %w", err)
	}
	if err := m.check(); err != nil {
		return Manifest{}, fmt.Errorf("manifest: %w", err)
	}
	return m, nil
}

// decodeStrict decodes exactly one JSON value with no unknown fields.
func decodeStrict(b []byte, v any) error {
	if !utf8.Valid(b) {
		return errors.New("not UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

func (m *Manifest) check() error {
	if m.Format != ManifestFormat {
		return fmt.Errorf("format %q, want %q", m.Format, ManifestFormat)
	}
	if m.ExportID == "" || m.Origin == "" {
		return errors.New("export_id and origin are required")
	}
	for _, s := range []string{m.ExportID, m.CreatedLocal, m.Origin, m.CrimeReference, m.Officer,
		m.Reason, m.RequestedBy, m.ApprovedBy, m.FromLocal, m.ToLocal} {
		if err := checkText(s); err != nil {
			return err
		}
	}
	if _, err := ParseTime(m.Created); err != nil {
		return fmt.Errorf("created: %w", err)
	}
	if err := checkRange(m.From, m.To); err != nil {
		return err
	}
	if len(m.Cameras) > MaxCameras || len(m.Files) > MaxManifestFiles {
		return fmt.Errorf("%d cameras and %d files: too many", len(m.Cameras), len(m.Files))
	}
	cams := make(map[string]bool, len(m.Cameras))
	for i := range m.Cameras {
		c := &m.Cameras[i]
		if err := c.check(); err != nil {
			return err
		}
		if cams[c.ID] {
			return fmt.Errorf("camera %q listed twice", c.ID)
		}
		cams[c.ID] = true
	}
	if len(m.Files) == 0 {
		return errors.New("no files")
	}
	paths := make(map[string]bool, len(m.Files))
	for i := range m.Files {
		f := &m.Files[i]
		if err := f.check(cams); err != nil {
			return fmt.Errorf("file %d: %w", i, err)
		}
		if paths[f.Path] {
			return fmt.Errorf("file %s listed twice", f.Path)
		}
		paths[f.Path] = true
	}
	return m.checkMasks()
}

// checkMasks holds the masks and the files' marks to each other: a camera
// has masks exactly when its masters are marked as containing masked
// areas and its working copies as having them burned in, so that no
// unmasked working copy passes for a masked one, or the other way round.
func (m *Manifest) checkMasks() error {
	masked := map[string]bool{}
	for _, c := range m.Cameras {
		masked[c.ID] = len(c.PrivacyMasks) > 0
	}
	for _, f := range m.Files {
		switch {
		case f.Kind == KindMaster && f.ContainsMaskedAreas != masked[f.Camera]:
			return fmt.Errorf("%s: contains_masked_areas is %v, but camera %q has %d privacy masks", f.Path, f.ContainsMaskedAreas, f.Camera, len(m.camera(f.Camera).PrivacyMasks))
		case f.Kind == KindWorking && f.MasksBurnedIn != masked[f.Camera]:
			return fmt.Errorf("%s: masks_burned_in is %v, but camera %q has %d privacy masks", f.Path, f.MasksBurnedIn, f.Camera, len(m.camera(f.Camera).PrivacyMasks))
		case f.Kind != KindMaster && f.ContainsMaskedAreas, f.Kind != KindWorking && f.MasksBurnedIn:
			return fmt.Errorf("%s: a %s cannot carry mask marks", f.Path, f.Kind)
		}
	}
	return nil
}

func (m *Manifest) camera(id string) Camera {
	for _, c := range m.Cameras {
		if c.ID == id {
			return c
		}
	}
	return Camera{}
}

func checkText(s string) error {
	if len(s) > maxTextBytes {
		return fmt.Errorf("a text field is over %d bytes", maxTextBytes)
	}
	return nil
}

func checkRange(from, to string) error {
	f, err := ParseTime(from)
	if err != nil {
		return fmt.Errorf("from: %w", err)
	}
	t, err := ParseTime(to)
	if err != nil {
		return fmt.Errorf("to: %w", err)
	}
	if t.Before(f) {
		return fmt.Errorf("range ends (%s) before it starts (%s)", to, from)
	}
	return nil
}

func (c *Camera) check() error {
	if c.ID == "" || strings.ContainsAny(c.ID, "/\\:") || CheckPath(c.ID) != nil {
		return fmt.Errorf("camera id %q: empty or not usable as a folder name", c.ID)
	}
	for _, s := range []string{c.Name, c.Site, c.Ward} {
		if err := checkText(s); err != nil {
			return err
		}
	}
	for _, x := range []float64{c.Latitude, c.Longitude, c.ClockOffsetMS} {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("camera %s: a number is not finite", c.ID)
		}
	}
	if c.Latitude < -90 || c.Latitude > 90 || c.Longitude < -180 || c.Longitude > 180 {
		return fmt.Errorf("camera %s: latitude/longitude out of range", c.ID)
	}
	if len(c.Locations) > MaxLocations {
		return fmt.Errorf("camera %s: %d locations, at most %d", c.ID, len(c.Locations), MaxLocations)
	}
	for i, l := range c.Locations {
		if err := checkRange(l.From, l.To); err != nil {
			return fmt.Errorf("camera %s: location %d: %w", c.ID, i, err)
		}
		for _, s := range []string{l.FromLocal, l.ToLocal, l.Name, l.Address, l.Site, l.Ward} {
			if err := checkText(s); err != nil {
				return fmt.Errorf("camera %s: location %d: %w", c.ID, i, err)
			}
		}
		if !(l.Latitude >= -90 && l.Latitude <= 90 && l.Longitude >= -180 && l.Longitude <= 180) || l.Deployment < 0 {
			return fmt.Errorf("camera %s: location %d: latitude/longitude out of range", c.ID, i)
		}
	}
	if c.ClockSource != "rtcp-sr" && c.ClockSource != "onvif" && c.ClockSource != "receive-time" {
		return fmt.Errorf("camera %s: clock_source %q, want rtcp-sr, onvif or receive-time", c.ID, c.ClockSource)
	}
	if c.ClockOffsetAt != "" {
		if _, err := ParseTime(c.ClockOffsetAt); err != nil {
			return fmt.Errorf("camera %s: clock_offset_at: %w", c.ID, err)
		}
	}
	if r := c.ClockOffsetRangeMS; r != nil {
		if len(r) != 2 || math.IsNaN(r[0]) || math.IsInf(r[0], 0) || math.IsNaN(r[1]) || math.IsInf(r[1], 0) || r[0] > r[1] {
			return fmt.Errorf("camera %s: clock_offset_range_ms must be [least, greatest], finite", c.ID)
		}
	}
	if len(c.PrivacyMasks) > MaxMasks {
		return fmt.Errorf("camera %s: %d privacy masks, at most %d", c.ID, len(c.PrivacyMasks), MaxMasks)
	}
	for i, p := range c.PrivacyMasks {
		if len(p) < 3 || len(p) > MaxMaskPoints {
			return fmt.Errorf("camera %s: privacy mask %d has %d points, want 3 to %d", c.ID, i, len(p), MaxMaskPoints)
		}
		for _, q := range p {
			for _, x := range q {
				if !(x >= 0 && x <= 1) { // NaN fails too
					return fmt.Errorf("camera %s: privacy mask %d: a point is outside the picture (0 to 1)", c.ID, i)
				}
			}
		}
	}
	return nil
}

func (f *File) check(cams map[string]bool) error {
	if err := CheckPath(f.Path); err != nil {
		return err
	}
	if IsFixedPath(f.Path) {
		return fmt.Errorf("%s is authenticated by signature, not listed", f.Path)
	}
	if _, err := ParseHex32(f.SHA256); err != nil {
		return fmt.Errorf("%s: sha256: %w", f.Path, err)
	}
	if f.Bytes < 0 {
		return fmt.Errorf("%s: negative size", f.Path)
	}
	if f.Camera != "" && !cams[f.Camera] {
		return fmt.Errorf("%s: camera %q is not in cameras", f.Path, f.Camera)
	}
	if f.Start != "" || f.End != "" {
		if err := checkRange(f.Start, f.End); err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
	}
	for _, s := range []string{f.StartLocal, f.EndLocal} {
		if err := checkText(s); err != nil {
			return err
		}
	}
	el := strings.Split(f.Path, "/")
	ok := false
	switch f.Kind {
	case KindMaster:
		ok = len(el) == 3 && el[0] == "media" && el[1] == f.Camera &&
			f.SealedSeq != nil && f.Start != ""
	case KindWorking:
		ok = len(el) == 2 && el[0] == "working"
	case KindVerifier:
		ok = len(el) >= 2 && el[0] == "verify"
	case KindReadme:
		ok = f.Path == ReadmePath
	default:
		return fmt.Errorf("%s: unknown kind %q", f.Path, f.Kind)
	}
	if !ok {
		return fmt.Errorf("%s: not where a %s belongs, or missing its camera, start or sealed_seq", f.Path, f.Kind)
	}
	if f.Kind != KindMaster && f.SealedSeq != nil {
		return fmt.Errorf("%s: sealed_seq on a %s", f.Path, f.Kind)
	}
	return nil
}

// ParseHex32 parses 64 lower-case hex digits.
func ParseHex32(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 64 || strings.ToLower(s) != s {
		return h, fmt.Errorf("%q is not 64 lower-case hex digits", s)
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%q is not 64 lower-case hex digits", s)
	}
	return h, nil
}

// ManifestSigText is the text of the note that manifest.sig signs.
func ManifestSigText(manifest []byte) []byte {
	sum := sha256.Sum256(manifest)
	return []byte("vigil-manifest/1\n" + hex.EncodeToString(sum[:]) + "\n")
}
