#ifndef BRAID_PNG_H
#define BRAID_PNG_H
#include <stddef.h>
#include <stdint.h>

// libpng reports errors with longjmp. These functions keep every setjmp/longjmp inside C, so a
// corrupt file returns an error code and message instead of unwinding through Swift frames.

typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;       // as stored: 1, 2, 4, 8, 16
    int color_type;      // PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA
    int interlaced;      // 1 for Adam7
    int has_trns;
    int has_gama;
    double gamma;        // file gamma when has_gama
    int has_srgb;
    int has_sbit;
    int has_bkgd;
    int has_iccp;
    int palette_size;
    int out_channels;    // channels after expansion: grey 1, grey+alpha 2, RGB 3, RGBA 4
} braid_png_info;

// Reads the header and ancillary chunks before the image data. Returns 0 or -1 with `message` set.
int braid_png_read_info(const uint8_t *data, size_t size, braid_png_info *info,
                        char *message, size_t message_size);

// Decodes the whole image into `pixels` (H*W*out_channels samples of 1 byte, or of 2 bytes in host
// order when `sixteen_bit` is 1). Palette and low-depth grey expand to 8 bits, tRNS becomes an alpha
// channel, 16-bit samples scale to 8 bits with rounding unless `sixteen_bit`. No gamma is applied.
int braid_png_decode(const uint8_t *data, size_t size, int sixteen_bit,
                     void *pixels, size_t pixels_size,
                     char *message, size_t message_size);
#endif
