#ifndef BRAID_CFFMPEG_SHIM_H
#define BRAID_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavformat/avio.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/tx.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>

// Function-like and negated-tag macros that Swift cannot import.
static inline int braid_averror(int e) { return AVERROR(e); }
static inline int braid_averror_eof(void) { return AVERROR_EOF; }
static inline int braid_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int braid_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int64_t braid_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int braid_av_time_base(void) { return AV_TIME_BASE; }
static inline AVRational braid_av_time_base_q(void) { return (AVRational){1, AV_TIME_BASE}; }
#endif
