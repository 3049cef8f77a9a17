#include "braid_jpeg.h"
#include "braid_jpeg_eighth.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char *message;
    size_t message_size;
} braid_jpeg_error;

static void braid_jpeg_fail(j_common_ptr info) {
    braid_jpeg_error *error = (braid_jpeg_error *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    snprintf(error->message, error->message_size, "%s", text);
    longjmp(error->jump, 1);
}

// Level -1 is a warning about damaged data; higher levels are trace messages.
static void braid_jpeg_message(j_common_ptr info, int level) {
    if (level == -1 && info->err->msg_code != JWRN_EXTRANEOUS_DATA) braid_jpeg_fail(info);
}

static uint16_t read16(const uint8_t *p, int little) { return little ? p[0] | p[1] << 8 : p[0] << 8 | p[1]; }
static uint32_t read32(const uint8_t *p, int little) {
    return little ? p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24
                  : (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

// The orientation tag (0x0112) of IFD0 in an APP1 "Exif" segment, or 0.
static int exif_orientation(j_decompress_ptr info) {
    for (jpeg_saved_marker_ptr marker = info->marker_list; marker; marker = marker->next) {
        if (marker->marker != JPEG_APP0 + 1 || marker->data_length < 14) continue;
        const uint8_t *data = marker->data;
        if (memcmp(data, "Exif\0\0", 6) != 0) continue;
        const uint8_t *tiff = data + 6;
        size_t length = marker->data_length - 6;
        int little = tiff[0] == 'I' && tiff[1] == 'I';
        if (!little && !(tiff[0] == 'M' && tiff[1] == 'M')) return 0;
        uint32_t ifd = read32(tiff + 4, little);
        if (ifd > length - 2) return 0;
        uint16_t entries = read16(tiff + ifd, little);
        for (uint16_t entry = 0; entry < entries; entry++) {
            size_t offset = ifd + 2 + (size_t)entry * 12;
            if (offset + 12 > length) return 0;
            if (read16(tiff + offset, little) == 0x0112 && read16(tiff + offset + 2, little) == 3) {
                uint16_t value = read16(tiff + offset + 8, little);
                return value >= 1 && value <= 8 ? value : 0;
            }
        }
    }
    return 0;
}

// Routes libjpeg's errors and damage warnings to `message` and the caller's setjmp, then creates the decompressor.
static void prepare(j_decompress_ptr info, braid_jpeg_error *error, char *message, size_t message_size) {
    info->err = jpeg_std_error(&error->manager);
    error->manager.error_exit = braid_jpeg_fail;
    error->manager.emit_message = braid_jpeg_message;
    error->message = message;
    error->message_size = message_size;
    jpeg_create_decompress(info);
}

static void describe(j_decompress_ptr info, braid_jpeg_info *out) {
    out->width = info->image_width;
    out->height = info->image_height;
    out->components = info->num_components;
    out->color_space = info->jpeg_color_space;
    out->progressive = info->progressive_mode;
    out->orientation = exif_orientation(info);
    out->out_channels = info->jpeg_color_space == JCS_GRAYSCALE ? 1 : 3;
}

int braid_jpeg_read_info(const uint8_t *data, size_t size, braid_jpeg_info *out, char *message,
                         size_t message_size) {
    struct jpeg_decompress_struct info;
    braid_jpeg_error error;
    prepare(&info, &error, message, message_size);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_save_markers(&info, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&info, TRUE);
    describe(&info, out);
    jpeg_destroy_decompress(&info);
    return 0;
}

int braid_jpeg_decode(const uint8_t *data, size_t size, braid_jpeg_options options, uint8_t *pixels,
                      size_t pixels_size, char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    braid_jpeg_error error;
    prepare(&info, &error, message, message_size);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    int cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
    info.out_color_space = info.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
    // The scaled inverse DCT, with libjpeg's default (accurate) DCT and chroma interpolation, as Pillow's draft
    // mode decodes.
    info.scale_num = 1;
    info.scale_denom = options.reduction > 1 ? (unsigned int)options.reduction : 1;
    jpeg_start_decompress(&info);
    size_t channels = info.jpeg_color_space == JCS_GRAYSCALE ? 1 : 3;
    size_t stride = (size_t)info.output_width * channels;
    if (stride * info.output_height > pixels_size) {
        snprintf(message, message_size, "the output buffer is smaller than the image");
        jpeg_destroy_decompress(&info);
        return -1;
    }
    if (options.reduction == 8 && !options.libjpeg_only) {
        int decoded = braid_jpeg_decode_eighth(&info, pixels, stride, options.split_bytes);
        if (decoded) {
            jpeg_destroy_decompress(&info);
            return decoded == 2 ? BRAID_JPEG_TWO_THREADS : BRAID_JPEG_ONE_THREAD;
        }
    }
    // From libjpeg's own pool, which jpeg_destroy_decompress frees on every path, longjmp included.
    JSAMPARRAY row = (*info.mem->alloc_sarray)(
        (j_common_ptr)&info, JPOOL_IMAGE, info.output_width * info.output_components, 1);
    while (info.output_scanline < info.output_height) {
        uint8_t *target = pixels + (size_t)info.output_scanline * stride;
        if (cmyk) {
            jpeg_read_scanlines(&info, row, 1);
            for (size_t x = 0; x < info.output_width; x++) {
                const uint8_t *source = row[0] + x * 4;
                for (int c = 0; c < 3; c++) {
                    int value = source[c] + source[3] - 255;
                    target[x * 3 + c] = value < 0 ? 0 : (uint8_t)value;
                }
            }
        } else {
            JSAMPROW direct = target;
            jpeg_read_scanlines(&info, &direct, 1);
        }
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    return BRAID_JPEG_LIBJPEG;
}
