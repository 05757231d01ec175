package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/evidence"
	"github.com/vigil-cctv/vigil/evidence/bundle"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
	"github.com/vigil-cctv/vigil/recorder/playback"
)

// ActorExporter is the exporter as a log actor.
const ActorExporter = "system:exporter"

// maxConsistencyProofs bounds how many earlier export checkpoints a bundle
// carries consistency proofs from (the newest ones).
const maxConsistencyProofs = 200

// verifierBuilds are the platforms whose verifier goes into every bundle.
var verifierBuilds = []string{"linux-amd64/vigil-verify", "windows-amd64/vigil-verify.exe", "darwin-arm64/vigil-verify"}

// builder writes one bundle.
type builder struct {
	x   *Exporter
	log *slog.Logger
	r   Request
	res *Result
	now time.Time

	files    []bundle.File
	sums     map[string][32]byte
	sealed   map[uint64]bool
	cameras  []bundle.Camera
	missing  []string // verifier builds not found
	manifest []byte
	unsynced []string // written, writeback started, not yet fsynced
}

func (b *builder) pseudonym(ctx context.Context, name string) (string, error) {
	return b.x.Store.Pseudonym(ctx, name)
}

// logRequest logs the request and its approval before anything is copied.
func (b *builder) logRequest(ctx context.Context) error {
	rq, err := b.pseudonym(ctx, b.r.RequestedBy)
	if err != nil {
		return err
	}
	ap, err := b.pseudonym(ctx, b.r.ApprovedBy)
	if err != nil {
		return err
	}
	cam := OneCamera(b.r.Cameras)
	detail := "crime reference " + b.r.CrimeRef + "; cameras " + strings.Join(b.r.Cameras, ",")
	for _, e := range []*evidence.Entry{
		{Action: evidence.ActionExportRequested, Actor: rq, Camera: cam, From: b.r.From, To: b.r.To, Reason: b.r.Reason, Ref: b.res.ID, Detail: detail},
		{Action: evidence.ActionExportApproved, Actor: ap, Camera: cam, From: b.r.From, To: b.r.To, Reason: b.r.Reason, Ref: b.res.ID, Detail: detail},
	} {
		if _, err := b.x.Log.Append(ctx, e); err != nil {
			return fmt.Errorf("export: log %s: %w", e.Action, err)
		}
	}
	return nil
}

func (b *builder) build(ctx context.Context) error {
	b.sums = map[string][32]byte{}
	b.sealed = map[uint64]bool{}
	b.res.Placed = map[Placement]int{}
	for _, cam := range b.r.Cameras {
		if err := b.camera(ctx, cam); err != nil {
			return err
		}
	}
	if b.res.Masters == 0 {
		return fmt.Errorf("%w (%s to %s)", ErrNoFootage, b.r.From.UTC().Format(time.RFC3339), b.r.To.UTC().Format(time.RFC3339))
	}
	if err := b.verifiers(); err != nil {
		return err
	}
	readme := readmeText(b)
	if err := b.write(bundle.ReadmePath, readme); err != nil {
		return err
	}
	b.files = append(b.files, bundle.File{Path: bundle.ReadmePath, Kind: bundle.KindReadme, SHA256: hexSum(b.sums[bundle.ReadmePath]), Bytes: int64(len(readme))})
	if err := b.writeManifest(); err != nil {
		return err
	}
	start := time.Now()
	defer func() { b.res.Took.Seal = time.Since(start) }()
	return b.seal(ctx)
}

// camera copies a camera's sealed segments (the master) and writes its
// working copy.
// place puts the camera where it stood during the footage: its recorded
// places over the period (a mobile camera's), each cut to the period, the
// first of them as the camera's own. A camera with none keeps its record's.
func (b *builder) place(ctx context.Context, bc *bundle.Camera) error {
	locs, err := b.x.Store.CameraLocations(ctx, bc.ID, b.r.From, b.r.To)
	if err != nil {
		return err
	}
	for _, l := range locs {
		from, to := l.From, l.To
		if from.Before(b.r.From) {
			from = b.r.From
		}
		if to.IsZero() || to.After(b.r.To) {
			to = b.r.To
		}
		bc.Locations = append(bc.Locations, bundle.Location{From: bundle.FormatTime(from), To: bundle.FormatTime(to),
			FromLocal: local(from), ToLocal: local(to), Name: l.Name, Address: l.Address, Site: l.Site, Ward: l.Ward,
			Latitude: l.Latitude, Longitude: l.Longitude, Deployment: l.DeploymentID})
	}
	if len(bc.Locations) > 0 {
		first := bc.Locations[0]
		bc.Name, bc.Site, bc.Ward, bc.Latitude, bc.Longitude = first.Name, first.Site, first.Ward, first.Latitude, first.Longitude
	}
	return nil
}

// clock sets the camera's clock offset: the measurement in effect when
// the footage begins, with the least and greatest over it when it
// changed; for a camera with no recorded measurement, the one now.
func (b *builder) clock(ctx context.Context, bc *bundle.Camera) error {
	hist, err := b.x.Store.ClockOffsets(ctx, bc.ID, b.r.From, b.r.To)
	if err != nil {
		return err
	}
	if len(hist) == 0 {
		if b.x.ClockOffset != nil {
			if off, source, ok := b.x.ClockOffset(bc.ID); ok {
				bc.ClockOffsetMS, bc.ClockSource, bc.ClockOffsetAt = off*1000, source, bundle.FormatTime(b.now)
			}
		}
		return nil
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	first := hist[0]
	bc.ClockOffsetMS, bc.ClockSource, bc.ClockOffsetAt = ms(first.Offset), first.Source, bundle.FormatTime(first.At)
	least, most := first.Offset, first.Offset
	for _, o := range hist[1:] {
		least, most = min(least, o.Offset), max(most, o.Offset)
	}
	if least != most {
		bc.ClockOffsetRangeMS = []float64{ms(least), ms(most)}
	}
	return nil
}

func (b *builder) camera(ctx context.Context, id string) error {
	c, err := b.x.Store.GetCamera(ctx, id)
	if err != nil {
		return fmt.Errorf("camera %s: %w", id, err)
	}
	bc := bundle.Camera{ID: c.ID, Name: c.Name, Site: c.Site, Ward: c.Ward, ClockSource: "receive-time"}
	if c.Latitude != nil && c.Longitude != nil {
		bc.Latitude, bc.Longitude = *c.Latitude, *c.Longitude
	}
	if err := b.clock(ctx, &bc); err != nil {
		return err
	}
	if err := b.place(ctx, &bc); err != nil {
		return err
	}
	set, err := b.x.Store.CameraAnalytics(ctx, id)
	if err != nil {
		return err
	}
	masks := set.Privacy
	for _, p := range masks {
		mp := make(bundle.MaskPolygon, len(p))
		for i, q := range p {
			mp[i] = [2]float64{q.X, q.Y}
		}
		bc.PrivacyMasks = append(bc.PrivacyMasks, mp)
	}
	b.cameras = append(b.cameras, bc)

	segs, err := b.x.Store.Segments(ctx, id, b.r.From, b.r.To)
	if err != nil {
		return err
	}
	if len(segs) == 0 {
		return nil
	}
	for _, s := range segs {
		if s.SealedSeq < 0 {
			return fmt.Errorf("segment %s is not in the evidence log yet (it was sealed moments ago): try again in a few seconds", s.Path)
		}
	}
	// The working copy is written while the masters are placed and
	// hashed: the two share no state until both are done, and on two
	// cores the export takes the longer of them, not their sum.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wc := make(chan workingCopy, 1)
	start := time.Now()
	go func() { wc <- b.working(wctx, id, segs, masks) }()
	err = b.masters(id, segs, len(masks) > 0)
	b.res.Took.Masters += time.Since(start)
	if err != nil {
		cancel()
	}
	w := <-wc
	b.res.Took.Working += w.took
	if err != nil {
		return err
	}
	if w.err != nil {
		return fmt.Errorf("working copy of %s: %w", id, w.err)
	}
	b.unsynced = append(b.unsynced, w.path)
	b.sums[w.rel] = w.sum
	b.files = append(b.files, b.timed(bundle.File{Path: w.rel, Kind: bundle.KindWorking, SHA256: hexSum(w.sum), Bytes: w.n, Camera: id,
		MasksBurnedIn: len(masks) > 0}, w.from, w.to))
	return nil
}

// masters places the camera's sealed segments in the bundle, each checked
// against the hash it was sealed with. A camera with privacy masks has its
// masters marked: native footage, masked areas visible.
func (b *builder) masters(id string, segs []store.Segment, masked bool) error {
	for _, s := range segs {
		rel := path.Join("media", id, path.Base(s.Path))
		if err := b.mkdir(rel); err != nil {
			return err
		}
		dst := filepath.Join(b.res.Dir, filepath.FromSlash(rel))
		var sum [32]byte
		var n int64
		var how Placement
		var err error
		if b.x.elsewhere(&s) {
			sum, n, err = copyOpened(dst, b.x.Open, &s)
			how = PlacedCopy
		} else {
			sum, n, how, err = placeMaster(dst, filepath.Join(b.x.RecordingsDir, filepath.FromSlash(s.Path)), b.x.CopyMasters)
			if errors.Is(err, fs.ErrNotExist) && b.x.Open != nil {
				// Uploaded to the object store since the index was read.
				sum, n, err = copyOpened(dst, b.x.Open, &s)
				how = PlacedCopy
			}
		}
		if err != nil {
			return fmt.Errorf("copy %s: %w", s.Path, err)
		}
		b.unsynced = append(b.unsynced, dst)
		if sum != s.SHA256 || n != s.Bytes {
			return fmt.Errorf("segment %s on disk (%d bytes, sha256 %x) does not match what was sealed (%d bytes, sha256 %x): the recording was altered or damaged",
				s.Path, n, sum, s.Bytes, s.SHA256)
		}
		seq := uint64(s.SealedSeq)
		b.sealed[seq] = true
		b.sums[rel] = sum
		b.files = append(b.files, b.timed(bundle.File{Path: rel, Kind: bundle.KindMaster, SHA256: hexSum(sum), Bytes: n, Camera: id, SealedSeq: &seq,
			ContainsMaskedAreas: masked}, s.Start, s.End))
		b.res.Masters++
		b.res.Bytes += n
		b.res.Placed[how]++
	}
	return nil
}

// workingCopy is a written working MP4.
type workingCopy struct {
	rel, path string
	sum       [32]byte
	n         int64
	from, to  time.Time
	took      time.Duration
	err       error
}

// working writes the camera's working copy: one MP4 cut to the range,
// remuxed, or re-encoded with the privacy masks painted black when the
// camera has any (the one transcode in Vigil, and only here). It runs
// beside masters and touches none of the builder's state.
func (b *builder) working(ctx context.Context, id string, segs []store.Segment, masks []zones.Polygon) (w workingCopy) {
	gaps, err := b.x.Store.Gaps(ctx, id, b.r.From, b.r.To)
	if err != nil {
		return workingCopy{err: err}
	}
	rng, err := playback.Plan(segs, gaps, b.r.From, b.r.To)
	if err != nil {
		return workingCopy{err: err}
	}
	rng.Camera = id
	w.rel = path.Join("working", fmt.Sprintf("%s_%s_%s_WORKING-COPY.mp4", id, b.r.From.UTC().Format("20060102T150405Z"), b.r.To.UTC().Format("20060102T150405Z")))
	if w.err = b.mkdir(w.rel); w.err != nil {
		return w
	}
	w.path = filepath.Join(b.res.Dir, filepath.FromSlash(w.rel))
	w.from, w.to = rng.From, rng.To
	player := &playback.Player{Dir: b.x.RecordingsDir, Open: b.x.Open, MaxDownload: MaxRange}
	start := time.Now()
	defer func() { w.took = time.Since(start) }()
	w.sum, w.n, w.err = writeHashed(w.path, func(out io.Writer) error {
		if len(masks) > 0 {
			return player.WriteMaskedMP4(ctx, out, rng, masks, b.x.OutDir)
		}
		return player.WriteMP4(ctx, out, rng)
	})
	return w
}

// verifiers copies the verifier builds that exist.
func (b *builder) verifiers() error {
	for _, v := range verifierBuilds {
		src := filepath.Join(b.x.VerifierDir, filepath.FromSlash(v))
		if _, err := os.Stat(src); err != nil || b.x.VerifierDir == "" {
			b.missing = append(b.missing, v)
			continue
		}
		rel := path.Join("verify", v)
		sum, n, err := b.copyIn(rel, src)
		if err != nil {
			return fmt.Errorf("copy verifier: %w", err)
		}
		os.Chmod(filepath.Join(b.res.Dir, filepath.FromSlash(rel)), 0o755)
		b.sums[rel] = sum
		b.files = append(b.files, bundle.File{Path: rel, Kind: bundle.KindVerifier, SHA256: hexSum(sum), Bytes: n})
	}
	if len(b.missing) > 0 {
		b.log.Warn("export without some verifier builds (run make build, or set evidence.verifier_dir)",
			"missing", strings.Join(b.missing, " "), "dir", b.x.VerifierDir)
	}
	return nil
}

func (b *builder) writeManifest() error {
	sort.Slice(b.files, func(i, j int) bool { return b.files[i].Path < b.files[j].Path })
	m := bundle.Manifest{
		Format: bundle.ManifestFormat, ExportID: b.res.ID, Created: bundle.FormatTime(b.now), CreatedLocal: local(b.now),
		Origin: b.x.Log.Origin, CrimeReference: b.r.CrimeRef, Officer: b.r.Officer, Reason: b.r.Reason,
		RequestedBy: b.r.RequestedBy, ApprovedBy: b.r.ApprovedBy,
		From: bundle.FormatTime(b.r.From), To: bundle.FormatTime(b.r.To), FromLocal: local(b.r.From), ToLocal: local(b.r.To),
		Cameras: b.cameras, Files: b.files,
	}
	var err error
	if b.manifest, err = json.MarshalIndent(m, "", "  "); err != nil {
		return err
	}
	b.manifest = append(b.manifest, '\n')
	return b.write(bundle.ManifestPath, b.manifest)
}

// seal logs the export with the manifest's hash, has a checkpoint signed
// over it, and writes what proves it: the signature, the checkpoint, the
// custody extract with a proof per entry, consistency proofs, SHA256SUMS.
func (b *builder) seal(ctx context.Context) error {
	// What the manifest names is durable before the log says it exists.
	if err := b.sync(); err != nil {
		return err
	}
	msum := sha256.Sum256(b.manifest)
	officer, err := b.pseudonym(ctx, b.r.Officer)
	if err != nil {
		return err
	}
	cam := OneCamera(b.r.Cameras)
	created := &evidence.Entry{Action: evidence.ActionExportCreated, Actor: ActorExporter, Camera: cam, From: b.r.From, To: b.r.To,
		ObjectSHA256: msum, ObjectBytes: int64(len(b.manifest)), Reason: b.r.Reason, Ref: b.res.ID,
		Detail: fmt.Sprintf("crime reference %s; officer %s; %d master files", b.r.CrimeRef, officer, b.res.Masters)}
	if _, err := b.x.Log.Append(ctx, created); err != nil {
		return fmt.Errorf("log export: %w", err)
	}
	c, signed, err := b.x.Log.Checkpoint(ctx, "export/"+b.res.ID)
	if err != nil {
		return err
	}
	b.res.Checkpoint = c
	if err := b.write(bundle.CheckpointPath, signed); err != nil {
		return err
	}
	sig, err := b.x.Log.SignNote(string(bundle.ManifestSigText(b.manifest)))
	if err != nil {
		return err
	}
	if err := b.write(bundle.ManifestSigPath, sig); err != nil {
		return err
	}
	if err := b.custody(ctx, c); err != nil {
		return err
	}
	if err := b.write(bundle.SumsPath, bundle.FormatSHA256SUMS(b.sums)); err != nil {
		return err
	}
	b.unsynced = append(b.unsynced, b.res.Dir) // its name in OutDir
	return b.sync()
}

// sync fsyncs what was written since the last sync, and its folders.
func (b *builder) sync() error {
	err := syncPaths(b.unsynced)
	b.unsynced = b.unsynced[:0]
	return err
}

// custody writes custody.log and a proof per entry: the sealing of every
// master, this export's entries, and every entry about these cameras in
// the range (holds, playbacks, deletions, other exports).
func (b *builder) custody(ctx context.Context, c evidence.Checkpoint) error {
	cams := map[string]bool{}
	for _, id := range b.r.Cameras {
		cams[id] = true
	}
	var lines []bundle.CustodyLine
	err := b.x.Log.Scan(0, c.Size, func(e evidence.Entry, raw []byte) bool {
		take := b.sealed[e.Seq] || e.Ref == b.res.ID ||
			(cams[e.Camera] && !e.From.IsZero() && e.From.Before(b.r.To) && e.To.After(b.r.From))
		if take {
			lines = append(lines, bundle.NewCustodyLine(e, raw))
		}
		return true
	})
	if err != nil {
		return err
	}
	for i := range lines {
		if strings.HasPrefix(lines[i].Actor, "person:") {
			if name, salt, err := b.x.Store.Person(ctx, lines[i].Actor); err == nil {
				lines[i].ActorName, lines[i].ActorSalt = name, hex.EncodeToString(salt)
			}
		}
		p, err := b.x.Log.InclusionProof(int64(lines[i].Seq), c.Size)
		if err != nil {
			return err
		}
		proof := bundle.InclusionProof{Index: int64(lines[i].Seq), Size: c.Size, Hashes: p}
		if err := b.write(fmt.Sprintf("proofs/%d.proof", lines[i].Seq), proof.Format()); err != nil {
			return err
		}
	}
	if err := b.write(bundle.CustodyPath, bundle.FormatCustody(lines)); err != nil {
		return err
	}
	sizes := b.x.Log.ExportCheckpointSizes()
	if len(sizes) > maxConsistencyProofs {
		sizes = sizes[len(sizes)-maxConsistencyProofs:]
	}
	for _, old := range sizes {
		if old <= 0 || old >= c.Size {
			continue
		}
		p, err := b.x.Log.ConsistencyProof(old, c.Size)
		if err != nil {
			return err
		}
		proof := bundle.ConsistencyProof{Old: old, Size: c.Size, Hashes: p}
		if err := b.write(fmt.Sprintf("proofs/consistency/%d.proof", old), proof.Format()); err != nil {
			return err
		}
	}
	return nil
}

// copyIn copies src into the bundle at rel, hashing it on the way.
func (b *builder) copyIn(rel, src string) ([32]byte, int64, error) {
	if err := b.mkdir(rel); err != nil {
		return [32]byte{}, 0, err
	}
	dst := filepath.Join(b.res.Dir, filepath.FromSlash(rel))
	sum, n, err := copyHashed(dst, src)
	b.unsynced = append(b.unsynced, dst)
	return sum, n, err
}

// write writes a small file of the bundle and notes its hash.
func (b *builder) write(rel string, data []byte) error {
	f, err := b.create(rel)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	b.sums[rel] = sha256.Sum256(data)
	b.unsynced = append(b.unsynced, f.Name())
	return err
}

func (b *builder) create(rel string) (*os.File, error) {
	if err := b.mkdir(rel); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(b.res.Dir, filepath.FromSlash(rel)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
}

// mkdir makes the folder of a bundle path.
func (b *builder) mkdir(rel string) error {
	return os.MkdirAll(filepath.Join(b.res.Dir, filepath.FromSlash(path.Dir(rel))), 0o750)
}

func (b *builder) timed(f bundle.File, start, end time.Time) bundle.File {
	f.Start, f.End, f.StartLocal, f.EndLocal = bundle.FormatTime(start), bundle.FormatTime(end), local(start), local(end)
	return f
}

func hexSum(s [32]byte) string { return hex.EncodeToString(s[:]) }

// london is Europe/London (time/tzdata is embedded by the binary).
var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()

// local is a time as the control room and the court read it.
func local(t time.Time) string { return t.In(london).Format("2006-01-02 15:04:05.000 MST") }
