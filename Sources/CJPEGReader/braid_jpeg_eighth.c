#include "braid_jpeg_eighth.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    FAST_BITS = 10,         // Huffman codes this long or shorter are found with one table lookup
    MAX_PHASES = 10,        // blocks in an MCU (D_MAX_BLOCKS_IN_MCU)
    KEPT = 25,              // coefficients a 2x2 inverse DCT reads: rows and columns 0, 1, 3, 5 and 7
    // A block reads at most 64 symbols of at most 31 bits: zero bytes after the scan let a decoder that runs off
    // its end (a thread started in the middle, or a file cut short) read on without a bounds check per symbol.
    PADDING = 64 * 31 / 8 + 16,
};

// ---- Huffman tables --------------------------------------------------------------------------------------

typedef struct {
    uint16_t fast[1 << FAST_BITS];  // (length << 8) | symbol for codes of at most FAST_BITS bits, else 0
    // For AC codes of at most FAST_BITS bits: (advance << 5) | bits, where bits counts the code and the value
    // after it, and advance is how far the coefficient index moves (run + 1; 16 for a run of zeros; 64 for
    // the end of the block); else 0.
    uint16_t skip[1 << FAST_BITS];
    int32_t maxcode[17];            // the largest code of each length, -1 when there is none
    int32_t valoffset[17];          // symbol index = code + valoffset[length]
    uint8_t symbols[256];
} huffman;

// Canonical codes from the counts per length, as JPEG's Annex C assigns them.
static int build_huffman(const JHUFF_TBL *source, huffman *table) {
    if (!source) return 0;
    memset(table->fast, 0, sizeof table->fast);
    memset(table->skip, 0, sizeof table->skip);
    memcpy(table->symbols, source->huffval, sizeof table->symbols);
    int32_t code = 0;
    int index = 0;
    for (int length = 1; length <= 16; length++) {
        int count = source->bits[length];
        if (index + count > 256) return 0;
        table->valoffset[length] = index - code;
        table->maxcode[length] = count ? code + count - 1 : -1;
        for (int i = 0; i < count; i++, code++, index++) {
            if (length > FAST_BITS) continue;
            int spare = FAST_BITS - length;
            int symbol = source->huffval[index], run = symbol >> 4, size = symbol & 15;
            int advance = size ? run + 1 : run == 15 ? 16 : 64;
            for (int fill = 0; fill < 1 << spare; fill++) {
                table->fast[(code << spare) | fill] = (uint16_t)(length << 8 | symbol);
                table->skip[(code << spare) | fill] = (uint16_t)(advance << 5 | (length + size));
            }
        }
        if (code >= (int32_t)1 << length) return 0;  // libjpeg refuses such tables too
        code <<= 1;
    }
    return 1;
}

static inline uint64_t load_big_endian(const uint8_t *bytes) {
    uint64_t word;
    memcpy(&word, bytes, sizeof word);
    return __builtin_bswap64(word);
}

// A bit reader whose refill needs no branch (Giesen, "Reading bits in far too many ways", variant 4): `buffer`
// holds `count` (56 to 63 after a refill) unread bits at its top, and `next` is the byte after them.
typedef struct {
    const uint8_t *next;
    uint64_t buffer;
    unsigned count;
} bit_reader;

static inline void refill(bit_reader *r) {
    r->buffer |= load_big_endian(r->next) >> r->count;
    r->next += (63 - r->count) >> 3;
    r->count |= 56;
}

static inline void consume(bit_reader *r, unsigned bits) {
    r->buffer <<= bits;
    r->count -= bits;
}

static inline bit_reader reader_at(const uint8_t *data, uint64_t position) {
    bit_reader r = {data + (position >> 3), 0, 0};
    refill(&r);
    consume(&r, (unsigned)(position & 7));
    return r;
}

static inline uint64_t reader_position(const uint8_t *data, const bit_reader *r) {
    return (uint64_t)(r->next - data) * 8 - r->count;
}

// The symbol whose code starts `window`, and its length; -1 when no code does.
static inline int decode_symbol(const huffman *table, uint64_t window, int *length) {
    unsigned entry = table->fast[window >> (64 - FAST_BITS)];
    if (entry) {
        *length = (int)(entry >> 8);
        return (int)(entry & 0xFF);
    }
    uint32_t word = (uint32_t)(window >> 48);
    for (int l = FAST_BITS + 1; l <= 16; l++) {
        int32_t code = (int32_t)(word >> (16 - l));
        if (code <= table->maxcode[l]) {
            *length = l;
            return table->symbols[(code + table->valoffset[l]) & 0xFF];
        }
    }
    return -1;
}

// JPEG's sign extension of an s-bit magnitude (F.2.2.1).
static inline int extend(uint32_t bits, int s) {
    return bits < (1u << (s - 1)) ? (int)bits - (1 << s) + 1 : (int)bits;
}

// ---- Blocks ----------------------------------------------------------------------------------------------

// The slot in the 25 kept coefficients of the coefficient at each zigzag index, -1 when a 2x2 inverse DCT does
// not read it. Indices past 63 are libjpeg's guard for corrupt runs: it stores them at natural index 63.
static int8_t kept_slot[64 + 16];

static void fill_kept_slots(void) {
    static const uint8_t natural[64] = {
        0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,  12, 19, 26, 33, 40, 48,
        41, 34, 27, 20, 13, 6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
        30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    };
    static const int8_t slot_of_line[8] = {0, 1, -1, 2, -1, 3, -1, 4};
    for (int k = 0; k < 64 + 16; k++) {
        int index = natural[k < 64 ? k : 63];
        int row = slot_of_line[index / 8], column = slot_of_line[index % 8];
        kept_slot[k] = (int8_t)(row < 0 || column < 0 ? -1 : row * 5 + column);
    }
}

// A block of the MCU: its component's tables (one copy per component, so that the four luma blocks of a 4:2:0 MCU
// read the same cache lines), and whether it is scaled up in the DCT domain, its 2x2 coefficients kept.
typedef struct {
    const huffman *dc, *ac;
    int keeps;
} block_kind;

// One AC symbol of a block whose coefficients are not kept: moves `k` on and consumes the symbol and its value.
// Needs 31 bits in the reader. Returns 0 at a bit pattern that is no code.
static inline int skip_coefficient(const huffman *table, bit_reader *r, int *k) {
    unsigned entry = table->skip[r->buffer >> (64 - FAST_BITS)];
    if (entry) {
        consume(r, entry & 31);
        *k += (int)(entry >> 5);
        return 1;
    }
    int length, symbol = decode_symbol(table, r->buffer, &length);
    if (symbol < 0) return 0;
    int run = symbol >> 4, size = symbol & 15;
    consume(r, (unsigned)(length + size));
    *k += size ? run + 1 : run == 15 ? 16 : 64;
    return 1;
}

// One AC symbol of a block whose 2x2 coefficients are kept, as `skip_coefficient`, storing its value.
static inline int keep_coefficient(const huffman *table, bit_reader *r, int *k, int16_t *kept) {
    int length, symbol = decode_symbol(table, r->buffer, &length);
    if (symbol < 0) return 0;
    int run = symbol >> 4, size = symbol & 15;
    if (size) {
        *k += run;
        if (kept_slot[*k] >= 0)
            kept[kept_slot[*k]] = (int16_t)extend((uint32_t)((r->buffer << length) >> (64 - size)), size);
        *k += 1;
    } else {
        *k += run == 15 ? 16 : 64;
    }
    consume(r, (unsigned)(length + size));
    return 1;
}

// Decodes the block at *position. Returns 0 at a bit pattern that is no code; a block's kept coefficients
// (zeroed by the caller) are filled in the order of `kept_slot`. A refill leaves at least 56 bits, enough for two
// symbols of short codes with their values (25 bits each) or one of any length (31).
static inline int decode_block(const uint8_t *data, uint64_t *position, const block_kind *kind, int *dc_difference,
                               int16_t *kept) {
    bit_reader r = reader_at(data, *position);
    int length;
    int s = decode_symbol(kind->dc, r.buffer, &length);
    if (s < 0 || s > 15) return 0;
    *dc_difference = s ? extend((uint32_t)((r.buffer << length) >> (64 - s)), s) : 0;
    consume(&r, (unsigned)(length + s));
    int k = 1;
    if (kept) {
        while (k < 64) {
            refill(&r);
            if (!keep_coefficient(kind->ac, &r, &k, kept)) return 0;
        }
    } else {
        for (;;) {
            refill(&r);
            unsigned before = r.count;
            if (!skip_coefficient(kind->ac, &r, &k)) return 0;
            if (k >= 64) break;
            if (before - r.count > 25) refill(&r);  // a long code: the second symbol may need 31 bits
            if (!skip_coefficient(kind->ac, &r, &k)) return 0;
            if (k >= 64) break;
        }
    }
    *position = reader_position(data, &r);
    return 1;
}

// ---- Placing blocks: libjpeg's DC prediction, 1x1 and 2x2 inverse DCTs ------------------------------------

typedef struct {
    int phases;                    // blocks in an MCU
    size_t mcus_per_row;
    int component[MAX_PHASES];     // of each block of the MCU
    int column[MAX_PHASES], row[MAX_PHASES];
    int components;
    int mcu_width[4], mcu_height[4];  // blocks of each component in an MCU
    int size[4];                   // samples per block side after the scaled inverse DCT: 1 or 2
    int16_t quant[4][KEPT];        // at the kept coefficients, as libjpeg's islow multiplier table holds them
    uint8_t *plane[4];
    size_t plane_stride[4], plane_rows[4];
    int last_dc[4];
    uint8_t limit[1024];           // libjpeg's post-IDCT range limit, indexed by (value & 1023), 128 added
} assembler;

static void fill_idct_limit(uint8_t *limit) {
    for (int i = 0; i < 1024; i++)
        limit[i] = (uint8_t)(i < 128 ? i + 128 : i < 512 ? 255 : i < 896 ? 0 : i - 896);
}

// libjpeg's DESCALE: rounded, with an arithmetic shift.
static inline int64_t descale(int64_t value, int bits) { return (value + ((int64_t)1 << (bits - 1))) >> bits; }

static inline int fits_16_bits(int64_t value) { return value >= -32768 && value <= 32767; }
static inline int fits_32_bits(int64_t value) { return value >= INT32_MIN && value <= INT32_MAX; }

// jidctred.c's 2x2 output of an 8x8 block from `kept` (rows and columns 0, 1, 3, 5, 7): column pass, then row
// pass, with its constants (FIX(sqrt(2) * ...) at 13 bits) and shifts. libjpeg runs its SIMD version of it
// (jidctred-sse2.asm), which multiplies and keeps the column pass's results in 16-bit lanes, sums in 32-bit ones
// and saturates the output where the C version wraps it through its range-limit table; the two agree, and this
// agrees with both, while every dequantised coefficient and column result fits 16 bits, every sum 32, and the
// output lies within [-512, 511]. Returns 0 otherwise (seen only in damaged or fuzzed files).
static int idct_2x2(const assembler *a, int component, const int16_t *kept, uint8_t out[2][2]) {
    const int16_t *quant = a->quant[component];
    int ac = 0;
    for (int i = 1; i < KEPT; i++) ac |= kept[i];
    if (!ac) {  // both passes reduce to the DC term exactly: (4 * dc + 16) >> 5
        int64_t value = descale((int64_t)kept[0] * quant[0] * 4, 5);
        if (value < -512 || value > 511) return 0;
        out[0][0] = out[0][1] = out[1][0] = out[1][1] = a->limit[value & 1023];
        return 1;
    }
    int64_t z[KEPT];
    for (int i = 0; i < KEPT; i++) {
        z[i] = (int64_t)kept[i] * quant[i];
        if (!fits_16_bits(z[i])) return 0;
    }
    int64_t work[2][5];
    for (int c = 0; c < 5; c++) {
        int64_t even = z[c] * (1 << 15);
        int64_t odd = z[20 + c] * -5906 + z[15 + c] * 6967 + z[10 + c] * -10426 + z[5 + c] * 29692;
        if (!fits_32_bits(even + odd + (1 << 12)) || !fits_32_bits(even - odd + (1 << 12))) return 0;
        work[0][c] = descale(even + odd, 13);
        work[1][c] = descale(even - odd, 13);
        if (!fits_16_bits(work[0][c]) || !fits_16_bits(work[1][c])) return 0;
    }
    for (int r = 0; r < 2; r++) {
        const int64_t *w = work[r];
        int64_t even = w[0] * (1 << 15);
        int64_t odd = w[4] * -5906 + w[3] * 6967 + w[2] * -10426 + w[1] * 29692;
        for (int side = 0; side < 2; side++) {
            int64_t sum = side ? even - odd : even + odd;
            if (!fits_32_bits(sum + (1 << 19))) return 0;
            int64_t value = descale(sum, 20);
            if (value < -512 || value > 511) return 0;
            out[r][side] = a->limit[value & 1023];
        }
    }
    return 1;
}

// Where the next block of the scan goes: its place in its MCU, and the MCU's column and row.
typedef struct {
    int phase;
    size_t column, row;
} block_place;

static inline void advance(const assembler *a, block_place *place) {
    if (++place->phase < a->phases) return;
    place->phase = 0;
    if (++place->column < a->mcus_per_row) return;
    place->column = 0;
    place->row++;
}

// The block at `place`: adds its DC difference to its component's prediction, as libjpeg does (an int, stored as
// a 16-bit coefficient), and writes its 1x1 or 2x2 samples into the component's plane.
static int place_block(assembler *a, const block_place *place, int dc_difference, int16_t *kept) {
    int c = a->component[place->phase];
    int last = a->last_dc[c] + dc_difference;
    if (last > (1 << 30) || last < -(1 << 30)) return 0;
    a->last_dc[c] = last;
    size_t column = place->column * (size_t)a->mcu_width[c] + (size_t)a->column[place->phase];
    size_t row = place->row * (size_t)a->mcu_height[c] + (size_t)a->row[place->phase];
    int16_t dc = (int16_t)last;
    if (a->size[c] == 1) {
        a->plane[c][row * a->plane_stride[c] + column] = a->limit[descale((int32_t)dc * a->quant[c][0], 3) & 1023];
        return 1;
    }
    kept[0] = dc;
    uint8_t out[2][2];
    if (!idct_2x2(a, c, kept, out)) return 0;
    uint8_t *target = a->plane[c] + 2 * row * a->plane_stride[c] + 2 * column;
    target[0] = out[0][0];
    target[1] = out[0][1];
    target[a->plane_stride[c]] = out[1][0];
    target[a->plane_stride[c] + 1] = out[1][1];
    return 1;
}

// ---- The scan ----------------------------------------------------------------------------------------------

typedef struct {
    uint8_t *data;        // entropy-coded bytes with stuffing removed, then PADDING zero bytes
    uint64_t bits;
    huffman dc[4], ac[4];  // of each component
    block_kind kinds[MAX_PHASES];
    int phases;
    size_t blocks;        // in the scan
} scan;

// The scan's bytes up to its EOI marker, stuffed zero bytes removed; 0 (none written) when anything else ends
// them: a restart or other marker, fill bytes, or the end of the file (libjpeg then reports or handles it).
static int unstuff(const uint8_t *in, size_t size, uint8_t *out, size_t *length) {
    size_t i = 0, o = 0;
    for (;;) {
        const uint8_t *marker = memchr(in + i, 0xFF, size - i);
        if (!marker) return 0;
        size_t run = (size_t)(marker - (in + i));
        memcpy(out + o, in + i, run);
        o += run;
        i += run;
        if (i + 1 >= size) return 0;
        if (in[i + 1] == 0x00) {
            out[o++] = 0xFF;
            i += 2;
        } else {
            *length = o;
            return in[i + 1] == 0xD9;
        }
    }
}

// The blocks a thread started in the middle of the scan decoded, with where each began. After a bit pattern
// that is no code it starts again one bit later, at the first block of an MCU: `phase` marks such restarts.
typedef struct {
    const scan *scan;
    uint64_t from;
    size_t capacity, kept_capacity;
    uint32_t *start;
    uint8_t *phase;       // position of the block in its MCU; RESTARTED when decoding started again there
    int16_t *dc;
    uint32_t *kept_at;
    int16_t *kept;
    size_t count;
    uint64_t stop;        // where the last block ended
} tail;

enum { RESTARTED = 0x80 };

// Its counts stay in locals until the end, so that the first thread's cache never holds a line it writes.
static void *decode_tail(void *argument) {
    tail *t = argument;
    const scan *s = t->scan;
    uint64_t position = t->from, stop = position;
    size_t count = 0, kept_count = 0;
    int phase = 0, restarted = RESTARTED;
    while (position < s->bits && count < t->capacity) {
        const block_kind *kind = &s->kinds[phase];
        if (kind->keeps && kept_count == t->kept_capacity) break;
        int16_t *kept = kind->keeps ? memset(t->kept + kept_count * KEPT, 0, KEPT * sizeof(int16_t)) : NULL;
        uint64_t begin = position;
        int difference;
        if (!decode_block(s->data, &position, kind, &difference, kept)) {
            position = begin + 1;
            phase = 0;
            restarted = RESTARTED;
            continue;
        }
        t->start[count] = (uint32_t)begin;
        t->phase[count] = (uint8_t)(phase | restarted);
        t->dc[count] = (int16_t)difference;
        t->kept_at[count] = (uint32_t)kept_count;
        kept_count += kind->keeps ? 1 : 0;
        count++;
        stop = position;
        restarted = 0;
        phase = phase + 1 == s->phases ? 0 : phase + 1;
    }
    t->count = count;
    t->stop = stop;
    return NULL;
}

// The tail's blocks from `first` on that complete the scan after `needed` more, all from one run of its decoder
// and ending inside the data; 0 when it has not got them.
static int tail_completes(const tail *t, size_t first, size_t needed) {
    if (first + needed > t->count) return 0;
    for (size_t i = first + 1; i < first + needed; i++)
        if (t->phase[i] & RESTARTED) return 0;
    size_t next = first + needed;
    // A restart begins one bit after the block that failed, so that block, which follows ours, began there.
    uint64_t end = next == t->count ? t->stop : (t->phase[next] & RESTARTED) ? t->start[next] - 1u : t->start[next];
    return end <= t->scan->bits;
}

// The tail's blocks `first` to `first + count` placed from `place` on.
static int place_tail_blocks(assembler *a, block_place *place, const tail *t, size_t first, size_t count) {
    for (size_t i = first; i < first + count; i++, advance(a, place))
        if (!place_block(a, place, t->dc[i], t->kept + (size_t)t->kept_at[i] * KEPT)) return 0;
    return 1;
}

// The second half of the tail's blocks, placed by a thread of its own with its own copy of the predictions.
typedef struct {
    assembler assembler;
    block_place place;
    const tail *tail;
    size_t first, count;
    int placed;
} placing;

static void *place_second_half(void *argument) {
    placing *job = argument;
    job->placed = place_tail_blocks(&job->assembler, &job->place, job->tail, job->first, job->count);
    return NULL;
}

// Places the tail's blocks `first` to `first + count`, which continue the scan at `place`, on two threads: the
// second half's DC predictions are the first half's differences added up, which costs far less than placing.
static int place_tail(assembler *a, block_place place, const tail *t, size_t first, size_t count) {
    size_t half = count / 2;
    placing *second = aligned_alloc(64, (sizeof(placing) + 63) / 64 * 64);
    if (!second) return place_tail_blocks(a, &place, t, first, count);
    second->assembler = *a;
    second->place = place;
    second->tail = t;
    second->first = first + half;
    second->count = count - half;
    for (size_t i = first; i < first + half; i++) {
        int *last = &second->assembler.last_dc[a->component[second->place.phase]];
        *last += t->dc[i];
        if (*last > (1 << 30) || *last < -(1 << 30)) {
            free(second);
            return 0;
        }
        advance(a, &second->place);
    }
    pthread_t helper;
    int placed;
    if (pthread_create(&helper, NULL, place_second_half, second) == 0) {
        placed = place_tail_blocks(a, &place, t, first, half);
        pthread_join(helper, NULL);
        placed = placed && second->placed;
    } else {
        placed = place_tail_blocks(a, &place, t, first, count);
    }
    free(second);
    return placed;
}

// Decodes every block of the scan into `a`, from the first on; with a tail, only until its own blocks meet the
// tail's, whose blocks then complete the scan. Returns 0 when the data does not hold the scan's blocks, else 1,
// or 2 when the tail's blocks completed it.
static int decode_scan(const scan *s, assembler *a, tail *t, pthread_t *tail_thread) {
    uint64_t position = 0;
    size_t index = 0, next_tail_block = 0;
    block_place place = {0, 0, 0};
    int joined = t == NULL;
    int16_t kept[KEPT];
    while (index < s->blocks) {
        int phase = place.phase;
        if (t && position >= t->from) {
            if (!joined) {
                pthread_join(*tail_thread, NULL);
                joined = 1;
            }
            while (next_tail_block < t->count && t->start[next_tail_block] < position) next_tail_block++;
            if (next_tail_block < t->count && t->start[next_tail_block] == position &&
                (t->phase[next_tail_block] & ~RESTARTED) == phase) {
                size_t needed = s->blocks - index;
                if (!tail_completes(t, next_tail_block, needed)) {
                    t = NULL;
                    continue;
                }
                return place_tail(a, place, t, next_tail_block, needed) ? 2 : 0;
            }
        }
        if (position >= s->bits) break;
        const block_kind *kind = &s->kinds[phase];
        if (kind->keeps) memset(kept, 0, sizeof kept);
        int difference;
        if (!decode_block(s->data, &position, kind, &difference, kind->keeps ? kept : NULL)) break;
        if (!place_block(a, &place, difference, kept)) break;
        advance(a, &place);
        index++;
    }
    if (!joined) pthread_join(*tail_thread, NULL);
    return index == s->blocks && position <= s->bits;
}

// ---- Colour ------------------------------------------------------------------------------------------------

// libjpeg's box upsampling (each sample repeated) and YCbCr to RGB conversion with its 16-bit fixed-point
// tables (jdcolor.c), or grey copied.
static int write_pixels(j_decompress_ptr info, const assembler *a, uint8_t *pixels, size_t stride) {
    size_t width = info->output_width, height = info->output_height;
    int max_h = info->max_h_samp_factor, max_v = info->max_v_samp_factor;
    if (a->components == 1) {
        for (size_t y = 0; y < height; y++) memcpy(pixels + y * stride, a->plane[0] + y * a->plane_stride[0], width);
        return 1;
    }
    int red_cr[256], blue_cb[256];
    int64_t green_cr[256], green_cb[256];
    const int64_t one_half = (int64_t)1 << 15;
    for (int i = 0; i < 256; i++) {
        int64_t x = i - 128;
        red_cr[i] = (int)((91881 * x + one_half) >> 16);   // FIX(1.40200)
        blue_cb[i] = (int)((116130 * x + one_half) >> 16); // FIX(1.77200)
        green_cr[i] = -46802 * x;                           // -FIX(0.71414)
        green_cb[i] = -22554 * x + one_half;                // -FIX(0.34414), and the rounding
    }
    // Source column of each output column, per component.
    size_t *columns = malloc(3 * width * sizeof(size_t));
    if (!columns) return 0;
    for (int c = 0; c < 3; c++) {
        int in = info->comp_info[c].h_samp_factor * a->size[c];
        for (size_t x = 0; x < width; x++) columns[c * width + x] = x * (size_t)in / (size_t)max_h;
    }
    for (size_t y = 0; y < height; y++) {
        const uint8_t *rows[3];
        for (int c = 0; c < 3; c++) {
            int in = info->comp_info[c].v_samp_factor * a->size[c];
            rows[c] = a->plane[c] + (y * (size_t)in / (size_t)max_v) * a->plane_stride[c];
        }
        uint8_t *out = pixels + y * stride;
        for (size_t x = 0; x < width; x++) {
            int luma = rows[0][columns[x]];
            int cb = rows[1][columns[width + x]], cr = rows[2][columns[2 * width + x]];
            int r = luma + red_cr[cr];
            int g = luma + (int)((green_cb[cb] + green_cr[cr]) >> 16);
            int b = luma + blue_cb[cb];
            out[3 * x] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
            out[3 * x + 1] = (uint8_t)(g < 0 ? 0 : g > 255 ? 255 : g);
            out[3 * x + 2] = (uint8_t)(b < 0 ? 0 : b > 255 ? 255 : b);
        }
    }
    free(columns);
    return 1;
}

// ---- Memory -------------------------------------------------------------------------------------------------

// Everything a decode needs (the unstuffed data, the planes, the tail's blocks: 8 MB for a 12-megapixel photo)
// comes from one block of memory per thread, kept for the thread's next image: fresh pages on every image cost
// 15% of the decode in page faults. Blocks above KEPT_SCRATCH are freed after their image.
enum { KEPT_SCRATCH = 64 << 20 };

typedef struct {
    uint8_t *memory;
    size_t size;
} scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void free_scratch(void *kept) {
    scratch *block = kept;
    free(block->memory);
    free(block);
}

static void make_scratch_key(void) {
    if (pthread_key_create(&scratch_key, free_scratch) != 0) scratch_key = (pthread_key_t)-1;
}

// `size` bytes aligned to 64, this thread's kept block when it can be; *owned says the caller frees it.
static uint8_t *scratch_memory(size_t size, int *owned) {
    size = (size + 63) & ~(size_t)63;
    *owned = 1;
    pthread_once(&scratch_once, make_scratch_key);
    if (size > KEPT_SCRATCH || scratch_key == (pthread_key_t)-1) return aligned_alloc(64, size);
    scratch *block = pthread_getspecific(scratch_key);
    if (!block) {
        if (!(block = calloc(1, sizeof *block))) return NULL;
        if (pthread_setspecific(scratch_key, block) != 0) {
            free(block);
            return aligned_alloc(64, size);
        }
    }
    if (block->size < size) {
        free(block->memory);
        block->memory = aligned_alloc(64, size);
        block->size = block->memory ? size : 0;
    }
    *owned = 0;
    return block->memory;
}

// Carves 64-byte-aligned pieces out of one block; with `base` NULL it only adds up their size.
typedef struct {
    uint8_t *base;
    size_t used;
} carver;

static void *carve(carver *c, size_t size) {
    void *piece = c->base ? c->base + c->used : NULL;
    c->used += (size + 63) & ~(size_t)63;
    return piece;
}

// ---- Entry ------------------------------------------------------------------------------------------------

// Files decoded here: 8-bit baseline Huffman, one scan holding every component, no restart interval, grey or
// YCbCr made RGB, at 1/8 with every component at 1x1 or 2x2 and whole-number upsampling.
static int within_reach(j_decompress_ptr info) {
    if (info->data_precision != 8 || info->progressive_mode || info->arith_code || info->restart_interval != 0)
        return 0;
    if (info->comps_in_scan != info->num_components || info->Ss != 0 || info->Se != 63 || info->Ah || info->Al)
        return 0;
    if (info->min_DCT_scaled_size != 1 || info->CCIR601_sampling || info->quantize_colors) return 0;
    int grey = info->jpeg_color_space == JCS_GRAYSCALE && info->out_color_space == JCS_GRAYSCALE &&
               info->num_components == 1;
    int colour = info->jpeg_color_space == JCS_YCbCr && info->out_color_space == JCS_RGB &&
                 info->num_components == 3 && info->out_color_components == 3;
    if (!grey && !colour) return 0;
    if (info->blocks_in_MCU > MAX_PHASES) return 0;
    for (int c = 0; c < info->num_components; c++) {
        jpeg_component_info *component = &info->comp_info[c];
        int size = component->DCT_scaled_size;
        if (size != 1 && size != 2) return 0;
        if (!component->quant_table) return 0;
        if (info->max_h_samp_factor % (component->h_samp_factor * size) != 0) return 0;
        if (info->max_v_samp_factor % (component->v_samp_factor * size) != 0) return 0;
    }
    return 1;
}

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static atomic_int decodes_in_flight;

// Where everything goes in the scratch block; with `c->base` NULL, only how much there is. The scan, which both
// threads read for every block, and the tail, which the second thread fills, start lines of their own: beside
// the first thread's prediction state on its stack, the two cores spent the decode passing shared lines back and
// forth (18 ms a 12-megapixel photo instead of 11).
static void lay_out(carver *c, const scan *shape, assembler *a, size_t data_bytes, int split, scan **s, tail **t) {
    *s = carve(c, sizeof(scan));
    *t = carve(c, sizeof(tail));
    for (int component = 0; component < a->components; component++)
        a->plane[component] = carve(c, a->plane_stride[component] * a->plane_rows[component]);
    uint8_t *data = carve(c, data_bytes + PADDING);
    if (*s) {
        (*s)->data = data;
        **t = (tail){0};
    }
    if (!split) return;
    size_t keeping_phases = 0;
    for (int p = 0; p < shape->phases; p++) keeping_phases += shape->kinds[p].keeps ? 1 : 0;
    size_t capacity = shape->blocks, kept_capacity = shape->blocks / (size_t)shape->phases * keeping_phases;
    uint32_t *start = carve(c, capacity * sizeof(uint32_t));
    uint8_t *phase = carve(c, capacity);
    int16_t *dc = carve(c, capacity * sizeof(int16_t));
    uint32_t *kept_at = carve(c, capacity * sizeof(uint32_t));
    int16_t *kept = carve(c, kept_capacity * KEPT * sizeof(int16_t));
    if (!*t) return;
    **t = (tail){.capacity = capacity, .kept_capacity = kept_capacity, .start = start, .phase = phase, .dc = dc,
                 .kept_at = kept_at, .kept = kept};
}

int braid_jpeg_decode_eighth(j_decompress_ptr info, uint8_t *pixels, size_t stride, size_t split_bytes) {
    if (!within_reach(info)) return 0;
    pthread_once(&tables_once, fill_kept_slots);

    // The scan's shape and tables, then the assembler, on the stack until their place in the scratch is known.
    scan shape;
    assembler a = {0};
    a.components = info->num_components;
    a.phases = info->blocks_in_MCU;
    a.mcus_per_row = info->MCUs_per_row;
    fill_idct_limit(a.limit);
    shape.phases = a.phases;
    shape.blocks = (size_t)info->MCUs_per_row * info->MCU_rows_in_scan * (size_t)info->blocks_in_MCU;
    int phase = 0;
    for (int i = 0; i < info->comps_in_scan; i++) {
        jpeg_component_info *component = info->cur_comp_info[i];
        int c = (int)(component - info->comp_info);
        a.mcu_width[c] = component->MCU_width;
        a.mcu_height[c] = component->MCU_height;
        a.size[c] = component->DCT_scaled_size;
        a.plane_stride[c] = info->MCUs_per_row * (size_t)a.mcu_width[c] * (size_t)a.size[c];
        a.plane_rows[c] = info->MCU_rows_in_scan * (size_t)a.mcu_height[c] * (size_t)a.size[c];
        static const int line[5] = {0, 1, 3, 5, 7};
        for (int k = 0; k < KEPT; k++)
            a.quant[c][k] = (int16_t)component->quant_table->quantval[line[k / 5] * 8 + line[k % 5]];
        if (!build_huffman(info->dc_huff_tbl_ptrs[component->dc_tbl_no], &shape.dc[c]) ||
            !build_huffman(info->ac_huff_tbl_ptrs[component->ac_tbl_no], &shape.ac[c]))
            return 0;
        for (int y = 0; y < component->MCU_height; y++)
            for (int x = 0; x < component->MCU_width; x++, phase++) {
                if (phase >= MAX_PHASES) return 0;
                shape.kinds[phase].keeps = a.size[c] == 2;
                a.component[phase] = c;
                a.column[phase] = x;
                a.row[phase] = y;
            }
    }
    if (phase != a.phases) return 0;

    size_t available = info->src->bytes_in_buffer, length = 0;
    if (available >= ((size_t)1 << 29)) return 0;  // bit positions are kept in 32 bits
    // A second thread only while a core would otherwise idle: when the pipeline already decodes an image on
    // every core, splitting would cost 9% more CPU for nothing.
    int in_flight = atomic_fetch_add(&decodes_in_flight, 1) + 1;
    int split = split_bytes > 0 && available >= split_bytes && 2L * in_flight <= sysconf(_SC_NPROCESSORS_ONLN);
    scan *s;
    tail *t;
    carver sizing = {NULL, 0};
    lay_out(&sizing, &shape, &a, available, split, &s, &t);
    int owned;
    carver pieces = {scratch_memory(sizing.used, &owned), 0};
    if (!pieces.base) {
        atomic_fetch_sub(&decodes_in_flight, 1);
        return 0;
    }
    lay_out(&pieces, &shape, &a, available, split, &s, &t);
    uint8_t *data = s->data;
    *s = shape;
    s->data = data;
    for (int p = 0; p < s->phases; p++) {
        s->kinds[p].dc = &s->dc[a.component[p]];
        s->kinds[p].ac = &s->ac[a.component[p]];
    }

    int decoded = 0;
    pthread_t tail_thread;
    tail *tail_job = NULL;
    if (unstuff(info->src->next_input_byte, available, data, &length)) {
        memset(data + length, 0, PADDING);
        s->bits = (uint64_t)length * 8;
        t->scan = s;
        t->from = (uint64_t)(length / 2) * 8;
        if (split && pthread_create(&tail_thread, NULL, decode_tail, t) == 0) tail_job = t;
        decoded = decode_scan(s, &a, tail_job, &tail_thread);
        if (decoded && !write_pixels(info, &a, pixels, stride)) decoded = 0;
    }
    if (owned) free(pieces.base);
    atomic_fetch_sub(&decodes_in_flight, 1);
    return decoded;
}
