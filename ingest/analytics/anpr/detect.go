package anpr

import (
	"image"
	"math"
	"sort"

	"gocv.io/x/gocv"
)

// candidate is a region that may hold a plate's characters, in frame
// coordinates.
type candidate struct {
	quad  [4]image.Point // TL, TR, BR, BL of the text region
	box   image.Rectangle
	light bool    // light characters on a dark plate
	score float64 // larger first: how plate-like the region looked
}

// detector finds plate candidates: characters are thin strokes darker (or
// lighter) than their plate, so a black-hat (top-hat) brings them out
// whatever the lighting; their vertical edges make a dense horizontal
// gradient; a wide closing joins a plate's characters into one blob, whose
// size, aspect and fill say whether it can be a plate. A yellow cue finds
// rear plates whose text the gradient missed (blur, night).
type detector struct {
	hatKernel, closeKernel, openKernel, yellowKernel gocv.Mat
	maxWidth                                         int // frames wider are scaled down
}

func newDetector() *detector {
	return &detector{
		hatKernel:    gocv.GetStructuringElement(gocv.MorphRect, image.Pt(15, 7)),
		closeKernel:  gocv.GetStructuringElement(gocv.MorphRect, image.Pt(17, 5)),
		openKernel:   gocv.GetStructuringElement(gocv.MorphRect, image.Pt(3, 3)),
		yellowKernel: gocv.GetStructuringElement(gocv.MorphRect, image.Pt(9, 3)),
		maxWidth:     1280,
	}
}

func (d *detector) Close() {
	d.hatKernel.Close()
	d.closeKernel.Close()
	d.openKernel.Close()
	d.yellowKernel.Close()
}

// detect returns the candidates in grey (and bgr, for colour; it may be
// empty), best first, at most max. With smallText not nil, it also puts there the
// plate-shaped text too small to read at this size (characters minSmallTextH
// to minTextH high), best first, at most max: where a larger picture of the
// same scene (the main stream) is worth reading.
func (d *detector) detect(bgr, grey gocv.Mat, max int, smallText *[]candidate) []candidate {
	scale := 1.0
	work := grey
	small, smallBGR := gocv.NewMat(), gocv.NewMat()
	defer small.Close()
	defer smallBGR.Close()
	if grey.Cols() > d.maxWidth {
		scale = float64(grey.Cols()) / float64(d.maxWidth)
		sz := image.Pt(d.maxWidth, int(float64(grey.Rows())/scale+0.5))
		gocv.Resize(grey, &small, sz, 0, 0, gocv.InterpolationArea)
		work = small
		if !bgr.Empty() {
			gocv.Resize(bgr, &smallBGR, sz, 0, 0, gocv.InterpolationArea)
		}
	}
	colour := smallBGR
	if scale == 1 {
		colour = bgr
	}
	var cands []candidate
	// A pyramid: the kernels suit characters about 8 to 25 px high, so
	// larger plates are found on halved pictures (a third more work).
	level := work
	var tiny []candidate
	for f := 1; ; f *= 2 {
		var lc []candidate
		for _, light := range []bool{false, true} {
			op := gocv.MorphBlackhat
			if light {
				op = gocv.MorphTophat
			}
			minH := minTextH
			if f == 1 && smallText != nil {
				minH = minSmallTextH
			}
			bs := d.textBlobs(level, op, light, minH)
			readable := bs[:0:0]
			var short []candidate
			for _, b := range bs {
				if b.box.Dy() >= minTextH {
					readable = append(readable, b)
				} else {
					short = append(short, b)
				}
			}
			lc = append(lc, plateShaped(joinGroups(readable))...)
			tiny = append(tiny, smallPlateShaped(joinGroups(short))...)
		}
		for _, c := range lc {
			for j := range c.quad {
				c.quad[j] = c.quad[j].Mul(f)
			}
			c.box = image.Rectangle{c.box.Min.Mul(f), c.box.Max.Mul(f)}
			cands = append(cands, c)
		}
		if level.Cols() < 240 || f == 8 {
			break
		}
		next := gocv.NewMat()
		defer next.Close()
		gocv.Resize(level, &next, image.Pt(level.Cols()/2, level.Rows()/2), 0, 0, gocv.InterpolationArea)
		level = next
	}
	if !colour.Empty() {
		cands = append(cands, d.yellow(colour)...)
	}
	if smallText != nil {
		*smallText = bestOf(scaled(tiny, scale, grey), max)
	}
	return bestOf(scaled(cands, scale, grey), max)
}

// scaled puts candidates found on a picture scaled down by scale back
// into grey's coordinates.
func scaled(cands []candidate, scale float64, grey gocv.Mat) []candidate {
	for i := range cands {
		c := &cands[i]
		for j := range c.quad {
			c.quad[j] = image.Pt(int(float64(c.quad[j].X)*scale+0.5), int(float64(c.quad[j].Y)*scale+0.5))
		}
		c.box = quadBounds(c.quad).Intersect(image.Rect(0, 0, grey.Cols(), grey.Rows()))
	}
	return cands
}

// bestOf is the best max of cands, overlaps dropped.
func bestOf(cands []candidate, max int) []candidate {
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	cands = dedupeCandidates(cands)
	if len(cands) > max {
		cands = cands[:max]
	}
	return cands
}

// textBlobs finds character-texture blobs of one polarity, minH or more high.
func (d *detector) textBlobs(grey gocv.Mat, op gocv.MorphType, light bool, minH int) []candidate {
	hat, grad, bin := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer hat.Close()
	defer grad.Close()
	defer bin.Close()
	// Smooth sensor noise first (night frames): the hat would keep it.
	gocv.GaussianBlur(grey, &bin, image.Pt(3, 3), 0, 0, gocv.BorderDefault)
	gocv.MorphologyEx(bin, &hat, op, d.hatKernel)
	gocv.Sobel(hat, &grad, gocv.MatTypeCV16S, 1, 0, 3, 1, 0, gocv.BorderDefault)
	gocv.ConvertScaleAbs(grad, &bin, 1, 0)
	gocv.GaussianBlur(bin, &grad, image.Pt(5, 5), 0, 0, gocv.BorderDefault)
	gocv.MorphologyEx(grad, &bin, gocv.MorphClose, d.closeKernel)
	// Otsu splits texture from background; a floor keeps a flat frame's
	// noise from passing as texture.
	if t := gocv.Threshold(bin, &hat, 0, 255, gocv.ThresholdBinary|gocv.ThresholdOtsu); t < 40 {
		gocv.Threshold(bin, &hat, 40, 255, gocv.ThresholdBinary)
	}
	gocv.MorphologyEx(hat, &bin, gocv.MorphOpen, d.openKernel)
	return blobs(bin, light, minH, textMaxH)
}

// textMaxH is the highest text blob kept at one pyramid level: the hat
// kernel only brings out characters up to about 25 px, and taller blobs
// are texture (foliage, brickwork); larger plates are found a level down.
const textMaxH = 48

// minTextH is the lowest text blob kept: characters under about 10 px
// cannot be read, and fine texture (grilles, blinds) makes many such blobs.
const minTextH = 10

// minSmallTextH is the lowest text blob reported as a small candidate:
// characters 5 to 9 px high are a plate worth reading in a picture three
// or four times larger; smaller ones are too often texture.
const minSmallTextH = 5

// yellow finds yellow (rear plate) regions; their text is dark.
func (d *detector) yellow(bgr gocv.Mat) []candidate {
	hsv, mask, tmp := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer hsv.Close()
	defer mask.Close()
	defer tmp.Close()
	gocv.CvtColor(bgr, &hsv, gocv.ColorBGRToHSV)
	gocv.InRangeWithScalar(hsv, gocv.NewScalar(15, 90, 70, 0), gocv.NewScalar(35, 255, 255, 0), &mask)
	gocv.MorphologyEx(mask, &tmp, gocv.MorphClose, d.yellowKernel)
	gocv.MorphologyEx(tmp, &mask, gocv.MorphOpen, d.openKernel)
	cands := plateShaped(blobs(mask, false, minTextH, bgr.Rows()*2/3))
	for i := range cands {
		// The yellow blob is the whole plate: its text is the inner part.
		cands[i].quad = shrinkQuad(cands[i].quad, 0.04, 0.12)
		cands[i].score *= 0.9
	}
	return cands
}

// blobs turns a binary mask's outer contours into plate-shaped candidates.
func blobs(bin gocv.Mat, light bool, minH, maxH int) []candidate {
	contours := gocv.FindContours(bin, gocv.RetrievalExternal, gocv.ChainApproxSimple)
	defer contours.Close()
	var out []candidate
	for i := 0; i < contours.Size(); i++ {
		pv := contours.At(i)
		br := gocv.BoundingRect(pv)
		if br.Dx() < 8 || br.Dy() < minH || br.Dy() > maxH {
			continue
		}
		rr := gocv.MinAreaRect(pv)
		q := orderQuad(rr.Points)
		w, h := dist(q[0], q[1]), dist(q[0], q[3])
		if w < 8 || h < float64(minH-1) {
			continue
		}
		// Short blobs (one group of a mark, "G" of "G 480") are kept
		// for joinGroups; plateShaped drops those left alone.
		aspect := w / h
		if aspect < 0.4 || aspect > 10 {
			continue
		}
		tilt := math.Abs(math.Atan2(float64(q[1].Y-q[0].Y), float64(q[1].X-q[0].X)))
		if tilt > 0.5 {
			continue
		}
		fill := gocv.ContourArea(pv) / (w * h)
		if fill < 0.45 {
			continue
		}
		// Plate-like aspect and fill first; size says little (texture
		// makes big blobs, distant plates small ones).
		fit := 1 - math.Min(math.Abs(math.Log(aspect/4)), 1.5)/1.5
		out = append(out, candidate{quad: q, box: br, light: light, score: fill * (0.2 + fit) * math.Log(w)})
	}
	return out
}

// joinGroups adds, for each pair of blobs side by side at one height, the
// pair joined: a UK mark's two groups are a character's width apart, more
// than the closing bridges when the plate is large.
func joinGroups(cs []candidate) []candidate {
	for i, n := 0, len(cs); i < n; i++ {
		for j := 0; j < n; j++ {
			a, b := cs[i], cs[j]
			ha, hb := dist(a.quad[0], a.quad[3]), dist(b.quad[0], b.quad[3])
			gap := float64(b.box.Min.X - a.box.Max.X)
			dy := math.Abs(float64(a.box.Min.Y+a.box.Max.Y-b.box.Min.Y-b.box.Max.Y)) / 2
			if i == j || math.Abs(ha-hb) > 0.3*max(ha, hb) || dy > 0.4*ha || gap < -0.2*ha || gap > 1.5*ha {
				continue
			}
			q := [4]image.Point{a.quad[0], b.quad[1], b.quad[2], a.quad[3]}
			cs = append(cs, candidate{quad: q, box: a.box.Union(b.box), light: a.light, score: 1.1 * (a.score + b.score)})
		}
	}
	return cs
}

// plateShaped keeps the candidates long and wide enough to be a mark.
func plateShaped(cs []candidate) []candidate {
	out := cs[:0]
	for _, c := range cs {
		w, h := dist(c.quad[0], c.quad[1]), dist(c.quad[0], c.quad[3])
		if w >= 24 && w >= 1.5*h {
			out = append(out, c)
		}
	}
	return out
}

// smallPlateShaped keeps the small candidates long enough to be a whole
// mark (a lone group is too often a sign's word or a grille).
func smallPlateShaped(cs []candidate) []candidate {
	out := cs[:0]
	for _, c := range cs {
		w, h := dist(c.quad[0], c.quad[1]), dist(c.quad[0], c.quad[3])
		if w >= 16 && w >= 3*h && w <= 10*h {
			out = append(out, c)
		}
	}
	return out
}

// orderQuad orders four corners TL, TR, BR, BL (for tilts under 45°).
func orderQuad(pts []image.Point) [4]image.Point {
	var q [4]image.Point
	if len(pts) != 4 {
		return q
	}
	q[0], q[1], q[2], q[3] = pts[0], pts[0], pts[0], pts[0]
	for _, p := range pts {
		if p.X+p.Y < q[0].X+q[0].Y {
			q[0] = p
		}
		if p.X+p.Y > q[2].X+q[2].Y {
			q[2] = p
		}
		if p.X-p.Y > q[1].X-q[1].Y {
			q[1] = p
		}
		if p.Y-p.X > q[3].Y-q[3].X {
			q[3] = p
		}
	}
	return q
}

func dist(a, b image.Point) float64 {
	return math.Hypot(float64(a.X-b.X), float64(a.Y-b.Y))
}

func quadBounds(q [4]image.Point) image.Rectangle {
	r := image.Rectangle{Min: q[0], Max: q[0]}
	for _, p := range q[1:] {
		r.Min.X, r.Min.Y = min(r.Min.X, p.X), min(r.Min.Y, p.Y)
		r.Max.X, r.Max.Y = max(r.Max.X, p.X), max(r.Max.Y, p.Y)
	}
	return r
}

// growQuad moves a quad's sides out by fx of its width and fy of its
// height on each side (negative to shrink).
func growQuad(q [4]image.Point, fx, fy float64) [4]image.Point {
	type v struct{ x, y float64 }
	p := func(i int) v { return v{float64(q[i].X), float64(q[i].Y)} }
	ux := v{(p(1).x - p(0).x + p(2).x - p(3).x) / 2, (p(1).y - p(0).y + p(2).y - p(3).y) / 2} // along the text
	uy := v{(p(3).x - p(0).x + p(2).x - p(1).x) / 2, (p(3).y - p(0).y + p(2).y - p(1).y) / 2} // down
	sx := [4]float64{-1, 1, 1, -1}
	sy := [4]float64{-1, -1, 1, 1}
	var out [4]image.Point
	for i := range q {
		x := p(i).x + sx[i]*fx*ux.x + sy[i]*fy*uy.x
		y := p(i).y + sx[i]*fx*ux.y + sy[i]*fy*uy.y
		out[i] = image.Pt(int(math.Round(x)), int(math.Round(y)))
	}
	return out
}

func shrinkQuad(q [4]image.Point, fx, fy float64) [4]image.Point { return growQuad(q, -fx, -fy) }

// dedupeCandidates drops candidates mostly inside a better one of the same
// polarity: both hats and the yellow cue often find the same plate.
func dedupeCandidates(cs []candidate) []candidate {
	var out []candidate
next:
	for _, c := range cs {
		for _, k := range out {
			if k.light == c.light && overlap(c.box, k.box) > 0.7 {
				continue next
			}
		}
		out = append(out, c)
	}
	return out
}

// overlap is the intersection's share of the smaller rectangle.
func overlap(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	s := min(area(a), area(b))
	return float64(area(in)) / float64(s)
}

func area(r image.Rectangle) int { return r.Dx() * r.Dy() }

// iou is intersection over union.
func iou(a, b image.Rectangle) float64 {
	in := area(a.Intersect(b))
	u := area(a) + area(b) - in
	if u <= 0 {
		return 0
	}
	return float64(in) / float64(u)
}
