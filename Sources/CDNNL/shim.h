#include <oneapi/dnnl/dnnl.h>
// Debian's oneDNN runs on GNU OpenMP, whose thread count is a per-thread setting: BraidTensor.BLAS applies the
// thread budget on the calling thread before each call. Declared here because omp.h lies in the compiler's own
// include folder, which Swift's clang does not search.
int omp_get_max_threads(void);
void omp_set_num_threads(int num_threads);
