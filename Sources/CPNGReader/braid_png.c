#include "braid_png.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *message;
    size_t message_size;
    char warning[128];
} reader_state;

// libpng often explains an error in the warning just before it ("Image width is zero in IHDR",
// then "Invalid IHDR data"), so the last warning goes into the message too.
static void on_error(png_structp png, png_const_charp text) {
    reader_state *state = png_get_error_ptr(png);
    if (state->warning[0]) {
        snprintf(state->message, state->message_size, "%s (%s)", text, state->warning);
    } else {
        snprintf(state->message, state->message_size, "%s", text);
    }
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    reader_state *state = png_get_error_ptr(png);
    snprintf(state->warning, sizeof state->warning, "%s", text);
}

static void on_read(png_structp png, png_bytep out, png_size_t count) {
    reader_state *state = png_get_io_ptr(png);
    if (count > state->size - state->offset) {
        png_error(png, "truncated: file ends inside a chunk");
    }
    memcpy(out, state->data + state->offset, count);
    state->offset += count;
}

// The expansion that makes every colour type and depth come out as whole bytes, shared by both entry points.
static void request_expansion(png_structp png, png_infop info, int sixteen_bit) {
    png_set_expand(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (sixteen_bit) {
        png_set_expand_16(png);
        // PNG stores big-endian samples; callers get host order.
        const uint16_t probe = 1;
        if (*(const uint8_t *)&probe == 1) png_set_swap(png);
    } else {
        png_set_scale_16(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

static png_structp create_reader(reader_state *state, png_infop *info) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    if (!png) {
        snprintf(state->message, state->message_size, "out of memory");
        return NULL;
    }
    *info = png_create_info_struct(png);
    if (!*info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(state->message, state->message_size, "out of memory");
        return NULL;
    }
    png_set_read_fn(png, state, on_read);
    // Ancillary chunks (iCCP, zTXt) are bounded so that a compressed bomb in one cannot exhaust memory.
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    return png;
}

static int check_signature(reader_state *state) {
    if (state->size < 8 || png_sig_cmp(state->data, 0, 8) != 0) {
        snprintf(state->message, state->message_size, "not a PNG file (bad signature)");
        return -1;
    }
    return 0;
}

int braid_png_read_info(const uint8_t *data, size_t size, braid_png_info *out,
                        char *message, size_t message_size) {
    reader_state state = {data, size, 0, message, message_size, {0}};
    if (check_signature(&state) != 0) return -1;
    png_infop info = NULL;
    png_structp png = create_reader(&state, &info);
    if (!png) return -1;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_read_info(png, info);
    memset(out, 0, sizeof *out);
    out->width = png_get_image_width(png, info);
    out->height = png_get_image_height(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    out->color_type = png_get_color_type(png, info);
    out->interlaced = png_get_interlace_type(png, info) == PNG_INTERLACE_ADAM7;
    out->has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
    out->has_gama = png_get_gAMA(png, info, &out->gamma) != 0;
    out->has_srgb = png_get_valid(png, info, PNG_INFO_sRGB) != 0;
    out->has_sbit = png_get_valid(png, info, PNG_INFO_sBIT) != 0;
    out->has_bkgd = png_get_valid(png, info, PNG_INFO_bKGD) != 0;
    out->has_iccp = png_get_valid(png, info, PNG_INFO_iCCP) != 0;
    png_colorp palette = NULL;
    if (png_get_PLTE(png, info, &palette, &out->palette_size) == 0) out->palette_size = 0;
    request_expansion(png, info, 0);
    out->out_channels = png_get_channels(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

int braid_png_decode(const uint8_t *data, size_t size, int sixteen_bit,
                     void *pixels, size_t pixels_size,
                     char *message, size_t message_size) {
    reader_state state = {data, size, 0, message, message_size, {0}};
    if (check_signature(&state) != 0) return -1;
    png_infop info = NULL;
    png_structp png = create_reader(&state, &info);
    if (!png) return -1;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_free(png, rows);
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_read_info(png, info);
    request_expansion(png, info, sixteen_bit);
    const png_uint_32 height = png_get_image_height(png, info);
    const size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes * height != pixels_size) {
        png_error(png, "decoded size differs from the size read from the header");
    }
    rows = png_malloc(png, sizeof(png_bytep) * (height ? height : 1));
    for (png_uint_32 y = 0; y < height; y++) rows[y] = (png_bytep)pixels + y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_free(png, rows);
    rows = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}
