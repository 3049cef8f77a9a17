#include <oneapi/dnnl/dnnl.h>
// Debian's oneDNN runs on GNU OpenMP, whose thread count is a per-thread setting: BraidTensor.BLAS applies the
// thread budget on the calling thread before each call. Declared here because omp.h lies in the compiler's own
// include folder, which Swift's clang does not search.
int omp_get_max_threads(void);
void omp_set_num_threads(int num_threads);

// What `#pragma omp parallel` compiles to under GCC (libgomp's ABI since GCC 4.9): runs fn(data) on a team of
// `num_threads`, the calling thread included, and returns when all have. BraidTensor's own loops run on it, so they
// share oneDNN's threads instead of competing with them while those spin between regions.
void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
int omp_get_thread_num(void);
