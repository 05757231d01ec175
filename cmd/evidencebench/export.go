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

// exportFigures are one export's timings, the phases as the exporter
// measured them (a camera's masters and working copy are made side by
// side, so the phases overlap).
type exportFigures struct {
	total        time.Duration
	took         export.Phases
	masterBytes  int64
	workingBytes int64
	folderBytes  int64 // every file of the folder
	zipBytes     int64
	files        int
	res          export.Result
}

// export exports the whole site. copyMasters copies every master, as an
// export to another filesystem must; otherwise the masters share the
// recordings' blocks (export.Exporter.CopyMasters).
func (s *site) export(ctx context.Context, copyMasters bool, cpuProfile string) (exportFigures, error) {
	var ef exportFigures
	x := &export.Exporter{Store: s.store, Log: s.log, RecordingsDir: s.recDir, OutDir: filepath.Join(s.root, "exports"),
		CopyMasters: copyMasters, Logger: quiet(), ClockOffset: func(string) (float64, string, bool) { return 0.0125, "rtcp-sr", true }}
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
	ef.res, ef.total, ef.took = res, end.Sub(start), res.Took
	if res.Masters != len(s.segs) || res.Bytes != s.bytes {
		return ef, fmt.Errorf("export holds %d masters (%d bytes), the site %d (%d bytes)", res.Masters, res.Bytes, len(s.segs), s.bytes)
	}
	if want := map[bool]string{true: "copied", false: "shared"}[copyMasters]; (res.Placed[export.PlacedCopy] == res.Masters) != copyMasters {
		return ef, fmt.Errorf("the masters were to be %s, and were placed %v", want, res.Placed)
	}
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
		switch {
		case strings.HasPrefix(rel, "media/"):
			ef.masterBytes += info.Size()
		case strings.HasPrefix(rel, "working/"):
			ef.workingBytes += info.Size()
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
