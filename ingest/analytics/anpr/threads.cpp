// cv::setNumThreads, which gocv v0.31 does not wrap (its own name: the
// analytics package links the same call under another symbol).
#include <opencv2/core.hpp>
#include "threads.h"

void vigil_anpr_cv_set_threads(int n) { cv::setNumThreads(n); }
