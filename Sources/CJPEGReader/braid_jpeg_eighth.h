#ifndef BRAID_JPEG_EIGHTH_H
#define BRAID_JPEG_EIGHTH_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jpeglib.h>

// Decodes a baseline JPEG at 1/8 of each side, given a decompressor that libjpeg has brought through
// jpeg_start_decompress at scale 1/8 (headers read, tables checked, nothing of the scan consumed).
//
// At 1/8 libjpeg needs only each block's DC coefficient (and, for chroma it scales up in the DCT domain instead
// of upsampling, the coefficients of a 2x2 inverse DCT), yet its time goes to Huffman-decoding every
// coefficient of the file, one symbol after another: a baseline scan without restart markers has no point at
// which a second core could start. This decoder starts one anyway, in the middle of the scan, and relies on
// JPEG's Huffman codes resynchronising: a decoder started at an arbitrary bit soon falls onto the true block
// boundaries, and the first thread, arriving there, sees the same (position, block of the MCU) state and takes
// the second thread's blocks from that point on (Klein and Wiseman, "Parallel Huffman decoding with
// applications to JPEG files", 2003). The pixels are then made exactly as libjpeg makes them: its 1x1 and 2x2
// inverse DCTs, its box upsampling and its YCbCr tables.
//
// When at least `split_bytes` follow the headers, two threads decode the scan. Returns 1 with `pixels` written
// (rows of `stride` bytes, libjpeg's output size and channels), or 2 when two threads decoded the scan and met.
// Returns 0, having written nothing that matters and consumed nothing of `info`, for whatever it does not handle
// exactly as libjpeg would (progressive or arithmetic files, restart markers, colour spaces other than grey and
// YCbCr, data that is damaged, cut short or followed by anything but EOI); the caller then decodes with libjpeg,
// which gives the same pixels or the error.
int braid_jpeg_decode_eighth(j_decompress_ptr info, uint8_t *pixels, size_t stride, size_t split_bytes);

#endif
