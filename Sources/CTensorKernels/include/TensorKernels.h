#ifndef BRAID_TENSOR_KERNELS_H
#define BRAID_TENSOR_KERNELS_H

#include <stdint.h>
#include <string.h>

// Branch-free expf and erf that compilers vectorise, for the loops where libm's scalar calls dominated
// (softmax, sigmoid, SiLU, GELU). Swift calls them inline; the loops in TensorKernels.c also come in AVX-512
// and AVX2 builds that the loader picks at start-up, which a Swift target built for baseline x86-64 cannot do.

// Cody–Waite range reduction, x = n·ln2 + r with |r| ≤ ln2/2, then the degree-6 polynomial for e^r from Cephes'
// `expf` (S. Moshier), scaled by 2^n through the exponent bits. Within 2 ulp of `expf` over the clamped range;
// inputs are clamped to [-86.6, 88.7], so e^-∞ gives 2.4e-38 (not 0) and overflow gives 3.4e38 (not ∞), which no
// softmax or sigmoid can tell apart.
static inline float braid_exp(float x) {
    // Selects rather than fminf/fmaxf, whose NaN rules keep loops scalar.
    float low = x < -86.6f ? -86.6f : x;
    float clamped = low > 88.72283f ? 88.72283f : low;
    // 1.5·2²³: adding it rounds a float in ±2²² to an integer held in the low mantissa bits.
    const float rounding_magic = 12582912.0f;
    float shifted = clamped * 1.44269504f + rounding_magic;
    float n = shifted - rounding_magic;
    // ln 2 split in two so n·ln2_high is exact.
    float r = clamped - n * 0.693359375f + n * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.16657959e-2f;
    p = p * r + 1.66666655e-1f;
    p = p * r + 5.00000012e-1f;
    float exp_r = p * r * r + r + 1;
    // 2^n = 2·2^(n-1): n sits in the low bits of `shifted`; n - 1 + 127 lies in 1...254 for every clamped input,
    // so the exponent field never reaches the zero or infinity codes.
    int32_t shifted_bits, magic_bits;
    memcpy(&shifted_bits, &shifted, 4);
    memcpy(&magic_bits, &rounding_magic, 4);
    int32_t scale_bits = (int32_t)((uint32_t)(shifted_bits - magic_bits + 126) << 23);
    float scale;
    memcpy(&scale, &scale_bits, 4);
    return 2 * exp_r * scale;
}

// erf(x) by Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7, about 5e-7 once evaluated in float).
static inline float braid_erf(float x) {
    float magnitude = x < 0 ? -x : x;
    float t = 1 / (1 + 0.3275911f * magnitude);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    float value = 1 - p * t * braid_exp(-magnitude * magnitude);
    return x < 0 ? -value : value;
}

// log(1 + e^-a) for a ≥ 0, branch-free so loops vectorise: u = e^-a in (0, 1], then Cephes' `logf` polynomial
// (S. Moshier) on f = u, or on f = (u − 1)/2 plus ln 2 when u > √2 − 1, so f stays in [√½ − 1, √2 − 1] and is
// formed without the rounding of 1 + u. Within a few ulp of log1pf.
static inline float braid_log1p_exp_negative(float a) {
    float u = braid_exp(-a);
    int halved = u > 0.41421356f;
    float f = halved ? (u - 1) * 0.5f : u;
    float z = f * f;
    float p = 7.0376836292e-2f;
    p = p * f - 1.1514610310e-1f;
    p = p * f + 1.1676998740e-1f;
    p = p * f - 1.2420140846e-1f;
    p = p * f + 1.4249322787e-1f;
    p = p * f - 1.6668057665e-1f;
    p = p * f + 2.0000714765e-1f;
    p = p * f - 2.4999993993e-1f;
    p = p * f + 3.3333331174e-1f;
    float log_f = f + (f * z * p - 0.5f * z);
    return halved ? log_f + 0.69314718f : log_f;
}

// Exact GELU's backward: input_gradient = g·(Φ(x) + x·φ(x)); `input_gradient` must not overlap either.
void braid_gelu_backward(const float *source, const float *gradient, float *input_gradient, long count);

// Sigmoid, 1 / (1 + e^-x), from `source` into `target` (which may be `source`).
void braid_sigmoid(const float *source, float *target, long count);

// Sigmoid's backward from its output y: input_gradient = g·y·(1 − y); `input_gradient` must not overlap either.
void braid_sigmoid_backward(const float *output, const float *gradient, float *input_gradient, long count);

// SiLU, x·sigmoid(x) (the swish of diffusion U-Nets), from `source` into `target` (which may be `source`).
void braid_silu(const float *source, float *target, long count);
void braid_quick_gelu(const float *source, float *target, long count);

// SiLU's backward: input_gradient = g·s·(1 + x·(1 − s)), s = sigmoid(x); must not overlap either.
void braid_silu_backward(const float *source, const float *gradient, float *input_gradient, long count);

// Softplus, log(1 + e^x) = max(x, 0) + log(1 + e^-|x|), from `source` into `target` (which may be `source`).
void braid_softplus(const float *source, float *target, long count);

// Softplus's backward: input_gradient = g·sigmoid(x); `input_gradient` must not overlap either.
void braid_softplus_backward(const float *source, const float *gradient, float *input_gradient, long count);

// Σ softplus(x) − x·y over `count` logits x and targets y, summed in any order: binary cross-entropy on logits.
float braid_binary_cross_entropy_sum(const float *logits, const float *targets, long count);

// Binary cross-entropy's logit gradient: input_gradient = scale·(sigmoid(x) − y); must not overlap either.
void braid_binary_cross_entropy_backward(const float *logits, const float *targets, float *input_gradient, long count,
                                         float scale);

// One Adam step over `count` parameters (Kingma & Ba, 2015; PyTorch's update order): with d = g + l2·p,
// p ← p·decay, m ← β₁m + (1 − β₁)d, v ← β₂v + (1 − β₂)d², p ← p − rate·(m/c₁)/(√(v/c₂) + ε). AdamW passes its
// decoupled decay as `decay` = 1 − rate·λ and l2 = 0; L2-regularised Adam passes decay = 1 and l2 = λ.
void braid_adam_step(float *parameters, const float *gradients, float *first_moments, float *second_moments,
                     long count, float rate, float beta1, float beta2, float correction1, float correction2,
                     float epsilon, float decay, float l2);

// Exact GELU, x·Φ(x) = ½·x·(1 + erf(x/√2)), of `count` values from `source` into `target` (which may be `source`).
void braid_gelu(const float *source, float *target, long count);

// Writes exp(x - max) of `count` values into `target` (which may be `source`), stores the max in `*peak` and
// returns the sum of the exponentials: the shared first half of softmax and log-softmax.
float braid_shifted_exponentials(const float *source, float *target, long count, float *peak);

// softmax of `count` values from `source` into `target` (which may be `source`): exp(x - max) / Σ exp(x - max).
void braid_softmax(const float *source, float *target, long count);

// softmax's backward over `count` values: `input_gradient = y · (g − Σ g·y)`, for output `y` and its gradient `g`;
// `input_gradient` is written and must not overlap either.
void braid_softmax_backward(const float *output, const float *gradient, float *input_gradient, long count);

// ReLU's forward, max(x, 0), from `source` into `target` (which may be `source`).
void braid_relu(const float *source, float *target, long count);

// ReLU's backward: input_gradient = gradient where source > 0, else 0; `input_gradient` must not overlap either.
void braid_relu_backward(const float *source, const float *gradient, float *input_gradient, long count);

// Σ values of `count` floats, summed in any order (vectorised).
float braid_sum(const float *values, long count);

// Σ (x − mean)² of `count` floats, summed in any order: the second pass of a two-pass variance.
float braid_sum_squared_deviations(const float *values, long count, float mean);

// target[i] = source[i]·scale + shift; `target` may be `source`.
void braid_scale_shift(const float *source, float *target, long count, float scale, float shift);

// Σ g and Σ g·(x − mean) over `count` pairs, added to `*sum_g` and `*sum_gx`: the reductions of a batch norm's
// backward pass.
void braid_sum_gradient_moments(const float *gradient, const float *source, long count, float mean, float *sum_g,
                                float *sum_gx);

// A batch norm's input gradient over one plane: dx = gain·(g − mean_g − (x − mean)·inverse_deviation·mean_gx).
void braid_batch_norm_input_gradient(const float *gradient, const float *source, float *input_gradient, long count,
                                     float mean, float inverse_deviation, float gain, float mean_g, float mean_gx);

// Max pooling of one (height, width) plane into (out_height, out_width), `window` = {kernel height, kernel width,
// stride height, stride width, padding height, padding width}; padding never wins. Writes the maxima to `target`
// and, when `winners` is not NULL, the plane index of each maximum (the first on ties, row-major). Every window
// must overlap the plane, as PyTorch's output size rule ensures when padding is at most half the kernel.
void braid_max_pool_plane(const float *plane, long height, long width, const long window[6], long out_height,
                          long out_width, float *target, int32_t *winners);

// sin(x) and cos(x), bit for bit as libm's sin and cos give them, from one argument reduction (glibc's sincos).
void braid_sincos(double x, double *sine, double *cosine);

#endif
