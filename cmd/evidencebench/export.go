package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/evidence/export"
)

// exportFigures are one export's timings. The phases are read from the
// bundle's files' modification times (the last master written, the
// working copy, SHA256SUMS, the last file of the folder), so the exporter
// runs unchanged; the kernel's file clock is coarse (a few ms).
type exportFigures struct {
	total        time.Duration
	masters      time.Duration // request logged, masters copied, hashed and synced
	working      time.Duration // the working MP4
	seal         time.Duration // README, manifest, log entry, checkpoint, proofs, SHA256SUMS
	zip          time.Duration // the zip of the folder
	masterBytes  int64
	workingBytes int64
	folderBytes  int64 // every file of the folder
	zipBytes     int64
	files        int
	res          export.Result
}

func (s *site) export(ctx context.Context, cpuProfile string) (exportFigures, error) {
	var ef exportFigures
	x := &export.Exporter{Store: s.store, Log: s.log, RecordingsDir: s.recDir, OutDir: filepath.Join(s.root, "exports"),
		Logger: quiet(), ClockOffset: func(string) (float64, bool, bool) { return 0.0125, true, true }}
	r := export.Request{Cameras: []string{s.camera}, From: s.segs[0].Start, To: s.segs[len(s.segs)-1].End,
		CrimeRef: "01/123456/26", Officer: "PC 123 Jane Smith", Reason: "Assault outside the Town Hall",
		RequestedBy: "PC 123 Jane Smith", ApprovedBy: "Supervisor Sam Jones"}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return ef, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return ef, err
		}
	}
	start := time.Now()
	res, err := x.Export(ctx, r)
	end := time.Now()
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return ef, err
	}
	ef.res, ef.total = res, end.Sub(start)
	if res.Masters != len(s.segs) || res.Bytes != s.bytes {
		return ef, fmt.Errorf("export holds %d masters (%d bytes), the site %d (%d bytes)", res.Masters, res.Bytes, len(s.segs), s.bytes)
	}

	var lastMaster, working, sums time.Time
	err = filepath.WalkDir(res.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(res.Dir, p)
		rel = filepath.ToSlash(rel)
		ef.folderBytes += info.Size()
		ef.files++
		switch mt := info.ModTime(); {
		case strings.HasPrefix(rel, "media/"):
			ef.masterBytes += info.Size()
			if mt.After(lastMaster) {
				lastMaster = mt
			}
		case strings.HasPrefix(rel, "working/"):
			ef.workingBytes += info.Size()
			working = mt
		case rel == bundle.SumsPath:
			sums = mt
		}
		return nil
	})
	if err != nil {
		return ef, err
	}
	if res.Zip != "" { // the CLI's zip file; the API streams it at download
		zi, err := os.Stat(res.Zip)
		if err != nil {
			return ef, err
		}
		ef.zipBytes = zi.Size()
	}
	// Clamp to [start, end]: the file clock and time.Now differ by up to a tick.
	at := func(t time.Time) time.Duration { return min(max(t.Sub(start), 0), ef.total) }
	ef.masters = at(lastMaster)
	ef.working = max(at(working)-ef.masters, 0)
	ef.seal = max(at(sums)-at(working), 0)
	ef.zip = max(ef.total-at(sums), 0)
	return ef, nil
}

// verifyFigures are one verification's.
type verifyFigures struct {
	took  time.Duration
	ok    bool
	bytes int64
	sum   string
}

func (s *site) verify(dir string, folderBytes int64) (verifyFigures, error) {
	v, err := s.verifier()
	if err != nil {
		return verifyFigures{}, err
	}
	start := time.Now()
	rep := bundle.Verify(dir, v, bundle.Options{})
	vf := verifyFigures{took: time.Since(start), ok: rep.OK(), bytes: folderBytes}
	if !vf.ok {
		vf.sum = rep.Summary()
	}
	return vf, nil
}
