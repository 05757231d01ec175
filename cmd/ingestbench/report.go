package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/vigil-cctv/vigil/recorder"
)

// Targets of the ingest benchmark (the acceptance figures).
const (
	targetCPURatio  = 1.3
	targetRSSMiB    = 1024
	targetLost      = 0
	targetRecCores  = 1.0  // ingest + recording, cores of this machine
	minSimRealTime  = 0.99 // camsim below this fraction of the nominal frame rate is a harness limit
	busyMachineFrac = 0.95 // machine-wide CPU above this fraction of all cores: figures are contended
)

// figures are one side's results.
type figures struct {
	side                string
	cores               float64 // CPU window
	peakRSSMiB          float64 // whole child
	rssMiB, heapMiB     float64 // at the end of the CPU window
	framesRx, expected  uint64  // frames window
	lost, extra         uint64  // frames window, summed per camera
	lostCams            []string
	ingested            uint64 // vigil: published by the worker
	hubDrops            uint64
	rtpLost             int64 // vigil: RTP packets lost, the window's own pause excluded
	decodeErrs          uint64
	failures            uint64
	mbps                float64
	simCores            float64
	simFPS              float64 // per camera, CPU window
	lateSkipped         uint64
	simWriteErrs        uint64
	machineBusy         float64
	windowSecs, cpuSecs float64
}

func sum(v []uint64) uint64 {
	var n uint64
	for _, x := range v {
		n += x
	}
	return n
}

// delta sums b[i]-a[i].
func delta(a, b []uint64) uint64 {
	var n uint64
	for i := range b {
		if i < len(a) {
			n += b[i] - a[i]
		}
	}
	return n
}

func (r *results) figures(p *phase) figures {
	f := figures{side: p.side}
	cpu := p.c.Usage.At.Sub(p.b.Usage.At).Seconds()
	f.cpuSecs = cpu
	f.windowSecs = p.d.Usage.At.Sub(p.a.Usage.At).Seconds()
	f.cores = cores(p.b.Usage, p.c.Usage)
	if p.rusage != nil {
		f.peakRSSMiB = float64(p.rusage.Maxrss) / 1024
	}
	f.rssMiB, f.heapMiB = float64(p.c.Usage.RSSKiB)/1024, p.c.HeapMiB
	for i := range p.sd.Cams {
		exp := p.sd.Cams[i].AUs - p.sa.Cams[i].AUs
		rx := p.d.Frames[i] - p.a.Frames[i]
		if p.side == "record" {
			// End to end: what camsim sent in the window, less the frames
			// before each camera's first keyframe (a recording starts on a
			// keyframe by design), against the samples in the files.
			var pre uint64
			if i < len(p.d.PreKey) {
				pre = p.d.PreKey[i]
			}
			exp -= min(pre, exp)
			rx = 0
			if i < len(p.count.Written) {
				rx = p.count.Written[i]
			}
		}
		f.expected += exp
		f.framesRx += rx
		switch {
		case rx < exp:
			f.lost += exp - rx
			f.lostCams = append(f.lostCams, fmt.Sprintf("cam%03d:%d", i+1, exp-rx))
		case rx > exp:
			f.extra += rx - exp
		}
		f.lateSkipped += p.sd.Cams[i].LateSkipped - p.sa.Cams[i].LateSkipped
		f.simWriteErrs += p.sd.Cams[i].WriteErrors - p.sa.Cams[i].WriteErrors
	}
	f.ingested = delta(p.a.Ingested, p.d.Ingested)
	f.hubDrops = delta(p.a.HubDrops, p.d.HubDrops)
	f.decodeErrs = delta(p.a.DecodeErrs, p.d.DecodeErrs)
	f.failures = delta(p.a.Failures, p.d.Failures)
	if p.side != "bare" {
		var pause uint64
		for i := range p.stallAfter.Cams {
			pause += p.stallAfter.Cams[i].Stalled - p.stallBefore.Cams[i].Stalled
		}
		f.rtpLost = int64(delta(p.a.RTPLost, p.d.RTPLost)) - int64(pause)
	}
	if cpu > 0 {
		f.mbps = float64(delta(p.b.Bytes, p.c.Bytes)) * 8 / cpu / 1e6
		var aus uint64
		for i := range p.sc.Cams {
			aus += p.sc.Cams[i].AUs - p.sb.Cams[i].AUs
		}
		f.simFPS = float64(aus) / float64(len(p.sc.Cams)) / p.sc.Usage.At.Sub(p.sb.Usage.At).Seconds()
	}
	f.simCores = cores(p.sb.Usage, p.sc.Usage)
	f.machineBusy = machineBusy(p.machB, p.machC, r.ncpu)
	return f
}

func verdict(ok bool) string {
	if ok {
		return "[PASS]"
	}
	return "[FAIL]"
}

func (r *results) print(w io.Writer) {
	if len(r.phases) > 0 {
		r.printCameras(w)
	}
	if r.index != nil {
		r.index.print(w)
	}
}

func (r *results) printCameras(w io.Writer) {
	o := r.opts
	s := o.sim
	rate := s.mainBitrate + " bit/s"
	if cfg, err := s.config(); err == nil {
		rate = fmt.Sprintf("%g Mbit/s", float64(cfg.Main.Bitrate)/1e6)
	}
	fmt.Fprintf(w, "\ningest benchmark: %d cameras x main (%s %dfps %s, GOP %gs), %g s measured after %g s warm-up, loopback TCP, %d CPUs\n",
		s.cameras, s.mainSize, s.mainFPS, rate, s.gop.Seconds(), o.duration.Seconds(), o.warmup.Seconds(), r.ncpu)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "side\tcores\trss_MiB\tframes_rx\tframes_expected\tlost\thub_drops\trtp_lost\treconnects\tMbit/s\t")
	all := map[string]figures{}
	for _, p := range r.phases {
		f := r.figures(p)
		all[p.side] = f
		name, hub, rtp := "bare loop", "-", "-"
		switch p.side {
		case "vigil":
			name, hub, rtp = "vigil", fmt.Sprint(f.hubDrops), fmt.Sprint(f.rtpLost)
		case "record":
			// hub_drops: the recorder's own count of frames it lost.
			name, hub, rtp = "vigil+record", fmt.Sprintf("%.0f", p.count.Dropped), fmt.Sprint(f.rtpLost)
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.0f\t%d\t%d\t%d\t%s\t%s\t%d\t%.1f\t\n",
			name, f.cores, f.peakRSSMiB, f.framesRx, f.expected, f.lost, hub, rtp, f.failures, f.mbps)
	}
	tw.Flush()

	bare, haveBare := all["bare"]
	vigil, haveVigil := all["vigil"]
	if haveBare && haveVigil && bare.cores > 0 {
		ratio := vigil.cores / bare.cores
		fmt.Fprintf(w, "ratio (vigil/bare) CPU: %.2f   target <= %.1f   %s\n", ratio, targetCPURatio, verdict(ratio <= targetCPURatio))
	} else {
		fmt.Fprintln(w, "ratio (vigil/bare) CPU: n/a (run both phases)")
	}
	if rec, ok := all["record"]; ok {
		if haveVigil && vigil.cores > 0 {
			fmt.Fprintf(w, "ratio (vigil+record / vigil) CPU: %.2f (recording adds %.2f cores)\n", rec.cores/vigil.cores, rec.cores-vigil.cores)
		} else {
			fmt.Fprintln(w, "ratio (vigil+record / vigil) CPU: n/a (run the vigil phase too)")
		}
		fmt.Fprintf(w, "vigil+record: ingest + recording %.3f cores  target < %.1f  %s; frames lost end to end: %d  target %d  %s\n",
			rec.cores, targetRecCores, verdict(rec.cores < targetRecCores), rec.lost, targetLost, verdict(rec.lost <= targetLost && rec.extra == 0))
	}
	if haveVigil {
		fmt.Fprintf(w, "RSS vigil: %.0f MiB  target < %d MiB %s; frames lost: %d target %d %s\n",
			vigil.peakRSSMiB, targetRSSMiB, verdict(vigil.peakRSSMiB < targetRSSMiB),
			vigil.lost, targetLost, verdict(vigil.lost <= targetLost))
	}

	fmt.Fprintln(w, "\ndetails:")
	for _, p := range r.phases {
		f := all[p.side]
		fmt.Fprintf(w, "  %-5s CPU window %.1f s, frames window %.1f s; RSS at window end %.0f MiB (Go heap in use %.0f MiB); peak %.0f MiB; %d goroutines, %d OS threads created\n",
			f.side, f.cpuSecs, f.windowSecs, f.rssMiB, f.heapMiB, f.peakRSSMiB, p.c.Goroutines, p.d.Threads)
		if f.side == "record" {
			r.printRecord(w, p, f)
		}
		if f.side == "vigil" {
			fmt.Fprintf(w, "        ingested by the workers %d (camera->hub lost %d), reader drops %d, RTP packets lost %d, decode errors %d\n",
				f.ingested, int64(f.expected)-int64(f.ingested), f.hubDrops, f.rtpLost, f.decodeErrs)
		}
		if len(f.lostCams) > 0 {
			shown := f.lostCams
			if len(shown) > 12 {
				shown = append(shown[:12:12], fmt.Sprintf("... (%d cameras)", len(f.lostCams)))
			}
			fmt.Fprintf(w, "        frames lost by camera: %s\n", strings.Join(shown, " "))
		}
		if f.extra > 0 {
			// Only seen with packet loss: an access unit whose marker packet
			// was lost is completed by the next one's first packet, after the
			// window edge.
			fmt.Fprintf(w, "        note: %d frames received beyond what camsim sent in the window (access units completed across the window edge after packet loss)\n", f.extra)
		}
		fmt.Fprintf(w, "        camsim: %.2f cores, %.2f fps per camera (nominal %d), %d frames skipped running late, %d packets dropped at its write queues\n",
			f.simCores, f.simFPS, o.sim.mainFPS, f.lateSkipped, f.simWriteErrs)
		fmt.Fprintf(w, "        machine: %.2f of %d cores busy during the CPU window\n", f.machineBusy, r.ncpu)
		var limits []string
		if f.simFPS < minSimRealTime*float64(o.sim.mainFPS) || f.lateSkipped > 0 {
			limits = append(limits, fmt.Sprintf("camsim fell behind real time (%.2f of %d fps, %d frames skipped): the receiver saw less than the nominal load; lost frames are still counted against what camsim did send",
				f.simFPS, o.sim.mainFPS, f.lateSkipped))
		}
		if f.simWriteErrs > 0 {
			limits = append(limits, fmt.Sprintf("camsim's per-session write queues overflowed (%d packets): the receiver did not drain its socket fast enough, or camsim's writers were starved of CPU; the frames they broke count as lost", f.simWriteErrs))
		}
		if f.machineBusy > busyMachineFrac*float64(r.ncpu) {
			limits = append(limits, fmt.Sprintf("the machine was CPU-saturated (%.2f of %d cores): figures are contended", f.machineBusy, r.ncpu))
		}
		for _, l := range limits {
			fmt.Fprintf(w, "        HARNESS LIMIT: %s\n", l)
		}
	}
}

// printRecord details the record phase: disk, index, write lag, drops.
func (r *results) printRecord(w io.Writer, p *phase, f figures) {
	c := p.count
	var pre, offered uint64
	pre, offered = delta(p.a.PreKey, p.d.PreKey), delta(p.a.Offered, p.d.Offered)
	fmt.Fprintf(w, "        recorded into %s (%s): segment %v, sync %v, recorder queue %d\n",
		p.started.Dir, p.started.FSType, r.opts.record.segmentDuration, r.opts.record.syncInterval, recorder.DefaultQueue)
	fmt.Fprintf(w, "        camsim sent %d frames in the window; %d before each camera's first keyframe are not recorded by design; the recorder was offered %d, the files hold %d\n",
		delta(sentAUs(p.sa), sentAUs(p.sd)), pre, offered, sum(c.Written))
	fmt.Fprintf(w, "        ingested by the workers %d, reference reader drops %d, RTP packets lost %d, decode errors %d\n",
		f.ingested, f.hubDrops, f.rtpLost, f.decodeErrs)
	secs := f.windowSecs
	fmt.Fprintf(w, "        disk: %d segment files, %.2f GB = %.1f MB/s over the %.1f s frames window; process wrote %.1f MB/s to storage in the CPU window (/proc/self/io)\n",
		c.Files, float64(c.Bytes)/1e9, float64(c.Bytes)/1e6/secs, secs, writeRate(p.b.Usage, p.c.Usage))
	fmt.Fprintf(w, "        index: %d segments, %d frames, %.2f GB (files hold %d samples); %d torn files, %d gaps recorded (%.1f s), %.0f frames counted dropped by the recorder\n",
		c.IndexSegments, c.IndexFrames, float64(c.IndexBytes)/1e9, sum(c.Written), c.Torn, c.Gaps, c.GapSecs, c.Dropped)
	mean := 0.0
	if c.Syncs > 0 {
		mean = c.LagSumSecs / float64(c.Syncs)
	}
	fmt.Fprintf(w, "        write lag (frame arrival -> fdatasync done): longest %.2f s, mean %.2f s over %d syncs, %d above sync interval + 1 s; buckets %s\n",
		c.MaxLagSecs, mean, c.Syncs, c.SlowSyncs, strings.Join(c.LagBuckets, " "))
	fmt.Fprintf(w, "        Close (seal and index every open segment) took %.2f s\n", p.stopped.CloseSecs)
	for _, e := range c.ScanErrors {
		fmt.Fprintf(w, "        SCAN ERROR: %s\n", e)
	}
}

func sentAUs(s simSnap) []uint64 {
	out := make([]uint64, len(s.Cams))
	for i, c := range s.Cams {
		out[i] = c.AUs
	}
	return out
}
