package analytics

import (
	"bytes"
	"image"
	"image/jpeg"
	"time"

	"gocv.io/x/gocv"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr"
	platetrack "github.com/vigil-cctv/vigil/ingest/analytics/anpr/track"
	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/ukplate"
	"github.com/vigil-cctv/vigil/ingest/decode"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// plateMargin widens the moving region read for plates, as a share of the
// picture: a plate sits at the edge of a moving car's blob, and the blob
// of a dark car on a dark road can miss its bumper.
const plateMargin = 0.06

// edgeMargin: a plate read this near the picture's edge is taken to be cut
// off by it (a vehicle entering or leaving), and is not used.
const edgeMargin = 3

// plateStage reads number plates in a camera's analysed pictures where
// something moves, and follows them (track) to one read per passage. It
// belongs to the camera's pump, so that a change of analytics settings
// does not cut passages short.
type plateStage struct {
	camera  string
	reader  *anpr.Reader
	tracker platetrack.Tracker
	out     func(op)
	full    gocv.Mat // the picture's luma at full size
	privacy privacyRaster
	main    *mainLook // nil: the analysed stream only
}

func newPlateStage(camera, region string, out func(op)) (*plateStage, error) {
	r, err := anpr.New(anpr.Options{Region: region})
	if err != nil {
		return nil, err
	}
	s := &plateStage{camera: camera, reader: r, out: out, full: gocv.NewMat()}
	if region == "any" {
		s.tracker.Vote = platetrack.VoteAny
	}
	return s, nil
}

// observe reads plates in the picture where the analyser last saw motion
// (none: only passages ending, and main-stream looks, are looked for).
func (s *plateStage) observe(f *decode.Frame, now time.Time, an *analyser) error {
	moving := an.moving
	g := f.Gray()
	if moving.Empty() || g == nil {
		return s.add(f, now, nil, nil, 0, 0, an)
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	px, err := copyLuma(&s.full, g)
	if err != nil {
		return err
	}
	s.privacy.apply(px, w, h, an)
	mx, my := int(plateMargin*float64(w)), int(plateMargin*float64(h))
	roi := image.Rect(moving.Min.X-mx, moving.Min.Y-my, moving.Max.X+mx, moving.Max.Y+my).Intersect(image.Rect(0, 0, w, h))
	if roi.Dx() < anpr.MinSide || roi.Dy() < anpr.MinSide {
		return s.add(f, now, nil, nil, w, h, an)
	}
	scan, err := s.reader.Scan(s.full, roi)
	if err != nil {
		return err
	}
	obs := make([]platetrack.Observation, 0, len(scan.Plates))
	small := scan.Small
	inner := image.Rect(edgeMargin, edgeMargin, w-edgeMargin, h-edgeMargin)
	for _, p := range scan.Plates {
		if len(p.Probs) != len(ukplate.Normalize(p.Text)) || !p.Box.In(inner) {
			continue // a plate cut by the picture's edge reads as a shorter, wrong mark
		}
		if p.Box.Dy() < anpr.SmallPlateHeight {
			small = append(small, p.Box) // read, but the main stream reads it surer
		}
		obs = append(obs, platetrack.Observation{At: now, Box: p.Box, Text: ukplate.Normalize(p.Text), Conf: p.Confidence,
			Probs: p.Probs, Crop: cropGray(px, w, h, p.Box)})
	}
	return s.add(f, now, obs, small, w, h, an)
}

// add hands the reads of picture f (w×h), with those of a main-stream
// look, to the tracker, with f's thumbnail as the vehicle's picture.
func (s *plateStage) add(f *decode.Frame, now time.Time, obs []platetrack.Observation, small []image.Rectangle, w, h int, an *analyser) error {
	var err error
	if s.main != nil {
		var seen []platetrack.Observation
		seen, err = s.main.look(s.reader, now, small, w, h, an)
		obs = mergeLook(obs, seen, now)
	}
	if len(obs) > 0 {
		if t := f.Thumbnail(thumbWidth); t != nil {
			an.mask(t)
			for i := range obs {
				obs[i].Thumb = t
			}
		}
	}
	s.emit(s.tracker.Add(now, obs))
	return err
}

// mergeLook puts a main-stream look's reads in with the picture's own: a
// main-stream read replaces the picture's read of the same plate (it has
// three times the pixels), and is taken as read now.
func mergeLook(obs, seen []platetrack.Observation, now time.Time) []platetrack.Observation {
next:
	for _, o := range seen {
		o.At = now
		for i := range obs {
			if obs[i].Box.Overlaps(o.Box) {
				obs[i] = o
				continue next
			}
		}
		obs = append(obs, o)
	}
	return obs
}

// privacyRaster is a camera's privacy masks at one picture size, made
// again for new settings (a new analyser) or another size.
type privacyRaster struct {
	mask []bool
	of   *analyser
}

// apply paints the privacy masks black: a masked area is never read.
func (p *privacyRaster) apply(px []byte, w, h int, an *analyser) {
	if len(an.set.Privacy) == 0 {
		return
	}
	if p.of != an || len(p.mask) != w*h {
		p.mask, p.of = zones.Rasterize(an.set.Privacy, w, h), an
	}
	for i, m := range p.mask {
		if m {
			px[i] = 0
		}
	}
}

// copyLuma copies a luma plane into m (sized again when it differs) and
// returns m's pixels.
func copyLuma(m *gocv.Mat, g *image.Gray) ([]byte, error) {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if m.Cols() != w || m.Rows() != h {
		m.Close()
		*m = gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
	}
	px, err := m.DataPtrUint8()
	if err != nil {
		return nil, err
	}
	for y := range h {
		copy(px[y*w:(y+1)*w], g.Pix[y*g.Stride:y*g.Stride+w])
	}
	return px, nil
}

// close ends the passages in progress (the camera stops) and frees the reader.
func (s *plateStage) close() {
	s.emit(s.tracker.Flush())
	s.full.Close()
	if s.main != nil {
		s.main.close()
	}
	s.reader.Close()
}

// emit hands finished passages to the writer as reads.
func (s *plateStage) emit(ps []platetrack.Passage) {
	for _, p := range ps {
		r := &store.PlateRead{Camera: s.camera, At: p.Best, First: p.First, Last: p.Last, Plate: p.Plain, Text: p.Text,
			Confidence: p.Conf, CharConf: p.CharConf, Direction: p.Direction, Frames: p.Frames,
			Box: [4]int{p.Box.Min.X, p.Box.Min.Y, p.Box.Dx(), p.Box.Dy()}, Crop: encodeJPEG(p.Crop), Thumbnail: encodeJPEG(p.Thumb)}
		if f, ok := ukplate.Match(p.Plain); ok {
			r.Format = f.Name
		}
		s.out(op{plate: r})
	}
}

// cropGray copies a plate's box, widened by a third of its height, out of
// the picture.
func cropGray(px []byte, w, h int, box image.Rectangle) image.Image {
	m := box.Dy() / 3
	r := box.Inset(-m).Intersect(image.Rect(0, 0, w, h))
	if r.Empty() {
		return nil
	}
	g := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := range r.Dy() {
		copy(g.Pix[y*g.Stride:], px[(r.Min.Y+y)*w+r.Min.X:(r.Min.Y+y)*w+r.Max.X])
	}
	return g
}

func encodeJPEG(img image.Image) []byte {
	if img == nil {
		return nil
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil
	}
	if buf.Len() > store.MaxPlateImage {
		return nil
	}
	return buf.Bytes()
}
