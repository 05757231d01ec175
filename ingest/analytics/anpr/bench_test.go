package anpr

import (
	"image"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/plategen"
)

// benchFrame is a generated 640x360 road scene (seed 9201) and its plate.
func benchFrame(b *testing.B) (gocv.Mat, Truth) {
	b.Helper()
	dir := b.TempDir()
	if err := plategen.WriteScenes(dir, 1, 9201, plategen.SceneOptions{}); err != nil {
		b.Skipf("plategen scenes: %v", err)
	}
	txts, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(txts) != 1 {
		b.Fatalf("%d scenes", len(txts))
	}
	t, err := os.ReadFile(txts[0])
	if err != nil {
		b.Fatal(err)
	}
	truths, err := ParseTruth(t)
	if err != nil || len(truths) == 0 {
		b.Fatalf("truth: %v", err)
	}
	img, err := ReadFile(filepath.Join(dir, truths[0].File))
	if err != nil {
		b.Fatal(err)
	}
	m, err := imageToBGR(img)
	if err != nil {
		b.Fatal(err)
	}
	return m, truths[0]
}

// baseline is the time of one grey conversion and 5x5 Gaussian blur of
// frame: the cheapest thing any analysis of a frame does, measured in the
// same run so the ratio holds on a noisy machine.
func baseline(frame gocv.Mat) time.Duration {
	grey, blur := gocv.NewMat(), gocv.NewMat()
	defer grey.Close()
	defer blur.Close()
	const n = 300
	start := time.Now()
	for range n {
		gocv.CvtColor(frame, &grey, gocv.ColorBGRToGray)
		gocv.GaussianBlur(grey, &blur, image.Pt(5, 5), 0, 0, gocv.BorderDefault)
	}
	return time.Since(start) / n
}

func report(b *testing.B, per time.Duration, unit string, base time.Duration) {
	b.ReportMetric(float64(per.Microseconds())/1000, "ms/"+unit)
	b.ReportMetric(float64(per)/float64(base), "x-baseline")
}

// BenchmarkDetect is plate candidate detection on one 640x360 frame
// (target: under 30 ms on one core).
func BenchmarkDetect(b *testing.B) {
	frame, _ := benchFrame(b)
	defer frame.Close()
	opencvSingleThreaded()
	base := baseline(frame)
	d := newDetector()
	defer d.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	b.ResetTimer()
	for b.Loop() {
		gocv.CvtColor(frame, &grey, gocv.ColorBGRToGray)
		d.detect(frame, grey, 16, nil)
	}
	report(b, b.Elapsed()/time.Duration(b.N), "frame", base)
}

// BenchmarkReadFrame is the whole reader on one frame: detection and every
// candidate rectified, segmented and, when it has characters, recognised.
func BenchmarkReadFrame(b *testing.B) {
	frame, _ := benchFrame(b)
	defer frame.Close()
	r, err := New(Options{ModelPath: os.Getenv("VIGIL_ANPR_MODEL")})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	base := baseline(frame)
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Read(frame, image.Rectangle{}); err != nil {
			b.Fatal(err)
		}
	}
	report(b, b.Elapsed()/time.Duration(b.N), "frame", base)
}

// BenchmarkRecognise is one plate's reading once detected: rectification,
// segmentation, one DNN forward per character and the UK correction
// (target: under 5 ms per plate).
func BenchmarkRecognise(b *testing.B) {
	frame, truth := benchFrame(b)
	defer frame.Close()
	r, err := New(Options{ModelPath: os.Getenv("VIGIL_ANPR_MODEL")})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	grey := gocv.NewMat()
	defer grey.Close()
	gocv.CvtColor(frame, &grey, gocv.ColorBGRToGray)
	var plate *candidate
	for _, c := range r.det.detect(frame, grey, 16, nil) {
		if iou(c.box, truth.Box) > 0.3 {
			plate = &c
			break
		}
	}
	if plate == nil {
		b.Skip("plate not detected")
	}
	base := baseline(frame)
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := r.readCandidate(grey, *plate); err != nil {
			b.Fatal(err)
		}
	}
	report(b, b.Elapsed()/time.Duration(b.N), "plate", base)
}
