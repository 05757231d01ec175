package analytics

import (
	"bytes"
	"image"
	"image/jpeg"
	"time"

	"gocv.io/x/gocv"

	"github.com/vigil-cctv/vigil/ingest/decode"
	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// thumbWidth is the width of event thumbnails.
const thumbWidth = 320

// analyser is one camera's analysis state: the background model, tracks,
// open events, tamper conditions and activity not yet written. It is used
// by one goroutine at a time (its camera's pump).
type analyser struct {
	camera string
	cfg    Config
	set    store.CameraAnalytics
	out    func(op) // hands a write to the engine's writer
	gauge  func(kind string, on bool)

	w, h        int      // picture size; zero until the first picture
	small       gocv.Mat // the picture at analysis size
	tiny        gocv.Mat
	tinyPx      []byte
	motion      *motion
	tracker     *tracker
	tamper      *tamper
	events      []zoneEvent // per zone, then the whole frame last
	open        []*store.Event
	best        [][]byte // per open event: thumbnail at the peak
	thumbAt     []time.Time
	act         []activity
	confirmed   []*track
	lastTamper  time.Time
	lastFlush   time.Time
	tamperEvent map[string]*store.Event
	privacy     []bool // privacy mask at thumbnail size, built on first use
	privW       int
	// moving bounds the last picture's moving blobs, in picture pixels
	// (empty when nothing moved): where plates are read.
	moving image.Rectangle
	// steered is until when the camera is being steered (nil: never).
	steered func() time.Time
}

func newAnalyser(camera string, cfg Config, set store.CameraAnalytics, out func(op), gauge func(string, bool)) *analyser {
	opencvSingleThreaded()
	n := len(set.Zones) + 1
	return &analyser{camera: camera, cfg: cfg, set: set, out: out, gauge: gauge,
		events: make([]zoneEvent, n), open: make([]*store.Event, n), best: make([][]byte, n), thumbAt: make([]time.Time, n),
		act: make([]activity, n), tamperEvent: map[string]*store.Event{}}
}

// zoneName is zone i's name; the last index is the whole frame ("").
func (a *analyser) zoneName(i int) string {
	if i < len(a.set.Zones) {
		return a.set.Zones[i].Name
	}
	return ""
}

// close ends what is open (the camera stops being analysed) and frees the Mats.
func (a *analyser) close(now time.Time) {
	for i := range a.open {
		a.endEvent(i, now)
	}
	for kind, ev := range a.tamperEvent {
		a.out(op{end: ev, endAt: now})
		a.gauge(kind, false)
		delete(a.tamperEvent, kind)
	}
	a.flush(now)
	a.free()
}

// free closes the Mats setup made.
func (a *analyser) free() {
	if a.motion == nil {
		return
	}
	a.motion.close()
	a.motion = nil
	a.small.Close()
	a.tiny.Close()
	a.w, a.h = 0, 0
}

// setup sizes the Mats for a picture of w×h.
func (a *analyser) setup(w, h int) error {
	aw := min(a.cfg.Width, w) &^ 1
	ah := max(2, (h*aw/w)&^1)
	tw := min(tamperWidth, aw)
	th := max(2, h*tw/w)
	a.free()
	m, err := newMotion(a.set, aw, ah)
	if err != nil {
		return err
	}
	a.motion = m
	a.small = gocv.NewMatWithSize(ah, aw, gocv.MatTypeCV8U)
	a.tiny = gocv.NewMat()
	a.w, a.h = w, h
	a.tracker = newTracker(aw, ah)
	a.tamper = newTamper(a.cfg, tw, th)
	a.tinyPx = make([]byte, tw*th)
	return nil
}

// analyse looks at one decoded picture taken at now.
func (a *analyser) analyse(f *decode.Frame, now time.Time) error {
	w, h := f.Width, f.Height
	if w < 16 || h < 16 {
		return nil // nothing gocv should see
	}
	if w != a.w || h != a.h {
		if err := a.setup(w, h); err != nil {
			return err
		}
	}
	// libswscale scales the luma plane straight into the Mat's buffer.
	dst, err := a.small.DataPtrUint8()
	if err != nil {
		return err
	}
	if !f.GraySmall(a.motion.w, a.motion.h, dst) {
		return nil // a stale frame or a scaler failure: nothing to analyse
	}

	blobs, zonePixels, sceneChanged := a.motion.apply(a.small)
	a.moving = image.Rectangle{}
	for _, b := range blobs {
		a.moving = a.moving.Union(image.Rect(b.X*w/a.motion.w, b.Y*h/a.motion.h, (b.X+b.W)*w/a.motion.w, (b.Y+b.H)*h/a.motion.h))
	}
	a.confirmed = a.tracker.update(blobs, a.confirmed)
	whole := len(a.events) - 1
	for _, tr := range a.confirmed {
		bits := a.motion.zonesAt(tr.cx, tr.cy) | 1<<whole
		for i := range a.events {
			if bits&(1<<i) != 0 && tr.zones&(1<<i) == 0 {
				tr.zones |= 1 << i
				a.bucket(i, now).objects++
				if a.open[i] != nil {
					a.events[i].objects++
				}
			}
		}
	}
	total := 0
	for _, b := range blobs {
		total += b.Area
	}
	for i := range a.events {
		pixels, area := total, a.motion.w*a.motion.h
		if i < whole {
			pixels, area = zonePixels[i], a.motion.zones.area[i]
		}
		moving := !sceneChanged && pixels*2 >= a.motion.minArea && area > 0
		share := 0.0
		if area > 0 {
			share = float64(pixels) / float64(area)
		}
		act := a.bucket(i, now)
		act.frames++
		if moving {
			act.motionFrames++
		}
		switch a.events[i].observe(now, moving, share) {
		case eventStarted:
			a.startEvent(i, f, now)
		case eventPeak:
			a.peak(i, f, now)
		case eventEnded:
			a.endEvent(i, a.events[i].last)
		}
	}

	if tiny := a.tinyPicture(); tiny != nil {
		a.tamper.still(tiny, f.Keyframe, now)
		if now.Sub(a.lastTamper) >= time.Second {
			a.lastTamper = now
			if a.steered != nil {
				a.tamper.steered(a.steered())
			}
			for _, c := range a.tamper.observe(tiny, now) {
				a.tamperChanged(c, f)
			}
		}
	}
	if now.Sub(a.lastFlush) >= a.cfg.FlushInterval {
		a.flush(now)
	}
	return nil
}

// tinyPicture is the picture at the tamper detectors' size (the analysed
// picture itself when it is no wider), or nil.
func (a *analyser) tinyPicture() []byte {
	src := &a.small
	if a.tamper.w != a.motion.w {
		gocv.Resize(a.small, &a.tiny, image.Pt(a.tamper.w, a.tamper.h), 0, 0, gocv.InterpolationArea)
		src = &a.tiny
	}
	px, err := src.DataPtrUint8()
	if err != nil {
		return nil
	}
	copy(a.tinyPx, px)
	return a.tinyPx
}

// bucket is zone i's activity for the 15-minute bucket holding now; a new
// bucket flushes the old one first.
func (a *analyser) bucket(i int, now time.Time) *activity {
	b := now.UTC().Truncate(store.ActivityBucket)
	if act := &a.act[i]; !act.bucket.Equal(b) {
		if !act.empty() {
			a.flush(now)
		}
		act.bucket = b
	}
	return &a.act[i]
}

// flush hands the activity counted since the last flush to the writer.
func (a *analyser) flush(now time.Time) {
	var rows []store.Activity
	for i := range a.act {
		act := &a.act[i]
		if act.empty() {
			continue
		}
		rows = append(rows, store.Activity{Camera: a.camera, Zone: a.zoneName(i), Bucket: act.bucket,
			Frames: act.frames, MotionFrames: act.motionFrames, Objects: act.objects})
		act.frames, act.motionFrames, act.objects = 0, 0, 0
	}
	if len(rows) > 0 {
		a.out(op{activity: rows})
	}
	a.lastFlush = now // picture time, as the interval is judged in
}

func (a *analyser) startEvent(i int, f *decode.Frame, now time.Time) {
	z := &a.events[i]
	ev := &store.Event{Camera: a.camera, Kind: store.EventMotion, Zone: a.zoneName(i), Start: z.start, Peak: z.peak}
	a.open[i] = ev
	a.best[i] = a.thumbnail(f)
	a.thumbAt[i] = now
	a.out(op{start: ev, thumb: a.best[i]})
}

// peak keeps a thumbnail of the event at its largest, at most once a second.
func (a *analyser) peak(i int, f *decode.Frame, now time.Time) {
	if a.open[i] == nil || now.Sub(a.thumbAt[i]) < time.Second {
		return
	}
	a.best[i] = a.thumbnail(f)
	a.thumbAt[i] = now
}

func (a *analyser) endEvent(i int, end time.Time) {
	ev := a.open[i]
	if ev == nil {
		return
	}
	z := &a.events[i]
	a.out(op{end: ev, endAt: end, peak: z.peak, objects: z.objects, thumb: a.best[i]})
	a.open[i], a.best[i] = nil, nil
	z.open = false
}

func (a *analyser) tamperChanged(c tamperChange, f *decode.Frame) {
	if c.started {
		ev := &store.Event{Camera: a.camera, Kind: c.kind, Start: c.start, Peak: c.measure, Detail: c.detail}
		a.tamperEvent[c.kind] = ev
		a.gauge(c.kind, true)
		a.out(op{start: ev, thumb: a.thumbnail(f), alert: true})
		return
	}
	ev := a.tamperEvent[c.kind]
	delete(a.tamperEvent, c.kind)
	a.gauge(c.kind, false)
	if ev != nil {
		a.out(op{end: ev, endAt: c.at, peak: c.measure, detail: c.detail})
	}
}

// thumbnail is a small JPEG of the picture with the privacy masks blacked
// out (a mask must never be shown, thumbnails included); nil on failure.
func (a *analyser) thumbnail(f *decode.Frame) []byte {
	img := f.Thumbnail(thumbWidth)
	if img == nil {
		return nil
	}
	a.mask(img)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 70}); err != nil {
		return nil
	}
	return buf.Bytes()
}

// mask paints the privacy masks black on a full-range YCbCr picture.
func (a *analyser) mask(img *image.YCbCr) {
	if len(a.set.Privacy) == 0 {
		return
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if a.privacy == nil || a.privW != w || len(a.privacy) != w*h {
		a.privacy, a.privW = zones.Rasterize(a.set.Privacy, w, h), w
	}
	decode.Mask(img, a.privacy) // the raster is the picture's size: no error
}
