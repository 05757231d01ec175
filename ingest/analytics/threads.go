package analytics

// #cgo pkg-config: opencv4
// #cgo CXXFLAGS: -std=c++11
// #include "threads.h"
import "C"

import "sync"

var singleThreaded sync.Once

// opencvSingleThreaded stops OpenCV from splitting one picture's work over
// its own thread pool: the engine already runs one camera per core, and
// OpenCV's threads on top of that only add switching (and would make a
// per-core figure meaningless). It is process-wide; analytics is OpenCV's
// only user.
func opencvSingleThreaded() {
	singleThreaded.Do(func() { C.vigil_cv_set_threads(0) })
}
