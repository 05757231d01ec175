// cv::setNumThreads, which gocv v0.31 does not wrap.
#include <opencv2/core.hpp>
#include "threads.h"

void vigil_cv_set_threads(int n) { cv::setNumThreads(n); }
