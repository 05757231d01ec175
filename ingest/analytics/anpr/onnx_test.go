package anpr

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/models"
)

// Protobuf writers for hand-made ONNX models (no generated code needed).
func pbKey(f, wt int) []byte { return binary.AppendUvarint(nil, uint64(f<<3|wt)) }
func pbInt(f int, v int64) []byte {
	return binary.AppendUvarint(pbKey(f, 0), uint64(v))
}
func pbBytes(f int, b []byte) []byte {
	return append(binary.AppendUvarint(pbKey(f, 2), uint64(len(b))), b...)
}
func pbStr(f int, s string) []byte { return pbBytes(f, []byte(s)) }
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func valueInfoPB(name string, dims ...int64) []byte {
	var shape []byte
	for _, d := range dims {
		shape = append(shape, pbBytes(1, pbInt(1, d))...)
	}
	tensor := cat(pbInt(1, 1), pbBytes(2, shape))
	return cat(pbStr(1, name), pbBytes(2, pbBytes(1, tensor)))
}

func floatTensorPB(name string, dims []int64, vals []float32) []byte {
	var raw []byte
	for _, v := range vals {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
	}
	var out []byte
	for _, d := range dims {
		out = append(out, pbInt(1, d)...)
	}
	return cat(out, pbInt(2, 1), pbStr(8, name), pbBytes(9, raw))
}

func nodePB(op string, ins, outs []string, attrs ...[]byte) []byte {
	var out []byte
	for _, s := range ins {
		out = append(out, pbStr(1, s)...)
	}
	for _, s := range outs {
		out = append(out, pbStr(2, s)...)
	}
	out = append(out, pbStr(4, op)...)
	for _, a := range attrs {
		out = append(out, pbBytes(5, a)...)
	}
	return out
}

func intAttr(name string, v int64) []byte { return cat(pbStr(1, name), pbInt(3, v), pbInt(20, 2)) }

// tinyModel is a valid character model OpenCV loads: Flatten, Gemm,
// Softmax. Its outputs mean nothing; the knobs make broken variants.
type tinyModel struct {
	opset   int64
	op      string  // the middle operator (Gemm)
	inDims  []int64 // input dims
	wVals   int     // number of weights actually stored
	gemmIn  string  // Gemm's first input
	extData bool
}

func (m tinyModel) bytes() []byte {
	if m.opset == 0 {
		m.opset = 11
	}
	if m.op == "" {
		m.op = "Gemm"
	}
	if m.inDims == nil {
		m.inDims = []int64{1, 1, 32, 20}
	}
	feat := int64(1)
	for _, d := range m.inDims[1:] {
		feat *= max(d, 1)
	}
	if m.wVals == 0 {
		m.wVals = 37 * int(feat)
	}
	if m.gemmIn == "" {
		m.gemmIn = "flat"
	}
	w := make([]float32, m.wVals)
	for i := range w {
		w[i] = float32(i%7-3) / 100
	}
	wt := floatTensorPB("W", []int64{37, feat}, w)
	if m.extData {
		wt = append(wt, pbInt(14, 1)...)
	}
	graph := cat(
		pbBytes(1, nodePB("Flatten", []string{"input"}, []string{"flat"}, intAttr("axis", 1))),
		pbBytes(1, nodePB(m.op, []string{m.gemmIn, "W", "B"}, []string{"logits"}, intAttr("transB", 1))),
		pbBytes(1, nodePB("Softmax", []string{"logits"}, []string{"probs"}, intAttr("axis", 1))),
		pbStr(2, "tiny"),
		pbBytes(5, wt),
		pbBytes(5, floatTensorPB("B", []int64{37}, make([]float32, 37))),
		pbBytes(11, valueInfoPB("input", m.inDims...)),
		pbBytes(12, valueInfoPB("probs", 1, 37)),
	)
	return cat(pbInt(1, 6), pbStr(2, "vigil-test"), pbBytes(7, graph), pbBytes(8, cat(pbStr(1, ""), pbInt(2, m.opset))))
}

func TestValidateONNX(t *testing.T) {
	if err := ValidateONNX(models.Chars()); err != nil {
		t.Fatalf("shipped model: %v", err)
	}
	if err := ValidateONNX(tinyModel{}.bytes()); err != nil {
		t.Fatalf("tiny model: %v", err)
	}
	good := tinyModel{}.bytes()
	for name, tc := range map[string]struct {
		b    []byte
		want string
	}{
		"empty":         {nil, "empty"},
		"text":          {[]byte("this is not a model\n"), ""},
		"truncated":     {good[:len(good)/2], "bad length"},
		"opset 13":      {tinyModel{opset: 13}.bytes(), "opset 13"},
		"unknown op":    {tinyModel{op: "NonMaxSuppression"}.bytes(), "not allowed"},
		"dynamic dims":  {tinyModel{inDims: []int64{0, 1, 32, 20}}.bytes(), "not fixed"},
		"short weights": {tinyModel{wVals: 100}.bytes(), "need"},
		"dangling":      {tinyModel{gemmIn: "nowhere"}.bytes(), "not defined"},
		"external data": {tinyModel{extData: true}.bytes(), "external"},
		"group wire":    {[]byte{0x0b, 0x0c}, "wire type"},
		"huge varint":   {[]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, ""},
	} {
		err := ValidateONNX(tc.b)
		if err == nil || !errors.Is(err, ErrBadModel) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrBadModel with %q", name, err, tc.want)
		}
	}
}

// TestNewModels loads the shipped model and a hand-made one through gocv,
// and refuses broken, missing and misshapen models before gocv sees them.
func TestNewModels(t *testing.T) {
	start := openMats()
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, o := range []Options{{}, {Region: "any", ModelPath: write("tiny.onnx", tinyModel{}.bytes())}} {
		r, err := New(o)
		if err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
		r.Close()
	}
	good := tinyModel{}.bytes()
	for name, o := range map[string]Options{
		"missing":     {ModelPath: filepath.Join(dir, "none.onnx")},
		"corrupt":     {ModelPath: write("corrupt.onnx", good[:len(good)-1000])},
		"random":      {ModelPath: write("random.onnx", []byte("\x08\x07\x12\x04junk\x3a\x02\x0a\x00"))},
		"input shape": {ModelPath: write("shape.onnx", tinyModel{inDims: []int64{1, 1, 28, 28}}.bytes())},
		"region":      {Region: "fr"},
	} {
		if r, err := New(o); err == nil {
			r.Close()
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if n := openMats(); n != start {
		t.Errorf("open Mats %d, started with %d", n, start)
	}
}

func FuzzValidateONNX(f *testing.F) {
	f.Add(tinyModel{inDims: []int64{1, 1, 2, 2}}.bytes())
	f.Add([]byte{0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		err := ValidateONNX(b)
		if err != nil && !errors.Is(err, ErrBadModel) {
			t.Fatalf("error not ErrBadModel: %v", err)
		}
	})
}
