// Package models ships the ANPR reader's learned models, embedded in the
// binary, with their provenance.
//
// chars.onnx is the character recogniser (issue 8): input "input" float32
// [1,1,32,20] (charimg.Tensor of a charimg.Normalize'd crop: pixel/255, 0 dark,
// 1 light), output "probs" float32 [1,37], softmax applied, classes
// 0-9, A-Z, then index 36 = reject. ONNX opset 11, fixed shapes, ops OpenCV
// 4.6's DNN loads. It is trained by ../train/train_chars.py only on data the
// project's plate generator (../plategen) makes; chars.json records the
// generator version, seeds, counts, the exact commands and the held-out
// synthetic accuracy, and ../train/README.md says how to rebuild it.
package models

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Classes are the recogniser's outputs in order; the last, '_', is reject
// ("not a character").
const Classes = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"

// Reject is the index of the reject class in the recogniser's output.
const Reject = 36

//go:embed chars.onnx
var charsONNX []byte

//go:embed chars.json
var charsJSON []byte

// Chars returns a copy of the character recogniser's ONNX model (load it
// with gocv.ReadNetFromONNXBytes).
func Chars() []byte { return bytes.Clone(charsONNX) }

// Tensor names a model's input or output and its fixed shape.
type Tensor struct {
	Name    string `json:"name"`
	Shape   []int  `json:"shape"`
	Type    string `json:"type"`
	Value   string `json:"value,omitempty"`
	Softmax bool   `json:"softmax,omitempty"`
}

// Generator says which generator run made the training data.
type Generator struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Seed    int    `json:"seed"`
	Count   int    `json:"count"`
	Command string `json:"command"`
}

// Training says how the model was trained.
type Training struct {
	Command string  `json:"command"`
	Torch   string  `json:"torch"`
	Epochs  int     `json:"epochs"`
	Seed    int     `json:"seed"`
	Images  int     `json:"images,omitempty"`
	Batch   int     `json:"batch,omitempty"`
	LR      float64 `json:"lr,omitempty"`
	Threads int     `json:"threads,omitempty"`
}

// SyntheticTest is the model's accuracy on a held-out generated set (a seed
// never used in training): Accuracy on real characters, RejectAccuracy on
// the reject class, PerClass per class.
type SyntheticTest struct {
	Seed           int                `json:"seed"`
	Accuracy       float64            `json:"accuracy"`
	RejectAccuracy float64            `json:"reject_accuracy,omitempty"`
	Characters     int                `json:"characters,omitempty"`
	PerClass       map[string]float64 `json:"per_class,omitempty"`
}

// Provenance is a shipped model's record (chars.json for chars.onnx).
type Provenance struct {
	Model         string        `json:"model"`
	SHA256        string        `json:"sha256"`
	Opset         int           `json:"opset"`
	Input         Tensor        `json:"input"`
	Output        Tensor        `json:"output"`
	Classes       string        `json:"classes"`
	Generator     Generator     `json:"generator"`
	Training      Training      `json:"training"`
	SyntheticTest SyntheticTest `json:"synthetic_test"`
}

// ParseProvenance reads a provenance record and checks that it describes
// model (its bytes' sha256, opset 11, named inputs and outputs with fixed
// shapes). A model that fails this must not be handed to gocv.
func ParseProvenance(js, model []byte) (Provenance, error) {
	var p Provenance
	if err := json.Unmarshal(js, &p); err != nil {
		return Provenance{}, fmt.Errorf("models: provenance: %w", err)
	}
	sum := sha256.Sum256(model)
	if got := hex.EncodeToString(sum[:]); got != p.SHA256 {
		return Provenance{}, fmt.Errorf("models: %s: sha256 %s, provenance says %q", p.Model, got, p.SHA256)
	}
	if p.Opset != 11 {
		return Provenance{}, fmt.Errorf("models: %s: opset %d, OpenCV 4.6 needs 11", p.Model, p.Opset)
	}
	if p.Input.Name == "" || p.Output.Name == "" {
		return Provenance{}, fmt.Errorf("models: %s: input and output must be named", p.Model)
	}
	for _, t := range []Tensor{p.Input, p.Output} {
		if len(t.Shape) == 0 {
			return Provenance{}, fmt.Errorf("models: %s: %s has no shape", p.Model, t.Name)
		}
		for _, d := range t.Shape {
			if d <= 0 {
				return Provenance{}, fmt.Errorf("models: %s: %s shape %v is not fixed", p.Model, t.Name, t.Shape)
			}
		}
	}
	return p, nil
}

// CharsProvenance returns chars.onnx's provenance, checked against the
// embedded model, and that it has the contract's input, output and classes.
func CharsProvenance() (Provenance, error) {
	p, err := ParseProvenance(charsJSON, charsONNX)
	if err != nil {
		return Provenance{}, err
	}
	if p.Model != "chars.onnx" || p.Classes != Classes ||
		p.Input.Name != "input" || fmt.Sprint(p.Input.Shape) != "[1 1 32 20]" ||
		p.Output.Name != "probs" || fmt.Sprint(p.Output.Shape) != "[1 37]" {
		return Provenance{}, fmt.Errorf("models: chars.json: want chars.onnx, input [1 1 32 20], output probs [1 37], classes %s", Classes)
	}
	return p, nil
}
