package anpr

import (
	"fmt"
	"image"
	"slices"

	"gocv.io/x/gocv"

	"github.com/vigil-cctv/vigil/ingest/analytics/anpr/charimg"
)

// numClasses is the recogniser's outputs: 36 characters then reject.
const numClasses = len(charimg.Classes) + 1

// recogniser classifies one character at a time with the ONNX model. It is
// not safe for concurrent use (the Reader's lock guards it).
type recogniser struct {
	net  gocv.Net
	blob gocv.Mat // [1,1,32,20] float32, refilled for each character
}

// newRecogniser validates model before gocv sees it: OpenCV aborts the
// process on a model it cannot parse, and on an input of another shape.
func newRecogniser(model []byte) (*recogniser, error) {
	info, err := inspectONNX(model)
	if err != nil {
		return nil, err
	}
	want := []int64{1, 1, charimg.Height, charimg.Width}
	if len(info.Inputs) != 1 || !slices.Equal(info.Inputs["input"], want) {
		return nil, fmt.Errorf("%w: want one input \"input\" %v, have %v", ErrBadModel, want, info.Inputs)
	}
	out, ok := info.Outputs["probs"]
	if !ok || len(out) != 2 || out[1] != 0 && out[1] != int64(numClasses) {
		return nil, fmt.Errorf("%w: want output \"probs\" [1 %d], have %v", ErrBadModel, numClasses, info.Outputs)
	}
	net, err := gocv.ReadNetFromONNXBytes(model)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	if net.Empty() {
		net.Close()
		return nil, fmt.Errorf("%w: OpenCV loaded nothing", ErrBadModel)
	}
	r := &recogniser{net: net, blob: gocv.NewMatWithSizes([]int{1, 1, charimg.Height, charimg.Width}, gocv.MatTypeCV32F)}
	// One forward on a blank character: the output must be the classes.
	p, err := r.classify(image.NewGray(image.Rect(0, 0, charimg.Width, charimg.Height)), image.Rect(0, 0, charimg.Width, charimg.Height))
	if err == nil && len(p) != numClasses {
		err = fmt.Errorf("%w: %d outputs, want %d", ErrBadModel, len(p), numClasses)
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *recogniser) Close() {
	r.net.Close()
	r.blob.Close()
}

// classify returns the class probabilities of the character in box of a
// dark-on-light plate picture.
func (r *recogniser) classify(plate *image.Gray, box image.Rectangle) ([]float32, error) {
	return r.classifyTensor(charimg.Normalize(plate, box))
}

// classifyTensor classifies a normalised 20x32 character.
func (r *recogniser) classifyTensor(norm *image.Gray) ([]float32, error) {
	t := charimg.Tensor(norm)
	in, err := r.blob.DataPtrFloat32()
	if err != nil || len(in) != len(t) {
		return nil, fmt.Errorf("anpr: input blob: %v", err)
	}
	copy(in, t)
	r.net.SetInput(r.blob, "input")
	out := r.net.Forward("probs")
	defer out.Close()
	p, err := out.DataPtrFloat32()
	if err != nil {
		return nil, fmt.Errorf("anpr: output: %v", err)
	}
	return slices.Clone(p), nil
}
