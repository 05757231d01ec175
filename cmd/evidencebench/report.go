package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-cctv/vigil/evidence/export"
)

// Targets. The export's is the issue's; the appends' are this benchmark's
// own reading of the design (one append costs one fdatasync; appends
// arriving together share one).
const (
	targetExport     = 0.8  // x min(SHA-256 of the files, disk write)
	targetSeqAppend  = 0.8  // x raw fdatasync rate
	targetGroupAppnd = 10.0 // x raw fdatasync rate, 64 goroutines
)

// row is one line of the table.
type row struct {
	measure, value, baseline, ratio, target, result string
}

func mbs(r rate) string {
	return fmt.Sprintf("%.0f MB/s (%.2f s)", r.mbps(), r.d.Seconds())
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func ratio(v, base float64) (float64, string) {
	if base <= 0 {
		return 0, "-"
	}
	x := v / base
	return x, fmt.Sprintf("%.2fx", x)
}

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// exportBase is the export target's baseline: the lower of SHA-256 over
// the files and the disk write rate.
func exportBase(shaFiles, diskWrite rate) (rate, string) {
	if diskWrite.mbps() < shaFiles.mbps() {
		return diskWrite, "disk write"
	}
	return shaFiles, "SHA-256 files"
}

// placedString is how the masters were placed, e.g. "link 230".
func placedString(p map[export.Placement]int) string {
	var parts []string
	for _, k := range []export.Placement{export.PlacedClone, export.PlacedLink, export.PlacedCopy} {
		if p[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, p[k]))
		}
	}
	return strings.Join(parts, ", ")
}

func (r *results) exportBase() (rate, string) { return exportBase(r.shaFiles, r.diskWrite) }

func (rd round) exportBase() (rate, string) { return exportBase(rd.shaFiles, rd.diskWrite) }

func (r *results) rows() ([]row, map[string]bool) {
	verdicts := map[string]bool{}
	base, baseName := r.exportBase()
	baseS := fmt.Sprintf("%.0f MB/s (%s)", base.mbps(), baseName)
	ex := r.ex
	var rows []row
	add := func(x row) { rows = append(rows, x) }

	add(row{"SHA-256 of the segment files, 1 MiB reads (baseline)", mbs(r.shaFiles), "", "", "", ""})
	add(row{"SHA-256 of bytes in memory (baseline)", mbs(r.shaMem), "", "", "", ""})
	add(row{"disk write, 1 MiB writes + fsync (baseline)", mbs(r.diskWrite), "", "", "", ""})

	whole := rate{ex.masterBytes, ex.total}
	x, xs := ratio(whole.mbps(), base.mbps())
	ok := x >= targetExport
	verdicts["export whole bundle"] = ok
	add(row{"export, whole bundle: master bytes / export time", mbs(whole), baseS, xs,
		fmt.Sprintf(">= %.2fx", targetExport), passFail(ok)})
	add(row{"  masters placed (" + placedString(ex.res.Placed) + ") and hashed", mbs(rate{ex.masterBytes, ex.took.Masters}),
		fmt.Sprintf("%.0f MB/s (SHA-256 files)", r.shaFiles.mbps()), fmt.Sprintf("%.2fx", rate{ex.masterBytes, ex.took.Masters}.mbps()/r.shaFiles.mbps()), "-", ""})
	wk := rate{ex.workingBytes, ex.took.Working}
	_, xs = ratio(wk.mbps(), r.diskWrite.mbps())
	add(row{"  working MP4 written and hashed, beside the masters", mbs(wk), fmt.Sprintf("%.0f MB/s (disk write)", r.diskWrite.mbps()), xs, "-", ""})
	add(row{"  seal: fsync, manifest, log, checkpoint, proofs, SUMS", secs(ex.took.Seal), "", "", "-", ""})

	cp := r.exCopy
	wholeCopy := rate{cp.masterBytes, cp.total}
	_, xs = ratio(wholeCopy.mbps(), base.mbps())
	add(row{"export, masters copied (to another filesystem): master bytes / time", mbs(wholeCopy), baseS, xs, "-", ""})
	written := rate{cp.folderBytes, cp.total}
	_, xs = ratio(written.mbps(), r.diskWrite.mbps())
	add(row{"  all bytes written / time", mbs(written), fmt.Sprintf("%.0f MB/s (disk write)", r.diskWrite.mbps()), xs, "-", ""})

	vr := rate{r.ver.bytes, r.ver.took}
	_, xs = ratio(vr.mbps(), r.shaFiles.mbps())
	verdicts["export verifies"] = r.ver.ok
	add(row{"verification of the export: folder bytes / time", mbs(vr), fmt.Sprintf("%.0f MB/s (SHA-256 files)", r.shaFiles.mbps()), xs,
		"verifies", map[bool]string{true: "PASS", false: "FAIL (does not verify)"}[r.ver.ok]})

	fs := fmt.Sprintf("%.0f /s (fdatasync)", r.fsync.perSec())
	x, xs = ratio(r.seq.perSec(), r.fsync.perSec())
	ok = x >= targetSeqAppend
	verdicts["appends, 1 goroutine"] = ok
	add(row{"log appends with fsync, 1 goroutine", fmt.Sprintf("%.0f /s", r.seq.perSec()), fs, xs,
		fmt.Sprintf(">= %.1fx *", targetSeqAppend), passFail(ok)})
	x, xs = ratio(r.group.perSec(), r.fsync.perSec())
	ok = x >= targetGroupAppnd
	verdicts[fmt.Sprintf("appends, %d goroutines", appendConcurrency)] = ok
	add(row{fmt.Sprintf("log appends with fsync, %d goroutines (group commit)", appendConcurrency), fmt.Sprintf("%.0f /s", r.group.perSec()), fs, xs,
		fmt.Sprintf(">= %.0fx *", targetGroupAppnd), passFail(ok)})
	return rows, verdicts
}

func (r *results) print(w io.Writer) {
	rows, verdicts := r.rows()
	fmt.Fprintf(w, "\nEvidence locker benchmark: %d segments of %.1f MB (%v of camsim footage each, %dx%d %.1f Mbit/s), %.2f GiB in all\n",
		r.segments, float64(r.segment.seg.Bytes)/1e6, r.segment.seg.End.Sub(r.segment.seg.Start).Round(time.Millisecond),
		r.o.main.Width, r.o.main.Height, float64(r.o.main.Bitrate)/1e6, float64(r.bytes)/(1<<30))
	fmt.Fprintf(w, "disk: %s; load before %s, after %s\n", r.disk, r.loadBefore, r.loadAfter)
	fmt.Fprintf(w, "export: %d files, folder %.1f MB (masters %.1f MB, working copy %.1f MB), %.2f s in all\n\n",
		r.ex.files, float64(r.ex.folderBytes)/1e6, float64(r.ex.masterBytes)/1e6, float64(r.ex.workingBytes)/1e6, r.ex.total.Seconds())
	fmt.Fprintf(w, "rounds of the export and its baselines (the table shows medians, phase by phase):\n")
	for i, rd := range r.rounds {
		base, _ := rd.exportBase()
		fmt.Fprintf(w, "  %d: SHA-256 %.0f MB/s, disk write %.0f MB/s; export %s = %.2fx; masters copied: %s = %.2fx\n",
			i+1, rd.shaFiles.mbps(), rd.diskWrite.mbps(), rd.ex.phases(), rate{rd.ex.masterBytes, rd.ex.total}.mbps()/base.mbps(),
			rd.exCopy.phases(), rate{rd.exCopy.masterBytes, rd.exCopy.total}.mbps()/base.mbps())
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tvalue\tbaseline\tratio\ttarget\tresult")
	for _, x := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.measure, x.value, x.baseline, x.ratio, x.target, x.result)
	}
	tw.Flush()
	fmt.Fprintln(w, `
Export figures and their baselines are medians of the rounds; appends, one run each.
MB/s are 10^6 bytes per second. Export rates count master bytes (the sealed segments),
except "all bytes written". The phases are the exporter's own timings (export.Result.Took):
a camera's masters (placed, every byte hashed against its seal) and its working MP4
(remuxed, hashed, written past the page cache) are made side by side; seal = one fsync
pass, README, manifest, export entry, signed checkpoint, custody extract, proofs,
SHA256SUMS (the API streams the zip at download). On the recordings' filesystem a master
shares the sealed segment's blocks (reflink, else hard link), as the exporter does by
default; "masters copied" is the same export to another filesystem (CopyMasters). The
export target (issue) is 0.8x the lower of SHA-256 over the files and the disk write
rate. * targets of this benchmark, not of the issue: a lone append costs one
fdatasync; concurrent appends share one.`)
	var failed []string
	for _, k := range []string{"export whole bundle", "export verifies", "appends, 1 goroutine",
		fmt.Sprintf("appends, %d goroutines", appendConcurrency)} {
		if !verdicts[k] {
			failed = append(failed, k)
		}
	}
	if len(failed) == 0 {
		fmt.Fprintln(w, "\nverdict: PASS, every target met")
	} else {
		fmt.Fprintf(w, "\nverdict: FAIL: %s\n", strings.Join(failed, "; "))
	}
}
