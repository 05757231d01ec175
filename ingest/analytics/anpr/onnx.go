package anpr

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// MaxModelBytes bounds a model file (the character model is well under 1 MiB).
const MaxModelBytes = 64 << 20

// ErrBadModel is what ValidateONNX wraps.
var ErrBadModel = errors.New("not a model OpenCV 4.6 can load")

// onnxOps are the operators OpenCV 4.6's ONNX importer handles and a small
// classifier uses. Anything else is refused before gocv sees it, because
// the importer throws on unknown layers and gocv turns that into an abort.
var onnxOps = map[string]bool{
	"Conv": true, "Relu": true, "LeakyRelu": true, "Sigmoid": true, "Tanh": true, "Clip": true,
	"MaxPool": true, "AveragePool": true, "GlobalAveragePool": true, "GlobalMaxPool": true,
	"Gemm": true, "MatMul": true, "Add": true, "Sub": true, "Mul": true, "Div": true,
	"Flatten": true, "Reshape": true, "Transpose": true, "Squeeze": true, "Unsqueeze": true,
	"Concat": true, "Shape": true, "Gather": true, "Constant": true,
	"Softmax": true, "BatchNormalization": true, "Dropout": true, "Identity": true,
}

// ONNXInfo is what ValidateONNX learnt about a model.
type ONNXInfo struct {
	Opset   int64
	Inputs  map[string][]int64 // graph inputs that are not initializers, fixed dims
	Outputs map[string][]int64 // dims where the model states them (0 = not stated)
	Ops     map[string]int
}

// ValidateONNX checks that b is an ONNX ModelProto OpenCV 4.6 can load:
// well-formed protobuf, default-domain opset <= 11, a graph whose nodes use
// only allowed operators and only names defined before them, initializers
// whose data match their dims and are stored inside the file, and inputs
// with fixed dims. It is a guard against wrong and damaged files (the
// project loads only models it ships), not a proof against crafted ones.
func ValidateONNX(b []byte) error {
	_, err := inspectONNX(b)
	return err
}

// inspectONNX is ValidateONNX returning what it learnt.
func inspectONNX(b []byte) (*ONNXInfo, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrBadModel)
	}
	if len(b) > MaxModelBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBadModel, MaxModelBytes)
	}
	info := &ONNXInfo{Opset: -1, Inputs: map[string][]int64{}, Outputs: map[string][]int64{}, Ops: map[string]int{}}
	var graph []byte
	err := walk(b, func(f int, wt int, v uint64, data []byte) error {
		switch f {
		case 1: // ir_version
			if wt != 0 || v < 3 || v > 10 {
				return fmt.Errorf("ir_version %d", v)
			}
		case 7:
			if wt != 2 || graph != nil {
				return errors.New("graph: wrong type or repeated")
			}
			graph = data
		case 8: // opset_import
			if wt != 2 {
				return errors.New("opset_import: wrong type")
			}
			dom, ver, err := opsetImport(data)
			if err != nil {
				return fmt.Errorf("opset_import: %v", err)
			}
			if dom == "" || dom == "ai.onnx" {
				info.Opset = ver
			} else {
				return fmt.Errorf("opset domain %q not supported", dom)
			}
		case 2, 3, 4, 6: // producer, version, domain, doc: strings
			if wt != 2 {
				return fmt.Errorf("field %d: wrong type", f)
			}
		case 5: // model_version
		case 14: // metadata_props
		default:
			return fmt.Errorf("unexpected model field %d (training info, functions, ...)", f)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	switch {
	case info.Opset < 1:
		return nil, fmt.Errorf("%w: no default-domain opset", ErrBadModel)
	case info.Opset > 11:
		return nil, fmt.Errorf("%w: opset %d (OpenCV 4.6 needs <= 11)", ErrBadModel, info.Opset)
	case graph == nil:
		return nil, fmt.Errorf("%w: no graph", ErrBadModel)
	}
	if err := checkGraph(graph, info); err != nil {
		return nil, fmt.Errorf("%w: graph: %v", ErrBadModel, err)
	}
	return info, nil
}

func opsetImport(b []byte) (dom string, ver int64, err error) {
	ver = -1
	err = walk(b, func(f, wt int, v uint64, data []byte) error {
		switch {
		case f == 1 && wt == 2:
			dom = string(data)
		case f == 2 && wt == 0:
			ver = int64(v)
		default:
			return fmt.Errorf("field %d", f)
		}
		return nil
	})
	return dom, ver, err
}

func checkGraph(b []byte, info *ONNXInfo) error {
	defined := map[string]bool{"": true} // "" is an omitted optional input
	var nodes, inputs, outputs [][]byte
	err := walk(b, func(f, wt int, v uint64, data []byte) error {
		if wt != 2 {
			return fmt.Errorf("field %d: wrong type", f)
		}
		switch f {
		case 1:
			nodes = append(nodes, data)
		case 2, 10: // name, doc_string
		case 5:
			name, err := checkTensor(data)
			if err != nil {
				return fmt.Errorf("initializer %q: %v", name, err)
			}
			defined[name] = true
		case 11:
			inputs = append(inputs, data)
		case 12:
			outputs = append(outputs, data)
		case 13: // value_info: shapes of inner values, not needed
		default:
			return fmt.Errorf("unexpected field %d (sparse initializer, quantisation, ...)", f)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, in := range inputs {
		name, dims, err := valueInfo(in)
		if err != nil {
			return fmt.Errorf("input %q: %v", name, err)
		}
		if defined[name] {
			continue // an initializer listed as input (old exporters)
		}
		if len(dims) == 0 {
			return fmt.Errorf("input %q: no shape", name)
		}
		for _, d := range dims {
			if d <= 0 || d > 1<<16 {
				return fmt.Errorf("input %q: dims %v not fixed", name, dims)
			}
		}
		info.Inputs[name] = dims
		defined[name] = true
	}
	if len(info.Inputs) == 0 {
		return errors.New("no input")
	}
	if len(nodes) == 0 || len(nodes) > 10000 {
		return fmt.Errorf("%d nodes", len(nodes))
	}
	for i, n := range nodes {
		op, ins, outs, err := node(n)
		if err != nil {
			return fmt.Errorf("node %d: %v", i, err)
		}
		if !onnxOps[op] {
			return fmt.Errorf("node %d: operator %q not allowed", i, op)
		}
		info.Ops[op]++
		for _, in := range ins {
			if !defined[in] {
				return fmt.Errorf("node %d (%s): input %q is not defined before it", i, op, in)
			}
		}
		if len(outs) == 0 {
			return fmt.Errorf("node %d (%s): no output", i, op)
		}
		for _, out := range outs {
			defined[out] = true
		}
	}
	if len(outputs) == 0 {
		return errors.New("no output")
	}
	for _, out := range outputs {
		name, dims, err := valueInfo(out)
		if err != nil {
			return fmt.Errorf("output %q: %v", name, err)
		}
		if !defined[name] {
			return fmt.Errorf("output %q is not produced", name)
		}
		info.Outputs[name] = dims
	}
	return nil
}

// node returns a NodeProto's operator, inputs and outputs; it refuses
// other domains (custom operators) and subgraph attributes.
func node(b []byte) (op string, ins, outs []string, err error) {
	err = walk(b, func(f, wt int, v uint64, data []byte) error {
		if wt != 2 {
			return fmt.Errorf("field %d: wrong type", f)
		}
		switch f {
		case 1:
			ins = append(ins, string(data))
		case 2:
			outs = append(outs, string(data))
		case 3, 6: // name, doc_string
		case 4:
			op = string(data)
		case 5:
			return checkAttribute(data)
		case 7:
			if d := string(data); d != "" && d != "ai.onnx" {
				return fmt.Errorf("domain %q", d)
			}
		default:
			return fmt.Errorf("unexpected field %d", f)
		}
		return nil
	})
	return op, ins, outs, err
}

// checkAttribute allows scalar, list and tensor attributes (Constant's
// value), not graphs (If/Loop bodies).
func checkAttribute(b []byte) error {
	return walk(b, func(f, wt int, v uint64, data []byte) error {
		switch f {
		case 6, 11: // g, graphs
			return errors.New("attribute holds a graph")
		case 22, 23: // sparse_tensor(s)
			return errors.New("attribute holds a sparse tensor")
		case 5, 10: // t, tensors
			if _, err := checkTensor(data); err != nil {
				return fmt.Errorf("attribute tensor: %v", err)
			}
		case 8: // ints: sizes, strides, pads; OpenCV trusts them
			vals, err := int64s(wt, v, data)
			if err != nil {
				return err
			}
			for _, x := range vals {
				if x < -(1<<20) || x > 1<<20 {
					return fmt.Errorf("attribute int %d out of range", x)
				}
			}
		}
		return nil
	})
}

func int64s(wt int, v uint64, data []byte) ([]int64, error) {
	if wt == 0 {
		return []int64{int64(v)}, nil
	}
	if wt != 2 {
		return nil, errors.New("ints: wrong type")
	}
	var out []int64
	for len(data) > 0 {
		x, n := binary.Uvarint(data)
		if n <= 0 {
			return nil, errors.New("bad varint")
		}
		out = append(out, int64(x))
		data = data[n:]
	}
	return out, nil
}

// dataTypeSize is the byte size of the tensor element types allowed.
var dataTypeSize = map[uint64]int64{1: 4, 6: 4, 7: 8, 11: 8} // float, int32, int64, double

// checkTensor checks a TensorProto's dims against its data, which must be
// inside the file (no external data: OpenCV would open other files).
func checkTensor(b []byte) (name string, err error) {
	var dims []int64
	var dtype uint64
	var have int64 = -1 // bytes of data found
	err = walk(b, func(f, wt int, v uint64, data []byte) error {
		switch f {
		case 1:
			vals, err := int64s(wt, v, data)
			if err != nil {
				return err
			}
			dims = append(dims, vals...)
		case 2:
			dtype = v
		case 8:
			name = string(data)
		case 9:
			have = int64(len(data))
		case 4, 5, 7, 10, 11: // float, int32, int64, double, uint64 data
			if wt != 2 {
				return errors.New("unpacked tensor data")
			}
			have = int64(len(data))
			if f == 5 || f == 7 { // varints: count them
				vals, err := int64s(wt, v, data)
				if err != nil {
					return err
				}
				have = int64(len(vals)) * dataTypeSize[dtype]
			}
		case 12, 3: // doc_string, segment
		case 13, 14:
			return errors.New("external data")
		default:
			return fmt.Errorf("unexpected field %d", f)
		}
		return nil
	})
	if err != nil {
		return name, err
	}
	size, ok := dataTypeSize[dtype]
	if !ok {
		return name, fmt.Errorf("element type %d", dtype)
	}
	n := int64(1)
	for _, d := range dims {
		if d < 0 || d > 1<<24 {
			return name, fmt.Errorf("dims %v", dims)
		}
		n *= d
		if n > MaxModelBytes {
			return name, fmt.Errorf("dims %v too large", dims)
		}
	}
	if have != n*size {
		return name, fmt.Errorf("dims %v need %d bytes, data has %d", dims, n*size, have)
	}
	return name, nil
}

// valueInfo returns a ValueInfoProto's name and tensor dims (0 for a
// dimension given by name).
func valueInfo(b []byte) (name string, dims []int64, err error) {
	err = walk(b, func(f, wt int, v uint64, data []byte) error {
		switch f {
		case 1:
			name = string(data)
		case 2: // TypeProto
			return walk(data, func(f, wt int, v uint64, data []byte) error {
				if f != 1 { // tensor_type only
					if f == 6 {
						return nil // denotation
					}
					return fmt.Errorf("type field %d is not a tensor", f)
				}
				return walk(data, func(f, wt int, v uint64, data []byte) error {
					if f != 2 { // shape (1 = elem_type)
						return nil
					}
					return walk(data, func(f, wt int, v uint64, data []byte) error {
						if f != 1 {
							return nil
						}
						d := int64(0)
						err := walk(data, func(f, wt int, v uint64, data []byte) error {
							if f == 1 && wt == 0 {
								d = int64(v)
							}
							return nil
						})
						dims = append(dims, d)
						return err
					})
				})
			})
		}
		return nil
	})
	return name, dims, err
}

// walk calls fn for each field of one protobuf message. Groups (wire types
// 3 and 4) are refused: ONNX does not use them.
func walk(b []byte, fn func(field, wiretype int, v uint64, data []byte) error) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return errors.New("bad field key")
		}
		b = b[n:]
		f, wt := key>>3, int(key&7)
		if f == 0 || f > math.MaxInt32 {
			return fmt.Errorf("field number %d", f)
		}
		var v uint64
		var data []byte
		switch wt {
		case 0:
			v, n = binary.Uvarint(b)
			if n <= 0 {
				return fmt.Errorf("field %d: bad varint", f)
			}
			b = b[n:]
		case 1:
			if len(b) < 8 {
				return fmt.Errorf("field %d: truncated", f)
			}
			v, b = binary.LittleEndian.Uint64(b), b[8:]
		case 5:
			if len(b) < 4 {
				return fmt.Errorf("field %d: truncated", f)
			}
			v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case 2:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return fmt.Errorf("field %d: bad length", f)
			}
			data, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return fmt.Errorf("field %d: wire type %d", f, wt)
		}
		if err := fn(int(f), wt, v, data); err != nil {
			return err
		}
	}
	return nil
}
