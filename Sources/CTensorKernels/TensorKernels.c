#include "TensorKernels.h"

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
