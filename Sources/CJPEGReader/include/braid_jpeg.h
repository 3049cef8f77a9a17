#ifndef BRAID_JPEG_H
#define BRAID_JPEG_H
#include <stddef.h>
#include <stdint.h>

// libjpeg reports errors with longjmp. These functions keep every setjmp/longjmp inside C, so a corrupt file
// returns an error code and message instead of unwinding through Swift frames. Every warning libjpeg raises
// about damaged data (a premature end, a bad Huffman code) is an error too, except extraneous bytes before a
// marker: libjpeg would otherwise fill what it could not decode with grey and report success.

typedef struct {
    uint32_t width;
    uint32_t height;
    int components;      // in the file: 1 grey, 3 YCbCr or RGB, 4 CMYK or YCCK
    int color_space;     // libjpeg's J_COLOR_SPACE of the file
    int progressive;
    int orientation;     // EXIF orientation 1-8, or 0 when the file has none
    int out_channels;    // after decoding: 1 for grey, 3 for everything else
} braid_jpeg_info;

// Reads the header (and the EXIF orientation) without decoding pixels. Returns 0, or -1 with `message` set.
int braid_jpeg_read_info(const uint8_t *data, size_t size, braid_jpeg_info *info, char *message, size_t message_size);

typedef struct {
    // 2, 4 or 8 decodes at that fraction of each side (rounded up) in the DCT domain, as Pillow's `Image.draft`
    // does; 1 decodes the full image.
    int reduction;
    // At 1/8, a baseline file's entropy-coded data is decoded by Braid's own decoder (braid_jpeg_eighth.h), on
    // two threads when at least `split_bytes` follow the headers (0: one thread); libjpeg decodes what it does
    // not handle. `libjpeg_only` leaves everything to libjpeg, for comparing the two.
    size_t split_bytes;
    int libjpeg_only;
} braid_jpeg_options;

// Which decoder made the pixels, as braid_jpeg_decode returns it.
enum { BRAID_JPEG_LIBJPEG = 0, BRAID_JPEG_ONE_THREAD = 1, BRAID_JPEG_TWO_THREADS = 2 };

// Decodes the image into `pixels` (height*width*out_channels bytes, as `braid_jpeg_read_info` gives them, rows
// top to bottom, orientation not applied): grey stays grey, YCbCr and RGB become RGB, CMYK and YCCK (Adobe,
// stored inverted) become RGB as R = clamp(c + k - 255) for stored c, k, as Pillow converts them. Returns which
// decoder made them (BRAID_JPEG_...), or -1 with `message` set.
int braid_jpeg_decode(const uint8_t *data, size_t size, braid_jpeg_options options, uint8_t *pixels,
                      size_t pixels_size, char *message, size_t message_size);
#endif
