// Package anpr reads number plates in pictures with gocv: it finds plate
// candidates with cheap classical image operations (black-hat/top-hat,
// horizontal gradient, a wide closing, plus a yellow colour cue),
// rectifies each to its plate aspect, cuts it into characters, recognises
// each character with a small ONNX model through OpenCV DNN (input made by
// charimg, so it matches what the model was trained on) and, for UK plates,
// picks the best syntactically valid reading with ukplate.Correct.
//
// Like ingest/analytics, every Mat is closed by the code that made it (tests
// count them with -tags matprofile) and gocv only sees Mats this package
// sized itself: pictures are decoded by Go after their header and size were
// checked (load.go), and a model is walked as protobuf and checked against
// what OpenCV 4.6 can load before gocv sees it (onnx.go), because gocv
// aborts the whole process on a model or picture OpenCV cannot take.
package anpr
