package main

import (
	"cmp"
	"context"
	"fmt"
	"github.com/vigil-cctv/vigil/cmd/internal/benchdisk"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// results are one run's figures.
type results struct {
	o                           options
	disk                        string
	loadBefore, loadAfter       string
	segment                     recorded
	segments                    int
	bytes                       int64
	rounds                      []round
	shaFiles, shaMem, diskWrite rate          // medians of the rounds (shaMem: measured once)
	ex                          exportFigures // medians of the rounds, phase by phase; the last bundle
	exCopy                      exportFigures // the same with every master copied (medians)
	ver                         verifyFigures
	fsync, seq, group           rate
}

// round is one pass of the export and its baselines, measured together.
type round struct {
	shaFiles, diskWrite rate
	ex, exCopy          exportFigures
}

// bench runs every measurement, in this order: the site; rounds of the
// SHA-256 and disk write baselines and the export (each export but the
// last removed); the verification of the last export; the fdatasync
// baseline and the appends.
func bench(ctx context.Context, o options, p *progress) (*results, error) {
	want := int64(o.gib * (1 << 30))
	// replicas + master copies + working copy + zip, with room to spare
	disk, err := benchdisk.Check(o.dir, 5*want+want/2+(256<<20))
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp(o.dir, "evidencebench-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		p.logf("working directory %s (kept)", root)
	} else {
		defer os.RemoveAll(root)
	}
	r := &results{o: o, disk: disk, loadBefore: loadavg()}

	p.logf("recording a %v segment of camsim footage (%dx%d, %d fps, %.1f Mbit/s) through ingest and the recorder",
		o.segment, o.main.Width, o.main.Height, o.main.FPS, float64(o.main.Bitrate)/1e6)
	if r.segment, err = recordSegment(ctx, o, filepath.Join(root, "source")); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	os.RemoveAll(filepath.Join(root, "source"))
	p.logf("recorded %s: %.1f MB, %v", r.segment.seg.Path, float64(r.segment.seg.Bytes)/1e6,
		r.segment.seg.End.Sub(r.segment.seg.Start).Round(time.Millisecond))

	p.logf("replicating it to %.2f GiB of segments, indexing and logging each as sealed", o.gib)
	s, err := buildSite(ctx, root, r.segment, want)
	if err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	defer s.close()
	r.segments, r.bytes = len(s.segs), s.bytes
	p.logf("site: %d segments, %.1f MB, %v of footage, log of %d entries", len(s.segs), float64(s.bytes)/1e6,
		s.segs[len(s.segs)-1].End.Sub(s.segs[0].Start).Round(time.Second), s.log.Size())

	for i := range o.rounds {
		last := i == o.rounds-1
		var rd round
		p.logf("round %d/%d: SHA-256 of the segment files (1 MiB reads)", i+1, o.rounds)
		if rd.shaFiles, err = hashFiles(s.files, r.segment.seg.SHA256); err != nil {
			return nil, err
		}
		p.logf("round %d/%d: writing %.1f MB to the disk (1 MiB writes, fsync)", i+1, o.rounds, float64(s.bytes)/1e6)
		if rd.diskWrite, err = writeDisk(filepath.Join(root, "diskwrite.bin"), r.segment.data, s.bytes); err != nil {
			return nil, err
		}
		p.logf("round %d/%d: export of the whole range, masters copied (an export to another filesystem)", i+1, o.rounds)
		if rd.exCopy, err = s.export(ctx, true, ""); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		os.RemoveAll(rd.exCopy.res.Dir)
		p.logf("round %d/%d: export of the whole range", i+1, o.rounds)
		profile := ""
		if last {
			profile = o.cpuProfile
		}
		if rd.ex, err = s.export(ctx, false, profile); err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		r.rounds = append(r.rounds, rd)
		p.logf("round %d/%d: SHA-256 %.0f MB/s, disk write %.0f MB/s; export %s; masters copied: %s",
			i+1, o.rounds, rd.shaFiles.mbps(), rd.diskWrite.mbps(), rd.ex.phases(), rd.exCopy.phases())
		if !last { // room and page cache for the next round
			os.RemoveAll(rd.ex.res.Dir)
			os.Remove(rd.ex.res.Zip)
		}
	}
	p.logf("baseline: SHA-256 of the same number of bytes in memory")
	r.shaMem = hashMemory(r.segment.data, s.bytes)
	r.median()

	p.logf("verification of the export")
	if r.ver, err = s.verify(r.ex.res.Dir, r.ex.folderBytes); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if !r.ver.ok {
		p.logf("the export does NOT verify:\n%s", r.ver.sum)
	}

	p.logf("baseline: 200-byte appends + fdatasync for %v", o.appendFor)
	if r.fsync, err = fdatasyncRate(filepath.Join(root, "fdatasync.bin"), o.appendFor); err != nil {
		return nil, err
	}
	p.logf("log appends from 1 goroutine for %v", o.appendFor)
	if r.seq, err = s.appendRate(ctx, 1, o.appendFor); err != nil {
		return nil, fmt.Errorf("appends: %w", err)
	}
	p.logf("log appends from %d goroutines for %v", appendConcurrency, o.appendFor)
	if r.group, err = s.appendRate(ctx, appendConcurrency, o.appendFor); err != nil {
		return nil, fmt.Errorf("appends: %w", err)
	}
	r.loadAfter = loadavg()
	p.logf("done")
	return r, nil
}

// loadavg is the machine's load (1, 5, 15 min) and its core count.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if err != nil || len(f) < 3 {
		return fmt.Sprintf("? on %d cores", runtime.NumCPU())
	}
	return fmt.Sprintf("%s %s %s on %d cores", f[0], f[1], f[2], runtime.NumCPU())
}

// median sets the run's figures to the medians of its rounds, each figure
// on its own; the bundle is the last round's.
func (r *results) median() {
	var sha, disk []rate
	for _, rd := range r.rounds {
		sha, disk = append(sha, rd.shaFiles), append(disk, rd.diskWrite)
	}
	r.shaFiles, r.diskWrite = medianRate(sha), medianRate(disk)
	r.ex = medianExport(r.rounds, func(rd round) exportFigures { return rd.ex })
	r.exCopy = medianExport(r.rounds, func(rd round) exportFigures { return rd.exCopy })
}

// medianExport is the last round's export with each timing the median of
// the rounds'.
func medianExport(rounds []round, of func(round) exportFigures) exportFigures {
	var total, masters, working, seal, zip []time.Duration
	for _, rd := range rounds {
		ex := of(rd)
		total, masters, working = append(total, ex.total), append(masters, ex.took.Masters), append(working, ex.took.Working)
		seal, zip = append(seal, ex.took.Seal), append(zip, ex.took.Zip)
	}
	ex := of(rounds[len(rounds)-1])
	ex.total, ex.took.Masters, ex.took.Working = medianOf(total), medianOf(masters), medianOf(working)
	ex.took.Seal, ex.took.Zip = medianOf(seal), medianOf(zip)
	return ex
}

// phases is one export's timings for the progress log.
func (ex exportFigures) phases() string {
	return fmt.Sprintf("%.2f s (masters %.2f s, working copy %.2f s, side by side; seal %.2f s)",
		ex.total.Seconds(), ex.took.Masters.Seconds(), ex.took.Working.Seconds(), ex.took.Seal.Seconds())
}

func medianOf(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianRate(rs []rate) rate {
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b rate) int { return cmp.Compare(a.perSec(), b.perSec()) })
	return s[len(s)/2]
}
