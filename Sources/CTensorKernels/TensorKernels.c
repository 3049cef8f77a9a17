// sincos is a GNU extension of math.h.
#define _GNU_SOURCE
#include "TensorKernels.h"

#include <math.h>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

// Subnormal floats (below 1.2e-38) arise where a value shrinks step after step: the Adam moments of a weight whose
// gradient is always zero (a pixel blank in every image) fall by β each step, and the sigmoid of a blank pixel's
// logit goes below it as training pushes the logit down. On Intel cores every operation on one takes a microcode
// assist: Adam grew from 6% to 20% of the VAE's profile by its third epoch, its epochs from 1.5 to 3.0 s. At that
// size they carry nothing, so the loops that make them flush them to zero (FTZ and DAZ), and put back the
// caller's mode after. Elsewhere (arm64) subnormals cost no more than other floats.
static inline unsigned int flush_subnormals(void) {
#if defined(__x86_64__)
    const unsigned int caller_mode = _mm_getcsr();
    _mm_setcsr(caller_mode | 0x8040);
    return caller_mode;
#else
    return 0;
#endif
}

static inline void restore_float_mode(unsigned int caller_mode) {
#if defined(__x86_64__)
    _mm_setcsr(caller_mode);
#else
    (void)caller_mode;
#endif
}

// On x86-64 Linux each kernel is built three times, for AVX-512 (x86-64-v4), AVX2 with FMA (x86-64-v3) and the
// baseline, and an ifunc picks one when the library loads: the AVX-512 GELU runs 16 lanes where the baseline
// runs 4. Elsewhere (macOS, arm64) the one build the target asks for is used.
#if defined(__x86_64__) && defined(__linux__)
#define BRAID_DISPATCH __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define BRAID_DISPATCH
#endif

// Every loop reads element i and writes element i only, so it is safe whether `target` is `source` or
// elsewhere; `vectorize(assume_safety)` says so. Without it the compiler guards the vector loop with an overlap
// test that an in-place call fails, and runs the scalar loop instead (GELU went to 17% of MiniLM's time).

BRAID_DISPATCH
void braid_gelu(const float *source, float *target, long count) {
#pragma clang loop vectorize(assume_safety)
    for (long index = 0; index < count; index++) {
        float x = source[index];
        target[index] = 0.5f * x * (1 + braid_erf(x * 0.70710678118654752f));
    }
}

static inline float maximum(const float *values, long count) {
    float highest = -__builtin_inff();
    for (long index = 0; index < count; index++) highest = values[index] > highest ? values[index] : highest;
    return highest;
}

// Inlined into each dispatched function, so every build vectorises it for its own instruction set.
static inline float shifted_exponentials(const float *source, float *target, long count, float *peak) {
    // Sums in any order: softmax needs the total to float precision, not one summation order.
#pragma clang fp reassociate(on)
    float highest = maximum(source, count);
    float total = 0;
#pragma clang loop vectorize(assume_safety)
    for (long index = 0; index < count; index++) {
        float value = braid_exp(source[index] - highest);
        target[index] = value;
        total += value;
    }
    *peak = highest;
    return total;
}

BRAID_DISPATCH
float braid_shifted_exponentials(const float *source, float *target, long count, float *peak) {
    return shifted_exponentials(source, target, count, peak);
}

BRAID_DISPATCH
void braid_softmax_backward(
    const float *restrict output, const float *restrict gradient, float *restrict input_gradient, long count) {
#pragma clang fp reassociate(on)
    float dot = 0;
    for (long index = 0; index < count; index++) dot += gradient[index] * output[index];
    for (long index = 0; index < count; index++) input_gradient[index] = output[index] * (gradient[index] - dot);
}

BRAID_DISPATCH
void braid_softmax(const float *source, float *target, long count) {
    float peak;
    float inverse = 1 / shifted_exponentials(source, target, count, &peak);
#pragma clang loop vectorize(assume_safety)
    for (long index = 0; index < count; index++) target[index] *= inverse;
}

BRAID_DISPATCH
void braid_relu(const float *source, float *target, long count) {
#pragma clang loop vectorize(assume_safety)
    for (long index = 0; index < count; index++) target[index] = source[index] > 0 ? source[index] : 0;
}

BRAID_DISPATCH
void braid_relu_backward(const float *restrict source, const float *restrict gradient, float *restrict input_gradient,
                         long count) {
    for (long index = 0; index < count; index++) input_gradient[index] = source[index] > 0 ? gradient[index] : 0;
}

BRAID_DISPATCH
float braid_sum(const float *values, long count) {
#pragma clang fp reassociate(on)
    float total = 0;
    for (long index = 0; index < count; index++) total += values[index];
    return total;
}

BRAID_DISPATCH
float braid_sum_squared_deviations(const float *values, long count, float mean) {
#pragma clang fp reassociate(on)
    float total = 0;
    for (long index = 0; index < count; index++) total += (values[index] - mean) * (values[index] - mean);
    return total;
}

BRAID_DISPATCH
void braid_scale_shift(const float *source, float *target, long count, float scale, float shift) {
#pragma clang loop vectorize(assume_safety)
    for (long index = 0; index < count; index++) target[index] = source[index] * scale + shift;
}

BRAID_DISPATCH
void braid_sum_gradient_moments(const float *restrict gradient, const float *restrict source, long count, float mean,
                                float *sum_g, float *sum_gx) {
#pragma clang fp reassociate(on)
    float total = 0, weighted = 0;
    for (long index = 0; index < count; index++) {
        total += gradient[index];
        weighted += gradient[index] * (source[index] - mean);
    }
    *sum_g += total;
    *sum_gx += weighted;
}

BRAID_DISPATCH
void braid_batch_norm_input_gradient(const float *restrict gradient, const float *restrict source,
                                     float *restrict input_gradient, long count, float mean, float inverse_deviation,
                                     float gain, float mean_g, float mean_gx) {
    for (long index = 0; index < count; index++) {
        float normalized = (source[index] - mean) * inverse_deviation;
        input_gradient[index] = gain * (gradient[index] - mean_g - normalized * mean_gx);
    }
}

// The 2×2, stride-2 window of most CNNs, branch-free so that it vectorises; the same result as the general loop.
static inline void max_pool_2x2(const float *restrict plane, long width, long out_height, long out_width,
                                float *restrict target, int32_t *restrict winners) {
    for (long row = 0; row < out_height; row++) {
        const float *upper = plane + 2 * row * width, *lower = upper + width;
        float *out = target + row * out_width;
        if (!winners) {
            for (long column = 0; column < out_width; column++) {
                float a = upper[2 * column], b = upper[2 * column + 1];
                float c = lower[2 * column], d = lower[2 * column + 1];
                float top = b > a ? b : a, bottom = d > c ? d : c;
                out[column] = bottom > top ? bottom : top;
            }
            continue;
        }
        int32_t *indices = winners + row * out_width;
        int32_t base = (int32_t)(2 * row * width);
        for (long column = 0; column < out_width; column++) {
            float a = upper[2 * column], b = upper[2 * column + 1];
            float c = lower[2 * column], d = lower[2 * column + 1];
            int32_t first = base + (int32_t)(2 * column);
            float top = b > a ? b : a, bottom = d > c ? d : c;
            int32_t top_index = b > a ? first + 1 : first;
            int32_t bottom_index = (d > c ? first + 1 : first) + (int32_t)width;
            out[column] = bottom > top ? bottom : top;
            indices[column] = bottom > top ? bottom_index : top_index;
        }
    }
}

BRAID_DISPATCH
void braid_max_pool_plane(const float *restrict plane, long height, long width, const long window[6],
                          long out_height, long out_width, float *restrict target, int32_t *restrict winners) {
    long kernel_height = window[0], kernel_width = window[1], stride_height = window[2], stride_width = window[3];
    long pad_height = window[4], pad_width = window[5];
    if (kernel_height == 2 && kernel_width == 2 && stride_height == 2 && stride_width == 2 && pad_height == 0 &&
        pad_width == 0) {
        max_pool_2x2(plane, width, out_height, out_width, target, winners);
        return;
    }
    for (long row = 0; row < out_height; row++) {
        long top = row * stride_height - pad_height;
        long row_begin = top < 0 ? 0 : top;
        long row_end = top + kernel_height > height ? height : top + kernel_height;
        for (long column = 0; column < out_width; column++) {
            long left = column * stride_width - pad_width;
            long column_begin = left < 0 ? 0 : left;
            long column_end = left + kernel_width > width ? width : left + kernel_width;
            // Padding never wins: the first element inside the image starts the search.
            long best_index = row_begin * width + column_begin;
            float best = plane[best_index];
            for (long i = row_begin; i < row_end; i++) {
                for (long j = column_begin; j < column_end; j++) {
                    // Strictly greater keeps the first maximum on ties.
                    if (plane[i * width + j] > best) {
                        best = plane[i * width + j];
                        best_index = i * width + j;
                    }
                }
            }
            target[row * out_width + column] = best;
            if (winners) winners[row * out_width + column] = (int32_t)best_index;
        }
    }
}

BRAID_DISPATCH
void braid_sigmoid(const float *source, float *target, long count) {
#pragma clang loop vectorize(assume_safety)
    for (long index = 0; index < count; index++) target[index] = 1 / (1 + braid_exp(-source[index]));
}

BRAID_DISPATCH
void braid_sigmoid_backward(const float *restrict output, const float *restrict gradient,
                            float *restrict input_gradient, long count) {
    for (long index = 0; index < count; index++) {
        input_gradient[index] = gradient[index] * output[index] * (1 - output[index]);
    }
}

BRAID_DISPATCH
void braid_silu(const float *source, float *target, long count) {
#pragma clang loop vectorize(assume_safety)
    for (long index = 0; index < count; index++) target[index] = source[index] / (1 + braid_exp(-source[index]));
}

// x·σ(1.702·x): the sigmoid approximation of GELU OpenAI's CLIP was trained with.
BRAID_DISPATCH
void braid_quick_gelu(const float *source, float *target, long count) {
#pragma clang loop vectorize(assume_safety)
    for (long index = 0; index < count; index++) {
        target[index] = source[index] / (1 + braid_exp(-1.702f * source[index]));
    }
}

BRAID_DISPATCH
void braid_silu_backward(const float *restrict source, const float *restrict gradient, float *restrict input_gradient,
                         long count) {
    for (long index = 0; index < count; index++) {
        float x = source[index];
        float s = 1 / (1 + braid_exp(-x));
        input_gradient[index] = gradient[index] * s * (1 + x * (1 - s));
    }
}

BRAID_DISPATCH
void braid_softplus(const float *source, float *target, long count) {
#pragma clang loop vectorize(assume_safety)
    for (long index = 0; index < count; index++) {
        float x = source[index];
        float magnitude = x < 0 ? -x : x;
        target[index] = (x > 0 ? x : 0) + braid_log1p_exp_negative(magnitude);
    }
}

BRAID_DISPATCH
void braid_softplus_backward(const float *restrict source, const float *restrict gradient,
                             float *restrict input_gradient, long count) {
    for (long index = 0; index < count; index++) {
        input_gradient[index] = gradient[index] / (1 + braid_exp(-source[index]));
    }
}

BRAID_DISPATCH
void braid_adam_step(float *restrict parameters, const float *restrict gradients, float *restrict first_moments,
                     float *restrict second_moments, long count, float rate, float beta1, float beta2,
                     float correction1, float correction2, float epsilon, float decay, float l2) {
    const unsigned int caller_mode = flush_subnormals();
    for (long index = 0; index < count; index++) {
        float direction = gradients[index] + l2 * parameters[index];
        float parameter = parameters[index] * decay;
        float m = beta1 * first_moments[index] + (1 - beta1) * direction;
        float v = beta2 * second_moments[index] + (1 - beta2) * direction * direction;
        first_moments[index] = m;
        second_moments[index] = v;
        // The elementwise builtin, unlike sqrtf, never sets errno (v is never negative), so the loop vectorises.
        parameters[index] =
            parameter - rate * (m / correction1) / (__builtin_elementwise_sqrt(v / correction2) + epsilon);
    }
    restore_float_mode(caller_mode);
}

BRAID_DISPATCH
void braid_gelu_backward(const float *restrict source, const float *restrict gradient, float *restrict input_gradient,
                         long count) {
    const float inverse_square_root_two = 0.70710678f, inverse_square_root_two_pi = 0.39894228f;
    for (long index = 0; index < count; index++) {
        float x = source[index];
        float cdf = 0.5f * (1 + braid_erf(x * inverse_square_root_two));
        input_gradient[index] = gradient[index] * (cdf + x * inverse_square_root_two_pi * braid_exp(-0.5f * x * x));
    }
}

BRAID_DISPATCH
float braid_binary_cross_entropy_sum(const float *logits, const float *targets, long count) {
#pragma clang fp reassociate(on)
    float total = 0;
    for (long index = 0; index < count; index++) {
        float x = logits[index];
        float magnitude = x < 0 ? -x : x;
        total += (x > 0 ? x : 0) + braid_log1p_exp_negative(magnitude) - x * targets[index];
    }
    return total;
}

BRAID_DISPATCH
void braid_binary_cross_entropy_backward(const float *restrict logits, const float *restrict targets,
                                         float *restrict input_gradient, long count, float scale) {
    const unsigned int caller_mode = flush_subnormals();
    for (long index = 0; index < count; index++) {
        input_gradient[index] = scale * (1 / (1 + braid_exp(-logits[index])) - targets[index]);
    }
    restore_float_mode(caller_mode);
}

void braid_sincos(double x, double *sine, double *cosine) { sincos(x, sine, cosine); }
