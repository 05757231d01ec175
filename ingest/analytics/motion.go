package analytics

import (
	"image"
	"math"
	mbits "math/bits"
	"unsafe"

	"gocv.io/x/gocv"

	"github.com/vigil-cctv/vigil/ingest/store"
	"github.com/vigil-cctv/vigil/ingest/zones"
)

// motion finds moving blobs in a camera's analysed pictures: MOG2 background
// subtraction with shadows marked (and dropped), the excluded areas masked
// out, an opening to remove speckle and a closing to join a body's parts,
// then connected components above the minimum area.
type motion struct {
	w, h    int
	mog     gocv.BackgroundSubtractorMOG2
	fg      gocv.Mat // MOG2's output: 255 moving, 127 shadow, 0 still
	bin     gocv.Mat
	labels  gocv.Mat
	stats   gocv.Mat
	cents   gocv.Mat
	kOpen   gocv.Mat // structuring elements
	kClose  gocv.Mat
	include gocv.Mat // 255 where motion counts; empty when nothing is excluded
	zones   *zoneMap
	minArea int
	// learning counts pictures until the background model is usable.
	learning int

	blobs      []Blob
	zonePixels []int
	keep       []bool // per label: a blob big enough (reused)
}

// Motion model constants.
const (
	mogHistory = 500 // pictures: 100 s at 5 fps
	learnFor   = 10  // pictures before motion is reported
	// sceneChange is the moving share of the picture above which the change
	// is the whole scene (lights, a covered lens, a moved view), not motion.
	sceneChange = 0.5
)

// varThreshold maps sensitivity 1..10 onto MOG2's variance threshold:
// 5 is OpenCV's default (16); each step is a factor of 1.3.
func varThreshold(sensitivity int) float64 {
	return 16 * math.Pow(1.3, float64(store.DefaultSensitivity-sensitivity))
}

func newMotion(set store.CameraAnalytics, w, h int) (*motion, error) {
	m := &motion{
		w: w, h: h,
		mog:        gocv.NewBackgroundSubtractorMOG2WithParams(mogHistory, varThreshold(set.Sensitivity), true),
		fg:         gocv.NewMat(),
		bin:        gocv.NewMat(),
		labels:     gocv.NewMat(),
		stats:      gocv.NewMat(),
		cents:      gocv.NewMat(),
		kOpen:      gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(3, 3)),
		kClose:     gocv.GetStructuringElement(gocv.MorphEllipse, image.Pt(7, 7)),
		include:    gocv.NewMat(),
		zones:      newZoneMap(set.Zones, w, h),
		minArea:    max(4, int(set.MinArea*float64(w*h))),
		zonePixels: make([]int, len(set.Zones)),
	}
	if len(set.Exclusions) > 0 {
		excluded := zones.Rasterize(set.Exclusions, w, h)
		inc := gocv.NewMatWithSize(h, w, gocv.MatTypeCV8U)
		px, err := inc.DataPtrUint8()
		if err != nil {
			inc.Close()
			m.close()
			return nil, err
		}
		for i, ex := range excluded {
			if !ex {
				px[i] = 255
			}
		}
		m.include.Close()
		m.include = inc
	}
	return m, nil
}

func (m *motion) close() {
	m.mog.Close()
	for _, mat := range []*gocv.Mat{&m.fg, &m.bin, &m.labels, &m.stats, &m.cents, &m.kOpen, &m.kClose, &m.include} {
		mat.Close()
	}
}

// apply feeds one picture (w×h, 8-bit gray) and returns the moving blobs
// and, per zone, the moving pixels inside it (both reused on the next
// call). sceneChanged is set when most of the picture changed at once.
func (m *motion) apply(gray gocv.Mat) (blobs []Blob, zonePixels []int, sceneChanged bool) {
	m.blobs = m.blobs[:0]
	clear(m.zonePixels)
	m.mog.Apply(gray, &m.fg)
	if m.learning < learnFor {
		m.learning++
		return m.blobs, m.zonePixels, false
	}
	gocv.Threshold(m.fg, &m.bin, 200, 255, gocv.ThresholdBinary) // shadows (127) out
	if !m.include.Empty() {
		gocv.BitwiseAnd(m.bin, m.include, &m.bin)
	}
	gocv.MorphologyEx(m.bin, &m.bin, gocv.MorphOpen, m.kOpen)
	gocv.MorphologyEx(m.bin, &m.bin, gocv.MorphClose, m.kClose)
	if float64(gocv.CountNonZero(m.bin)) > sceneChange*float64(m.w*m.h) {
		return m.blobs, m.zonePixels, true
	}
	n := gocv.ConnectedComponentsWithStatsWithParams(m.bin, &m.labels, &m.stats, &m.cents, 8, gocv.MatTypeCV32S, gocv.CCL_DEFAULT)
	if n <= 1 {
		return m.blobs, m.zonePixels, false
	}
	stats := int32s(&m.stats)
	cents := float64s(&m.cents)
	keep := append(m.keep[:0], make([]bool, n)...) // label 0 is the background
	m.keep = keep
	any := false
	for i := 1; i < n && len(stats) >= 5*n && len(cents) >= 2*n; i++ {
		s := stats[5*i : 5*i+5]
		if int(s[4]) < m.minArea {
			continue
		}
		keep[i], any = true, true
		m.blobs = append(m.blobs, Blob{X: int(s[0]), Y: int(s[1]), W: int(s[2]), H: int(s[3]), Area: int(s[4]),
			CX: cents[2*i], CY: cents[2*i+1]})
	}
	if any && len(m.zonePixels) > 0 {
		labels := int32s(&m.labels)
		for px, l := range labels {
			if l == 0 || !keep[l] {
				continue
			}
			for bits := m.zones.bits[px]; bits != 0; bits &= bits - 1 {
				m.zonePixels[mbits.TrailingZeros64(bits)]++
			}
		}
	}
	return m.blobs, m.zonePixels, false
}

// zonesAt is the zone bits of the pixel under a point.
func (m *motion) zonesAt(x, y float64) uint64 {
	px, py := int(x), int(y)
	if px < 0 || py < 0 || px >= m.w || py >= m.h {
		return 0
	}
	return m.zones.bits[py*m.w+px]
}

// int32s views a continuous CV_32S Mat's data (valid until it changes).
func int32s(m *gocv.Mat) []int32 {
	b, err := m.DataPtrUint8()
	if err != nil || len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// float64s views a continuous CV_64F Mat's data (valid until it changes).
func float64s(m *gocv.Mat) []float64 {
	b, err := m.DataPtrUint8()
	if err != nil || len(b) < 8 {
		return nil
	}
	return unsafe.Slice((*float64)(unsafe.Pointer(&b[0])), len(b)/8)
}
