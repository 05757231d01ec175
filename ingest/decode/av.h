// Small C helpers for the cgo bindings: macros cgo cannot evaluate, and
// fields whose name changed between FFmpeg releases.
#ifndef VIGIL_DECODE_AV_H
#define VIGIL_DECODE_AV_H

#include <errno.h>
#include <pthread.h>
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

static inline int vigil_eagain(void) { return AVERROR(EAGAIN); }
static inline int vigil_eof(void) { return AVERROR_EOF; }
static inline int vigil_padding(void) { return AV_INPUT_BUFFER_PADDING_SIZE; }

static inline void vigil_strerror(int code, char *buf, size_t n) {
	if (av_strerror(code, buf, n) < 0) {
		snprintf(buf, n, "libav error %d", code);
	}
}

// key_frame became flags & AV_FRAME_FLAG_KEY in libavutil 58.7 (FFmpeg 6.1).
static inline int vigil_frame_key(const AVFrame *f) {
#if defined(AV_FRAME_FLAG_KEY)
	return (f->flags & AV_FRAME_FLAG_KEY) != 0;
#else
	return f->key_frame != 0;
#endif
}

static inline int vigil_frame_corrupt(const AVFrame *f) {
	return (f->flags & AV_FRAME_FLAG_CORRUPT) != 0 || f->decode_error_flags != 0;
}

// libav logs every damaged slice to stderr at AV_LOG_ERROR. Vigil returns
// errors instead and rate-limits its own logs, so lower libav's (process-wide)
// level once, unless someone already chose a level other than the default.
static pthread_once_t vigil_log_once = PTHREAD_ONCE_INIT;
static void vigil_quiet_log_init(void) {
	if (av_log_get_level() == AV_LOG_INFO) {
		av_log_set_level(AV_LOG_FATAL);
	}
}
static inline void vigil_quiet_log(void) { pthread_once(&vigil_log_once, vigil_quiet_log_init); }

static inline int vigil_scale(struct SwsContext *c, const AVFrame *src, AVFrame *dst) {
	return sws_scale(c, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
		dst->data, dst->linesize);
}

#endif
