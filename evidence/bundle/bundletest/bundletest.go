package bundletest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"golang.org/x/mod/sumdb/note"
)

// Origin is the log origin and key name of the bundles built here.
const Origin = "vigil.test.example/evidence"

// Bundle is a valid export bundle on disk and what made it.
type Bundle struct {
	Dir      string
	Log      *Log
	VKey     string        // the council's verifier key, as published
	Verifier note.Verifier // the same, parsed
	Size     int64         // the tree size of the bundle's checkpoint
	Manifest bundle.Manifest
	// ConsistencyFrom is the earlier tree size the bundle carries a
	// consistency proof from.
	ConsistencyFrom int64
}

// The bundle's layout, for tests that tamper with one file.
const (
	Master1 = "media/cam001/cam001-20261123T095800Z.mp4"
	Master2 = "media/cam001/cam001-20261123T095900Z.mp4"
	Working = "working/cam001.mp4"
	Binary  = "verify/linux-amd64/vigil-verify"
)

// The custody entries' seqs: entry 2 (another camera) and 0 (a login) are
// in the log but not the bundle; 8 is after the export.
const (
	SealedSeq1    = 1
	SealedSeq2    = 3
	PlaybackSeq   = 4
	ExportSeq     = 7
	officerName   = "PC 123 Smith"
	exportID      = "6f1c2a9e-3b7d-4c1e-9a55-0d2f3e4b5c6d"
	consistencyAt = 3
)

// New writes a valid bundle in a fresh t.TempDir() and returns it.
func New(tb testing.TB) *Bundle {
	tb.Helper()
	b, err := build(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// NewKey returns a fresh signer and verifier key for name.
func NewKey(tb testing.TB, name string) (note.Signer, string) {
	tb.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return s, vkey
}

func build(dir string) (*Bundle, error) {
	skey, vkey, err := note.GenerateKey(rand.Reader, Origin)
	if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, err
	}
	ver, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	b := &Bundle{Dir: dir, Log: &Log{Origin: Origin, Signer: signer}, VKey: vkey, Verifier: ver}
	w := &writer{b: b}
	w.run()
	return b, w.err
}

// writer builds a bundle, remembering the first error.
type writer struct {
	b       *Bundle
	err     error
	custody []bundle.CustodyLine
}

func (w *writer) write(rel string, data []byte) {
	if w.err != nil {
		return
	}
	p := filepath.Join(w.b.Dir, filepath.FromSlash(rel))
	if w.err = os.MkdirAll(filepath.Dir(p), 0o755); w.err == nil {
		w.err = os.WriteFile(p, data, 0o644)
	}
}

func (w *writer) append(e evidence.Entry, inCustody bool) evidence.Entry {
	if w.err != nil {
		return e
	}
	e.Seq = uint64(len(w.b.Log.Entries))
	enc, err := w.b.Log.Append(e)
	if err != nil {
		w.err = err
		return e
	}
	e, w.err = evidence.DecodeEntry(enc)
	if inCustody {
		w.custody = append(w.custody, bundle.NewCustodyLine(e, enc))
	}
	return e
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func (w *writer) run() {
	t0 := time.Date(2026, 11, 23, 9, 58, 0, 123456000, time.UTC)
	salt := random(16)
	officer := evidence.Pseudonym(salt, officerName)
	m := bundle.Manifest{
		Format: bundle.ManifestFormat, ExportID: exportID,
		Created: bundle.FormatTime(t0.Add(time.Hour)), CreatedLocal: "2026-11-23 10:58:00 GMT",
		Origin: Origin, CrimeReference: "MET/26/123456", Officer: officerName,
		Reason: "assault outside 12 High Street", RequestedBy: officerName, ApprovedBy: "J Bloggs (DPO)",
		From: bundle.FormatTime(t0), To: bundle.FormatTime(t0.Add(2 * time.Minute)),
		FromLocal: "2026-11-23 09:58:00 GMT", ToLocal: "2026-11-23 10:00:00 GMT",
		Cameras: []bundle.Camera{{ID: "cam001", Name: "High St north", Site: "High Street",
			Ward: "Central", Latitude: 51.5, Longitude: -0.1, ClockOffsetMS: 12.5, ClockSource: "rtcp-sr"}},
	}
	w.append(evidence.Entry{Time: t0, Action: evidence.ActionLogin, Actor: officer, Role: "police"}, false)
	addFile := func(rel, kind string, data []byte) *bundle.File {
		w.write(rel, data)
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, bundle.File{Path: rel, Kind: kind, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(data))})
		return &m.Files[len(m.Files)-1]
	}
	seal := func(rel, camera string, from time.Time, inBundle bool) {
		data := random(3000 + len(w.b.Log.Entries)*100)
		e := evidence.Entry{Time: from.Add(time.Minute + time.Second), Action: evidence.ActionSegmentSealed,
			Actor: evidence.ActorRecorder, Camera: camera, From: from, To: from.Add(time.Minute),
			ObjectSHA256: sha256.Sum256(data), ObjectBytes: int64(len(data)), Ref: rel}
		e = w.append(e, inBundle)
		if !inBundle {
			return
		}
		f := addFile(rel, bundle.KindMaster, data)
		seq := e.Seq
		f.Camera, f.SealedSeq = camera, &seq
		f.Start, f.End = bundle.FormatTime(e.From), bundle.FormatTime(e.To)
		f.StartLocal, f.EndLocal = "local", "local"
	}
	seal(Master1, "cam001", t0, true)
	seal("media/cam002/other.mp4", "cam002", t0, false)
	seal(Master2, "cam001", t0.Add(time.Minute), true)
	w.append(evidence.Entry{Time: t0.Add(50 * time.Minute), Action: evidence.ActionPlayback,
		Actor: officer, Role: "police", Camera: "cam001", From: t0, To: t0.Add(2 * time.Minute),
		Reason: "incident review", Ref: "MET/26/123456"}, true)
	w.custody[len(w.custody)-1].ActorName = officerName
	w.custody[len(w.custody)-1].ActorSalt = hex.EncodeToString(salt)
	for _, a := range []evidence.Action{evidence.ActionExportRequested, evidence.ActionExportApproved} {
		w.append(evidence.Entry{Time: t0.Add(55 * time.Minute), Action: a, Actor: officer, Camera: "cam001",
			From: t0, To: t0.Add(2 * time.Minute), Reason: "assault", Ref: exportID}, true)
	}
	f := addFile(Working, bundle.KindWorking, random(2500))
	f.Camera = "cam001"
	addFile(Binary, bundle.KindVerifier, []byte("#!/bin/false\nnot really a binary\n"))
	addFile(bundle.ReadmePath, bundle.KindReadme, []byte("This folder is a police export from Vigil.\n"))
	man, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		w.err = err
		return
	}
	w.b.Manifest = m
	w.write(bundle.ManifestPath, man)
	w.write(bundle.ManifestSigPath, w.sign(bundle.ManifestSigText(man)))
	w.append(evidence.Entry{Time: t0.Add(time.Hour), Action: evidence.ActionExportCreated,
		Actor: "system:export", Camera: "cam001", From: t0, To: t0.Add(2 * time.Minute),
		ObjectSHA256: sha256.Sum256(man), ObjectBytes: int64(len(man)), Ref: exportID}, true)
	w.append(evidence.Entry{Time: t0.Add(time.Hour), Action: evidence.ActionSegmentSealed,
		Actor: evidence.ActorRecorder, Camera: "cam002", ObjectSHA256: [32]byte{1}, ObjectBytes: 1}, false)
	w.finish()
}

func (w *writer) sign(text []byte) []byte {
	if w.err != nil {
		return nil
	}
	s, err := note.Sign(&note.Note{Text: string(text)}, w.b.Log.Signer)
	w.err = err
	return s
}

// finish writes the checkpoint, custody log, proofs and SHA256SUMS.
func (w *writer) finish() {
	if w.err != nil {
		return
	}
	b := w.b
	b.Size = int64(len(b.Log.Entries))
	cp, err := b.Log.Checkpoint(b.Size)
	if err != nil {
		w.err = err
		return
	}
	w.write(bundle.CheckpointPath, cp)
	w.write(bundle.CustodyPath, bundle.FormatCustody(w.custody))
	for _, l := range w.custody {
		p, err := b.Log.Inclusion(int64(l.Seq), b.Size)
		if err != nil {
			w.err = err
			return
		}
		w.write("proofs/"+itoa(int64(l.Seq))+".proof", p.Format())
	}
	b.ConsistencyFrom = consistencyAt
	c, err := b.Log.Consistency(consistencyAt, b.Size)
	if err != nil {
		w.err = err
		return
	}
	w.write("proofs/consistency/"+itoa(consistencyAt)+".proof", c.Format())
	if w.err == nil {
		w.err = b.resealSums()
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
