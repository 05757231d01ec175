package anpr

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"

	"gocv.io/x/gocv"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/models"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
)

// Options configure a Reader. The zero value reads UK plates with the
// embedded model.
type Options struct {
	// Region is "gb" (UK syntax and confusion correction, the default) or
	// "any" (the likeliest character at each position, 4 to 8 of them, for
	// other countries).
	Region string
	// ModelPath is a character model to use instead of the embedded one.
	ModelPath string
	// MinConfidence is the least plate confidence reported (default 0.5).
	MinConfidence float32
	// MaxCandidates bounds the regions read per frame (default 12): the
	// cost of a frame full of clutter.
	MaxCandidates int
}

// Plate is one plate read in a picture.
type Plate struct {
	Text           string    // "AB12 CDE" for gb (spaced by format), the characters for any
	Confidence     float32   // geometric mean of CharConfidence
	CharConfidence []float32 // per character of Text without spaces
	Box            image.Rectangle
	Quad           [4]image.Point // TL, TR, BR, BL of the plate
	Format         string         // the UK format (gb)
	// Probs are the recogniser's 37 class probabilities per character
	// position read (the tracker votes with them across frames).
	Probs [][]float32
}

// Reader reads plates. Its methods are safe for concurrent use but run one
// at a time (OpenCV DNN nets are not re-entrant).
type Reader struct {
	opts Options
	mu   sync.Mutex
	det  *detector
	rec  *recogniser
}

// New validates the model (before gocv sees it) and loads it.
func New(o Options) (*Reader, error) {
	switch o.Region {
	case "":
		o.Region = "gb"
	case "gb", "any":
	default:
		return nil, fmt.Errorf("anpr: region %q: want gb or any", o.Region)
	}
	if o.MinConfidence == 0 {
		o.MinConfidence = 0.5
	}
	if o.MaxCandidates == 0 {
		o.MaxCandidates = 12
	}
	model := models.Chars()
	if o.ModelPath != "" {
		st, err := os.Stat(o.ModelPath)
		if err != nil {
			return nil, fmt.Errorf("anpr: model: %w", err)
		}
		if st.Size() > MaxModelBytes {
			return nil, fmt.Errorf("anpr: model %s: %w: %d bytes", o.ModelPath, ErrBadModel, st.Size())
		}
		if model, err = os.ReadFile(o.ModelPath); err != nil {
			return nil, fmt.Errorf("anpr: model: %w", err)
		}
	}
	opencvSingleThreaded()
	rec, err := newRecogniser(model)
	if err != nil {
		return nil, fmt.Errorf("anpr: model %s: %w", cmp(o.ModelPath, "(embedded)"), err)
	}
	return &Reader{opts: o, det: newDetector(), rec: rec}, nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Close frees the model and kernels.
func (r *Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec != nil {
		r.rec.Close()
		r.det.Close()
		r.rec, r.det = nil, nil
	}
	return nil
}

// ReadFile reads the plates in a JPEG or PNG file (checked by DecodeImage).
func (r *Reader) ReadFile(path string) ([]Plate, error) {
	img, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return r.ReadImage(img)
}

// ReadImage reads the plates in a Go picture.
func (r *Reader) ReadImage(img image.Image) ([]Plate, error) {
	m, err := imageToBGR(img)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	ps, err := r.Read(m, image.Rectangle{})
	for i := range ps { // back into img's coordinates
		off := img.Bounds().Min
		ps[i].Box = ps[i].Box.Add(off)
		for j := range ps[i].Quad {
			ps[i].Quad[j] = ps[i].Quad[j].Add(off)
		}
	}
	return ps, err
}

// Read reads the plates in a BGR or grey 8-bit frame, only within roi when
// it is not empty (a motion-gated region). Plates are best first.
func (r *Reader) Read(frame gocv.Mat, roi image.Rectangle) ([]Plate, error) {
	s, err := r.scan(frame, roi, false)
	return s.Plates, err
}

// Scan is what Scan found in a frame.
type Scan struct {
	Plates []Plate // read, best first
	// Small are the places where a plate may be whose characters are too
	// small to read in this frame (under about SmallPlateHeight), in frame
	// coordinates, likeliest first: worth reading in a larger picture of
	// the same scene.
	Small []image.Rectangle
}

// SmallPlateHeight is the plate box height under which a plate is worth
// reading again in a larger picture (its characters are under about 11 px,
// where one in ten is misread); smaller text is not read at all, only
// reported as Small.
const SmallPlateHeight = 16

// Scan is Read that also reports the small candidates (see Scan.Small).
func (r *Reader) Scan(frame gocv.Mat, roi image.Rectangle) (Scan, error) {
	return r.scan(frame, roi, true)
}

func (r *Reader) scan(frame gocv.Mat, roi image.Rectangle, wantSmall bool) (Scan, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec == nil {
		return Scan{}, errors.New("anpr: reader closed")
	}
	full := image.Rect(0, 0, frame.Cols(), frame.Rows())
	if roi.Empty() {
		roi = full
	}
	roi = roi.Intersect(full)
	if roi.Dx() < MinSide || roi.Dy() < MinSide {
		return Scan{}, fmt.Errorf("anpr: region %v of a %dx%d frame is too small", roi, frame.Cols(), frame.Rows())
	}
	region := frame.Region(roi)
	defer region.Close()
	bgr, grey := gocv.NewMat(), gocv.NewMat()
	defer bgr.Close()
	defer grey.Close()
	switch frame.Type() {
	case gocv.MatTypeCV8UC3:
		region.CopyTo(&bgr)
		gocv.CvtColor(region, &grey, gocv.ColorBGRToGray)
	case gocv.MatTypeCV8UC1:
		region.CopyTo(&grey)
	default:
		return Scan{}, fmt.Errorf("anpr: frame type %v: want 8-bit BGR or grey", frame.Type())
	}
	var plates []Plate
	var small, unread []candidate
	var smallOut *[]candidate
	if wantSmall {
		smallOut = &small
	}
	for _, c := range r.det.detect(bgr, grey, r.opts.MaxCandidates, smallOut) {
		p, ok, err := r.readCandidate(grey, c)
		if err != nil {
			return Scan{}, err
		}
		if !ok {
			unread = append(unread, c)
			continue
		}
		p.Box = p.Box.Add(roi.Min)
		for j := range p.Quad {
			p.Quad[j] = p.Quad[j].Add(roi.Min)
		}
		plates = append(plates, p)
	}
	s := Scan{Plates: dedupePlates(plates)}
	// Small: the text too small to read, then the candidates of readable
	// size that gave no reading but whose text is small enough (under
	// 14 px) that a larger picture may.
	for _, c := range small {
		s.Small = append(s.Small, c.box.Add(roi.Min))
	}
	for _, c := range unread {
		if c.box.Dy() < 14 && len(s.Small) < r.opts.MaxCandidates {
			s.Small = append(s.Small, c.box.Add(roi.Min))
		}
	}
	return s, nil
}

// readCandidate reads one candidate: its polarity then the other, with the
// local threshold then the global one, until one gives a reading.
func (r *Reader) readCandidate(grey gocv.Mat, c candidate) (Plate, bool, error) {
	q := growQuad(c.quad, marginX, marginY)
	for try := range 4 {
		light, global := c.light != (try%2 == 1), try >= 2
		plate := rectify(grey, q, light)
		seg := segment(plate, global)
		if len(seg.boxes) < 2 || len(seg.boxes) > 10 {
			plate.Close()
			continue
		}
		g, err := grayFromMat(plate)
		plate.Close()
		if err != nil {
			return Plate{}, false, err
		}
		if r.opts.Region == "gb" {
			seg = trimLoneEnds(seg)
		}
		probs := make([][]float32, len(seg.boxes))
		bad := 0
		for i, b := range seg.boxes {
			if probs[i], err = r.rec.classify(g, b); err != nil {
				return Plate{}, false, err
			}
			// Not a plate: stop at the third "not a character" or
			// when they are half of the line, before more forwards.
			if argmax(probs[i]) == numClasses-1 {
				if bad++; bad > 2 || bad*2 > len(seg.boxes) {
					break
				}
			}
		}
		if bad > 2 || bad*2 > len(seg.boxes) {
			continue
		}
		p, ok := r.decide(probs, seg)
		if !ok {
			continue
		}
		p.Quad = plateQuad(q, seg.boxes, g.Bounds().Dx())
		p.Box = quadBounds(p.Quad)
		return p, true, nil
	}
	return Plate{}, false, nil
}

// trimLoneEnds drops a box cut off from five or more others by the line's
// widest gap: no UK mark has a one-character group beside five or more
// characters, so it is the flag band or a border piece.
func trimLoneEnds(seg segmentation) segmentation {
	n := len(seg.boxes)
	switch {
	case n >= 6 && seg.split == 1:
		seg.boxes, seg.split = seg.boxes[1:], -1
	case n >= 6 && seg.split == n-1:
		seg.boxes, seg.split = seg.boxes[:n-1], -1
	}
	return seg
}

// decide turns per-character probabilities into a reading, or none: too
// few characters, too unsure, or (gb) no valid UK mark.
func (r *Reader) decide(probs [][]float32, seg segmentation) (Plate, bool) {
	if r.opts.Region == "gb" {
		rd, ok := ukplate.CorrectDetail(probs)
		if !ok || rd.Conf < r.opts.MinConfidence {
			return Plate{}, false
		}
		kept := make([][]float32, 0, len(probs))
		for i, p := range probs {
			if !slices.Contains(rd.Dropped, i) {
				kept = append(kept, p)
			}
		}
		return Plate{Text: rd.Text, Confidence: rd.Conf, CharConfidence: rd.CharConf, Format: rd.Format.Name, Probs: kept}, true
	}
	var text strings.Builder
	var confs []float32
	var kept [][]float32
	logSum := 0.0
	for i, p := range probs {
		best := 0
		for k := range numClasses {
			if p[k] > p[best] {
				best = k
			}
		}
		if best == numClasses-1 {
			continue // not a character
		}
		if i >= seg.split && seg.split > 0 && text.Len() > 0 && !strings.Contains(text.String(), " ") {
			text.WriteByte(' ') // the gap between the groups
		}
		text.WriteByte(ukplate.Alphabet[best])
		confs = append(confs, p[best])
		kept = append(kept, p)
		logSum += math.Log(float64(max(p[best], 1e-6)))
	}
	if len(confs) < 4 || len(confs) > 8 {
		return Plate{}, false
	}
	conf := float32(math.Exp(logSum / float64(len(confs))))
	if conf < r.opts.MinConfidence {
		return Plate{}, false
	}
	return Plate{Text: text.String(), Confidence: conf, CharConfidence: confs, Probs: kept}, true
}

// plateQuad maps the characters' line, with a plate's margins round it,
// from the rectified picture (width w, plateH high) back into the frame
// through the candidate's quad q.
func plateQuad(q [4]image.Point, boxes []image.Rectangle, w int) [4]image.Point {
	line := boxes[0]
	for _, b := range boxes[1:] {
		line = line.Union(b)
	}
	mx, my := float64(line.Dy())*0.5, float64(line.Dy())*0.25
	x0, x1 := float64(line.Min.X)-mx, float64(line.Max.X)+mx
	y0, y1 := float64(line.Min.Y)-my, float64(line.Max.Y)+my
	at := func(u, v float64) image.Point {
		s, t := u/float64(w), v/plateH
		x := (1-s)*(1-t)*float64(q[0].X) + s*(1-t)*float64(q[1].X) + s*t*float64(q[2].X) + (1-s)*t*float64(q[3].X)
		y := (1-s)*(1-t)*float64(q[0].Y) + s*(1-t)*float64(q[1].Y) + s*t*float64(q[2].Y) + (1-s)*t*float64(q[3].Y)
		return image.Pt(int(math.Round(x)), int(math.Round(y)))
	}
	return [4]image.Point{at(x0, y0), at(x1, y0), at(x1, y1), at(x0, y1)}
}

// dedupePlates keeps the most confident of plates that overlap: one plate
// found by several cues, or its text found again inside a larger region.
func dedupePlates(ps []Plate) []Plate {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Confidence > ps[j].Confidence })
	var out []Plate
next:
	for _, p := range ps {
		for _, k := range out {
			if overlap(p.Box, k.Box) > 0.5 {
				continue next
			}
		}
		out = append(out, p)
	}
	return out
}
