package anpr

// #cgo pkg-config: opencv4
// #cgo CXXFLAGS: -std=c++11
// #include "threads.h"
import "C"

import "sync"

var singleThreaded sync.Once

// opencvSingleThreaded keeps OpenCV from splitting one picture over its own
// thread pool: the service runs one camera per core, and per-core figures
// mean nothing with OpenCV's threads on top. Process-wide, like analytics'.
func opencvSingleThreaded() {
	singleThreaded.Do(func() { C.vigil_anpr_cv_set_threads(0) })
}
