#include "TensorKernels.h"

// On x86-64 Linux each kernel is built three times, for AVX-512 (x86-64-v4), AVX2 with FMA (x86-64-v3) and the
// baseline, and an ifunc picks one when the library loads: the AVX-512 GELU runs 16 lanes where the baseline
// runs 4. Elsewhere (macOS, arm64) the one build the target asks for is used.
#if defined(__x86_64__) && defined(__linux__)
#define BRAID_DISPATCH __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define BRAID_DISPATCH
#endif

BRAID_DISPATCH
void braid_gelu(const float *source, float *target, long count) {
    for (long index = 0; index < count; index++) {
        float x = source[index];
        target[index] = 0.5f * x * (1 + braid_erf(x * 0.70710678118654752f));
    }
}

// Inlined into each dispatched function, so every build of it vectorises this loop for its own instruction set.
static inline float shifted_exponentials(const float *source, float *target, long count, float *peak) {
    // Sums in any order: softmax needs the total to float precision, not one summation order.
#pragma clang fp reassociate(on)
    float highest = -__builtin_inff();
    for (long index = 0; index < count; index++) highest = source[index] > highest ? source[index] : highest;
    float total = 0;
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
void braid_softmax(const float *source, float *target, long count) {
    float peak;
    float inverse = 1 / shifted_exponentials(source, target, count, &peak);
    for (long index = 0; index < count; index++) target[index] *= inverse;
}
