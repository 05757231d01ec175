package models

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocv.io/x/gocv"
)

// checkMats fails the test if it leaves gocv Mats open (counted with -tags matprofile).
func checkMats(t testing.TB) {
	before := openMats()
	t.Cleanup(func() {
		if after := openMats(); after != before {
			t.Errorf("open Mats: %d before, %d after", before, after)
		}
	})
}

// recogniser is an OpenCV DNN net for chars.onnx and its input blob.
type recogniser struct {
	net  gocv.Net
	blob gocv.Mat
	in   []float32
	name string
	out  string
}

func newRecogniser(t testing.TB, model []byte, p Provenance) *recogniser {
	t.Helper()
	net, err := gocv.ReadNetFromONNXBytes(model)
	if err != nil {
		t.Fatalf("%s: ReadNetFromONNXBytes: %v", p.Model, err)
	}
	if net.Empty() {
		t.Fatalf("%s: OpenCV loaded an empty net", p.Model)
	}
	if err := net.SetPreferableBackend(gocv.NetBackendOpenCV); err != nil {
		t.Fatal(err)
	}
	if err := net.SetPreferableTarget(gocv.NetTargetCPU); err != nil {
		t.Fatal(err)
	}
	blob := gocv.NewMatWithSizes(p.Input.Shape, gocv.MatTypeCV32F)
	in, err := blob.DataPtrFloat32()
	if err != nil {
		t.Fatal(err)
	}
	r := &recogniser{net: net, blob: blob, in: in, name: p.Input.Name, out: p.Output.Name}
	t.Cleanup(func() { r.blob.Close(); r.net.Close() })
	return r
}

// classify runs one input tensor (640 values for chars.onnx) and returns
// the output probabilities.
func (r *recogniser) classify(t testing.TB, x []float32) []float32 {
	if len(x) != len(r.in) {
		t.Fatalf("input has %d values, the blob %d", len(x), len(r.in))
	}
	copy(r.in, x)
	r.net.SetInput(r.blob, r.name)
	out := r.net.Forward(r.out)
	defer out.Close()
	probs, err := out.DataPtrFloat32()
	if err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), probs...)
}

func argmax(p []float32) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// TestShippedModelsLoad: every *.onnx here has a provenance json whose
// sha256 matches, loads in OpenCV 4.6 and gives its declared output.
func TestShippedModelsLoad(t *testing.T) {
	checkMats(t)
	files, err := filepath.Glob("*.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no *.onnx shipped")
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			model, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			js, err := os.ReadFile(strings.TrimSuffix(f, ".onnx") + ".json")
			if err != nil {
				t.Fatalf("%s has no provenance: %v", f, err)
			}
			p, err := ParseProvenance(js, model) // before gocv: it aborts on what it cannot parse
			if err != nil {
				t.Fatal(err)
			}
			if p.Model != f {
				t.Errorf("provenance names %q", p.Model)
			}
			if p.Generator.Command == "" || p.Training.Command == "" || p.Training.Torch == "" {
				t.Errorf("provenance lacks the generate or training command or the torch version: %+v %+v", p.Generator, p.Training)
			}
			if p.SyntheticTest.Seed < 9000 {
				t.Errorf("synthetic test seed %d: test sets use seeds >= 9000", p.SyntheticTest.Seed)
			}
			if p.Generator.Seed >= 9000 {
				t.Errorf("trained on seed %d, a test seed", p.Generator.Seed)
			}
			r := newRecogniser(t, model, p)
			n := 1
			for _, d := range p.Input.Shape {
				n *= d
			}
			for _, v := range []float32{0, 0.5, 1} {
				x := make([]float32, n)
				for i := range x {
					x[i] = v
				}
				probs := r.classify(t, x)
				want := 1
				for _, d := range p.Output.Shape {
					want *= d
				}
				if len(probs) != want {
					t.Fatalf("%d outputs, want %d", len(probs), want)
				}
				var sum float64
				for _, q := range probs {
					if q < 0 || q > 1 || math.IsNaN(float64(q)) {
						t.Fatalf("output %v is not a probability", q)
					}
					sum += float64(q)
				}
				if math.Abs(sum-1) > 1e-3 {
					t.Errorf("input all %v: probabilities sum to %v", v, sum)
				}
			}
		})
	}
}

func TestCharsProvenance(t *testing.T) {
	p, err := CharsProvenance()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Classes) != 37 || p.Classes[Reject] != '_' {
		t.Errorf("classes %q", p.Classes)
	}
	a, b := Chars(), Chars()
	a[0] ^= 0xff
	if a[0] == b[0] {
		t.Error("Chars shares its bytes between callers")
	}
	if _, err := ParseProvenance(charsJSON, a); err == nil {
		t.Error("a changed model passed its provenance's sha256")
	}
}

func FuzzParseProvenance(f *testing.F) {
	f.Add(charsJSON)
	f.Add([]byte(`{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","opset":11,"input":{"name":"i","shape":[1]},"output":{"name":"o","shape":[0]}}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, js []byte) {
		p, err := ParseProvenance(js, nil)
		if err != nil {
			return
		}
		if p.Opset != 11 || p.Input.Name == "" || p.Output.Name == "" {
			t.Fatalf("accepted %+v", p)
		}
	})
}

// BenchmarkCharsForward is one character through chars.onnx in OpenCV's DNN.
// For a one-core figure: OPENCV_FOR_THREADS_NUM=1 taskset -c 0 go test -bench .
func BenchmarkCharsForward(b *testing.B) {
	p, err := CharsProvenance()
	if err != nil {
		b.Fatal(err)
	}
	r := newRecogniser(b, charsONNX, p)
	x := make([]float32, 640)
	for i := range x {
		x[i] = float32(i%20) / 20
	}
	r.classify(b, x)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.classify(b, x)
	}
}
