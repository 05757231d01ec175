package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/vigil-cctv/vigil/cmd/internal/benchdisk"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/recorder"
	"github.com/vigil-cctv/vigil/recorder/playback"
	"github.com/vigil-cctv/vigil/recorder/s3store"
	"github.com/vigil-cctv/vigil/recorder/s3store/s3test"
)

// The objects phase: sealed segments moved to the shared object store
// (s3store, on a SeaweedFS server started by s3test) and read back from
// it, against the same files copied to and read from this node's disk
// (the baseline: what a node does to keep its footage itself).

const (
	// objectCapacity is what a run may upload: s3test's server holds 32
	// volumes of 64 MB, and a deleted object's space is not given back.
	objectCapacity = 1500 << 20
	seekBytes      = 64 << 10 // a scrubbing read
	firstBlock     = 1 << 20  // the object reader's block: a request each
	// passWorkers are the Uploader's (the service's upload_workers default).
	passWorkers = 4
	// A 5 min segment of a 4 Mbit/s main stream.
	mainStreamRate   = 4e6 / 8 // bytes a second
	mainSegmentBytes = 300 * mainStreamRate
)

// segFile is a segment file made for the phase.
type segFile struct {
	name string // base name
	path string // on disk
	size int64
	sum  [32]byte
}

// transfer is one upload measurement: the files moved to the object store
// against the same files copied on this disk.
type transfer struct {
	workers   int
	files     int
	bytes     int64
	s3, local time.Duration // wall time of all the files
	// CPU time used meanwhile by this process and the object store's
	s3CPU, localCPU cpuTime
}

// cpuTime is CPU time (user and system) used by this process and by the
// object store's.
type cpuTime struct{ self, weed time.Duration }

func (c cpuTime) total() time.Duration { return c.self + c.weed }

// since adds what was used from then to now to c.
func (c *cpuTime) since(then, now cpuTime) {
	c.self += now.self - then.self
	c.weed += now.weed - then.weed
}

// readFigure is one kind of read, from the object store and from the disk.
type readFigure struct {
	reads     int
	bytes     int64         // read by each side
	s3, local time.Duration // wall time of all the reads
	// each read's time (the random reads, the first blocks)
	s3Each, localEach []time.Duration
}

// objectResults are the phase's figures.
type objectResults struct {
	weed      string // SeaweedFS version
	disk      string // filesystem of the local copies
	weedDisk  string // and of the object store's data
	small     []segFile
	large     []segFile
	uploads   []transfer // as o.objectWorkers
	largeUp   *transfer  // one worker
	pass      *transfer  // Uploader.Pass against a local copy from passWorkers
	whole     readFigure // the small segments read whole
	wholeBig  *readFigure
	random    readFigure // 64 KiB at random offsets
	randomIn  string     // which segments
	first     readFigure // open + the first block
	startWeed time.Duration
	weedCPU   bool // its CPU time counted
	took      time.Duration
}

// objectBench is the phase's state.
type objectBench struct {
	o    options
	dir  string
	st   *s3store.Store
	p    *progress
	weed int // the object store's process
}

// objectsBench starts an object store, makes the segment files in a
// directory under o.dir, and measures uploads (Store.Put at each worker
// count, Uploader.Pass) and reads (whole, random, the first block), each
// against the same on this disk.
func objectsBench(ctx context.Context, o options, p *progress) (*objectResults, error) {
	start := time.Now()
	r := &objectResults{}
	bin, err := s3test.Binary()
	if err != nil {
		return nil, err // says to run make s3server
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the object store's server (VIGIL_WEED): %w: run make s3server, or point VIGIL_WEED at a built weed", err)
	}
	r.weed = weedVersion(bin)
	need := int64(o.objectFiles)*int64(o.objectMiB)<<20 + int64(o.objectLarge)*int64(o.objectLargeMB)*1e6
	if r.disk, err = benchdisk.Check(o.dir, 2*need); err != nil {
		return nil, err
	}
	if r.weedDisk, err = benchdisk.Check(os.TempDir(), objectCapacity); err != nil {
		return nil, fmt.Errorf("the object store's data (s3test keeps it under $TMPDIR): %w", err)
	}
	dir, err := os.MkdirTemp(o.dir, "clusterbench-objects-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	p.logf("objects: starting the object store (s3test: SeaweedFS %s)", r.weed)
	t0 := time.Now()
	srv, err := s3test.New()
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	r.startWeed = time.Since(t0)
	st, err := s3store.New(srv.Config("clusterbench"))
	if err != nil {
		return nil, err
	}
	if err := st.Check(ctx, true); err != nil {
		return nil, err
	}
	b := &objectBench{o: o, dir: dir, st: st, p: p, weed: childNamed("weed")}
	if b.weed == 0 {
		p.logf("objects: the weed process is not a child of this one: its CPU time is not counted")
	}
	r.weedCPU = b.weed > 0

	t0 = time.Now()
	rng := rand.New(rand.NewChaCha8([32]byte{'o', 'b', 'j'}))
	if r.small, err = makeSegments(filepath.Join(dir, "src"), "seg", o.objectFiles, int64(o.objectMiB)<<20, rng); err != nil {
		return nil, err
	}
	if r.large, err = makeSegments(filepath.Join(dir, "src"), "large", o.objectLarge, int64(o.objectLargeMB)*1e6, rng); err != nil {
		return nil, err
	}
	syscall.Sync()
	p.logf("objects: %d segments of %d MiB and %d of %d MB made in %s", o.objectFiles, o.objectMiB, o.objectLarge, o.objectLargeMB, secs(time.Since(t0)))
	// Warm-up (not timed): connections, the store's first volumes.
	if _, err := parallel(2, r.small[:2], func(f segFile, _ []byte) error {
		return st.Put(ctx, st.Object("warm/"+f.name), f.path, f.size, f.sum)
	}); err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}

	for _, w := range o.objectWorkers {
		t, err := b.upload(ctx, r.small, w, fmt.Sprintf("put%d", w))
		if err != nil {
			return nil, fmt.Errorf("upload from %d workers: %w", w, err)
		}
		p.logf("objects: upload %d x %d MiB, %s: %s", t.files, o.objectMiB, workers(w), t.line())
		r.uploads = append(r.uploads, t)
	}
	if len(r.large) > 0 {
		t, err := b.upload(ctx, r.large, 1, "large")
		if err != nil {
			return nil, fmt.Errorf("upload of the large segments: %w", err)
		}
		p.logf("objects: upload %d x %d MB, 1 worker: %s", t.files, o.objectLargeMB, t.line())
		r.largeUp = &t
	}
	t, err := b.pass(ctx, r.small)
	if err != nil {
		return nil, fmt.Errorf("Uploader.Pass: %w", err)
	}
	p.logf("objects: Uploader.Pass over %d indexed segments, %s: %s", t.files, workers(passWorkers), t.line())
	r.pass = &t

	// Reads: of the copies the last worker count uploaded.
	prefix := fmt.Sprintf("put%d", o.objectWorkers[len(o.objectWorkers)-1])
	if r.first, err = b.firstBlocks(r.small, prefix); err != nil {
		return nil, fmt.Errorf("first blocks: %w", err)
	}
	if r.whole, err = b.readWhole(r.small, prefix); err != nil {
		return nil, fmt.Errorf("whole segments: %w", err)
	}
	p.logf("objects: read %d whole segments: S3 %s, local %s", r.whole.reads, mbps(r.whole.bytes, r.whole.s3), mbps(r.whole.bytes, r.whole.local))
	seekIn, seekPrefix := r.small, prefix
	r.randomIn = fmt.Sprintf("%d MiB", o.objectMiB)
	if len(r.large) > 0 {
		f, err := b.readWhole(r.large, "large")
		if err != nil {
			return nil, fmt.Errorf("whole large segments: %w", err)
		}
		r.wholeBig = &f
		seekIn, seekPrefix, r.randomIn = r.large, "large", fmt.Sprintf("%d MB", o.objectLargeMB)
	}
	if r.random, err = b.readRandom(seekIn, seekPrefix, rng); err != nil {
		return nil, fmt.Errorf("random reads: %w", err)
	}
	p.logf("objects: %d random 64 KiB reads: S3 median %s, local %s", r.random.reads, ms(median(r.random.s3Each)), ms(median(r.random.localEach)))
	r.took = time.Since(start)
	return r, nil
}

func (t transfer) line() string {
	return fmt.Sprintf("S3 %s, local %s", mbps(t.bytes, t.s3), mbps(t.bytes, t.local))
}

// weedVersion is what bin says of itself.
func weedVersion(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return "(version unknown)"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return strings.Join(strings.Fields(strings.TrimPrefix(line, "version")), " ")
}

// makeSegments writes n files of size random bytes (video does not
// compress), fsynced, with their SHA-256 (what the recorder seals).
func makeSegments(dir, name string, n int, size int64, rng *rand.Rand) ([]segFile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	buf := make([]byte, 1<<20)
	var out []segFile
	for i := range n {
		f := segFile{name: fmt.Sprintf("%s%03d.mp4", name, i), size: size}
		f.path = filepath.Join(dir, f.name)
		file, err := os.Create(f.path)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		for left := size; left > 0; {
			b := buf[:min(left, int64(len(buf)))]
			for j := 0; j < len(b); j += 8 {
				v := rng.Uint64()
				for k := 0; k < 8 && j+k < len(b); k++ {
					b[j+k] = byte(v >> (8 * k))
				}
			}
			h.Write(b)
			if _, err := file.Write(b); err != nil {
				file.Close()
				return nil, err
			}
			left -= int64(len(b))
		}
		if err := file.Close(); err != nil {
			return nil, err
		}
		f.sum = [32]byte(h.Sum(nil))
		out = append(out, f)
	}
	return out, nil
}

// copyFile copies src to dst through a buffer, as a node writes the bytes
// it keeps (no copy_file_range), and fsyncs it.
func copyFile(src, dst string, buf []byte) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{in}, buf); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// parallel calls do on every file from workers goroutines, and says how
// long all took; the first error stops it.
func parallel(workers int, files []segFile, do func(f segFile, buf []byte) error) (time.Duration, error) {
	work := make(chan segFile)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	stop := make(chan struct{})
	start := time.Now()
	for range min(workers, len(files)) {
		wg.Go(func() {
			buf := make([]byte, 1<<20)
			for f := range work {
				if err := do(f, buf); err != nil {
					once.Do(func() { first = err; close(stop) })
				}
			}
		})
	}
feed:
	for _, f := range files {
		select {
		case work <- f:
		case <-stop:
			break feed
		}
	}
	close(work)
	wg.Wait()
	return time.Since(start), first
}

// upload times moving files to the object store (Store.Put, under keys
// starting with prefix) and copying them to a directory on this disk, from
// workers goroutines each, in parts taking the two in turn (the first
// part copied first, the second uploaded first, and so on), so that a
// change in the machine's load falls on both. Between steps the machine's
// dirty pages are written out (sync, not timed), so that no step pays for
// another's writeback.
func (b *objectBench) upload(ctx context.Context, files []segFile, workers int, prefix string) (transfer, error) {
	t := transfer{workers: workers, files: len(files)}
	for _, f := range files {
		t.bytes += f.size
	}
	copies := filepath.Join(b.dir, "copy-"+prefix)
	if err := os.Mkdir(copies, 0o755); err != nil {
		return t, err
	}
	defer os.RemoveAll(copies)
	for i, part := range parts(files) {
		local := func() error {
			cpu := b.cpu()
			d, err := parallel(workers, part, func(f segFile, buf []byte) error {
				return copyFile(f.path, filepath.Join(copies, f.name), buf)
			})
			t.local += d
			t.localCPU.since(cpu, b.cpu())
			return err
		}
		s3 := func() error {
			cpu := b.cpu()
			d, err := parallel(workers, part, func(f segFile, _ []byte) error {
				return b.st.Put(ctx, b.st.Object(prefix+"/"+f.name), f.path, f.size, f.sum)
			})
			t.s3 += d
			t.s3CPU.since(cpu, b.cpu())
			return err
		}
		if err := inTurn(i, local, s3, syscall.Sync); err != nil {
			return t, err
		}
	}
	return t, nil
}

// partsOf is how many parts parts cuts the files into.
const partsOf = 4

// parts cuts files into partsOf parts (fewer if there are fewer files),
// each a run of files.
func parts(files []segFile) [][]segFile {
	n := min(partsOf, len(files))
	var out [][]segFile
	for i := range n {
		out = append(out, files[i*len(files)/n:(i+1)*len(files)/n])
	}
	return out
}

// pass times the service's own path, Uploader.Pass (each segment checked
// against its sealed hash, uploaded, its object recorded in the index, the
// file removed), over the files indexed in an SQLite store as sealed and
// logged, against copying them on this disk from as many workers; in parts
// taken in turn, as upload (each part indexed before its pass).
func (b *objectBench) pass(ctx context.Context, files []segFile) (transfer, error) {
	t := transfer{workers: passWorkers, files: len(files)}
	st, err := store.Open(filepath.Join(b.dir, "vigil.db"))
	if err != nil {
		return t, err
	}
	defer st.Close()
	recs, copies := filepath.Join(b.dir, "recordings"), filepath.Join(b.dir, "copy-pass")
	if err := os.Mkdir(copies, 0o755); err != nil {
		return t, err
	}
	defer os.RemoveAll(copies)
	up := &recorder.Uploader{Store: st, Dir: recs, Objects: b.st, Workers: passWorkers, Logger: quietLogger()}
	stream := uuid.MustParse("9a1e6c52-3b0d-4f7e-8c21-5d4b3a2f1e0c")
	n := 0
	for i, part := range parts(files) {
		// Index the part as the recorder and the custody feeder do (not
		// timed); the files are hard links to the sources, which the pass
		// removes.
		var partBytes int64
		for _, f := range part {
			n++
			start := recBase.Add(time.Duration(n) * time.Minute)
			seg := store.Segment{Camera: fmt.Sprintf("obj%03d", n%10), Start: start, End: start.Add(time.Minute),
				Path: fmt.Sprintf("obj%03d/%s.mp4", n%10, start.Format("2006-01-02/15-04-05")), Bytes: f.size,
				SHA256: f.sum, StreamID: stream, Sequence: uint64(n), Frames: 1500}
			abs := filepath.Join(recs, filepath.FromSlash(seg.Path))
			if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
				return t, err
			}
			if err := os.Link(f.path, abs); err != nil {
				return t, err
			}
			if err := st.AddSegment(ctx, &seg); err != nil {
				return t, err
			}
			if err := st.SetSealedSeq(ctx, seg.ID, uint64(n)); err != nil {
				return t, err
			}
			partBytes += f.size
		}
		t.bytes += partBytes
		local := func() error {
			cpu := b.cpu()
			d, err := parallel(passWorkers, part, func(f segFile, buf []byte) error {
				return copyFile(f.path, filepath.Join(copies, f.name), buf)
			})
			t.local += d
			t.localCPU.since(cpu, b.cpu())
			return err
		}
		s3 := func() error {
			cpu, start := b.cpu(), time.Now()
			res, err := up.Pass(ctx)
			t.s3 += time.Since(start)
			t.s3CPU.since(cpu, b.cpu())
			if err == nil && (res.Uploaded != len(part) || res.Bytes != partBytes) {
				err = fmt.Errorf("a pass uploaded %d segments (%d bytes), want %d (%d bytes); %d altered, %d missing",
					res.Uploaded, res.Bytes, len(part), partBytes, res.Altered, res.Missing)
			}
			return err
		}
		if err := inTurn(i, local, s3, syscall.Sync); err != nil {
			return t, err
		}
	}
	if n, _, err := st.UploadBacklog(ctx, nil); err != nil || n != 0 {
		return t, fmt.Errorf("after the passes: %d segments not uploaded (%v)", n, err)
	}
	return t, nil
}

// opened is a segment opened on both sides.
type opened struct{ s3, local playback.File }

func (b *objectBench) open(f segFile, prefix string) (opened, error) {
	s3, err := b.st.Open(b.st.Object(prefix+"/"+f.name), f.size)
	if err != nil {
		return opened{}, err
	}
	local, err := playback.OpenFile(f.path)
	if err != nil {
		return opened{}, err
	}
	return opened{s3, local}, nil
}

func (o opened) Close() {
	o.s3.Close()
	o.local.Close()
}

// firstBlocks times opening each segment and reading its first block (a
// request to the object store), from the store and from the disk, and
// checks the bytes are the same.
func (b *objectBench) firstBlocks(files []segFile, prefix string) (readFigure, error) {
	var r readFigure
	bs, bl := make([]byte, firstBlock), make([]byte, firstBlock)
	for i, f := range files {
		s3 := func() error {
			start := time.Now()
			file, err := b.st.Open(b.st.Object(prefix+"/"+f.name), f.size)
			if err != nil {
				return err
			}
			defer file.Close()
			_, err = file.ReadAt(bs, 0)
			d := time.Since(start)
			r.s3, r.s3Each = r.s3+d, append(r.s3Each, d)
			return err
		}
		local := func() error {
			start := time.Now()
			file, err := playback.OpenFile(f.path)
			if err != nil {
				return err
			}
			defer file.Close()
			_, err = file.ReadAt(bl, 0)
			d := time.Since(start)
			r.local, r.localEach = r.local+d, append(r.localEach, d)
			return err
		}
		if err := inTurn(i, s3, local, nil); err != nil {
			return r, fmt.Errorf("%s: %w", f.name, err)
		}
		if !bytes.Equal(bs, bl) {
			return r, fmt.Errorf("%s: the object's first block differs from the file's", f.name)
		}
		r.reads++
		r.bytes += firstBlock
	}
	return r, nil
}

// inTurn runs a then b for even i, b then a for odd; after each, between
// (if not nil).
func inTurn(i int, a, b func() error, between func()) error {
	steps := []func() error{a, b}
	if i%2 == 1 {
		steps[0], steps[1] = b, a
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
		if between != nil {
			between()
		}
	}
	return nil
}

// readWhole times reading each segment whole, in order (an export, a
// playback stream): a file opened, then io.Copy of a SectionReader of it.
func (b *objectBench) readWhole(files []segFile, prefix string) (readFigure, error) {
	var r readFigure
	read := func(open func() (playback.File, error), size int64, into *time.Duration) func() error {
		return func() error {
			start := time.Now()
			f, err := open()
			if err != nil {
				return err
			}
			defer f.Close()
			n, err := io.Copy(io.Discard, io.NewSectionReader(f, 0, f.Size()))
			*into += time.Since(start)
			if err == nil && n != size {
				err = fmt.Errorf("%d bytes read, want %d", n, size)
			}
			return err
		}
	}
	for i, f := range files {
		s3 := read(func() (playback.File, error) { return b.st.Open(b.st.Object(prefix+"/"+f.name), f.size) }, f.size, &r.s3)
		local := read(func() (playback.File, error) { return playback.OpenFile(f.path) }, f.size, &r.local)
		if err := inTurn(i, s3, local, nil); err != nil {
			return r, fmt.Errorf("%s: %w", f.name, err)
		}
		r.reads++
		r.bytes += f.size
	}
	return r, nil
}

// readRandom times o.objectSeeks reads of 64 KiB at random offsets in
// files (each opened once on each side, as a player scrubbing them), read
// in turn from the store and the disk, and checks they match.
func (b *objectBench) readRandom(files []segFile, prefix string, rng *rand.Rand) (readFigure, error) {
	var r readFigure
	var open []opened
	defer func() {
		for _, o := range open {
			o.Close()
		}
	}()
	for _, f := range files {
		o, err := b.open(f, prefix)
		if err != nil {
			return r, err
		}
		open = append(open, o)
	}
	bs, bl := make([]byte, seekBytes), make([]byte, seekBytes)
	for i := range b.o.objectSeeks {
		k := rng.IntN(len(files))
		off := rng.Int64N(files[k].size - seekBytes)
		s3 := func() error {
			start := time.Now()
			_, err := open[k].s3.ReadAt(bs, off)
			d := time.Since(start)
			r.s3, r.s3Each = r.s3+d, append(r.s3Each, d)
			return err
		}
		local := func() error {
			start := time.Now()
			_, err := open[k].local.ReadAt(bl, off)
			d := time.Since(start)
			r.local, r.localEach = r.local+d, append(r.localEach, d)
			return err
		}
		if err := inTurn(i, s3, local, nil); err != nil {
			return r, fmt.Errorf("%s at %d: %w", files[k].name, off, err)
		}
		if !bytes.Equal(bs, bl) {
			return r, fmt.Errorf("%s at %d: the object's bytes differ from the file's", files[k].name, off)
		}
		r.reads++
		r.bytes += seekBytes
	}
	return r, nil
}

// cpu is the CPU time this process and the object store's have used
// (user and system, every thread).
func (b *objectBench) cpu() cpuTime {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	c := cpuTime{self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if b.weed > 0 {
		if f := procStat(b.weed); len(f) > 13 { // utime, stime: fields 14 and 15
			ut, _ := strconv.ParseInt(f[12], 10, 64)
			st, _ := strconv.ParseInt(f[13], 10, 64)
			c.weed = time.Duration(ut+st) * time.Second / clockTicks
		}
	}
	return c
}

// clockTicks are /proc's units of CPU time a second (USER_HZ: 100 on
// Linux's every architecture Go builds for).
const clockTicks = 100

// procStat is /proc/pid/stat's fields, the first two (pid, comm) as one:
// field n (from 1, n > 2) is at n-2.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return append([]string{string(b[:i+1])}, strings.Fields(string(b[i+1:]))...)
}

// childNamed finds this process's child running a command called name
// (0: none).
func childNamed(name string) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f := procStat(pid)
		if len(f) > 2 && strings.HasSuffix(f[0], "("+name+")") && f[2] == strconv.Itoa(os.Getpid()) {
			return pid
		}
	}
	return 0
}

// mbps is a rate in MB (10^6 bytes) a second.
func mbps(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f MB/s", float64(n)/1e6/d.Seconds())
}
