#include <cblas.h>
// OpenBLAS extensions: the thread budget is set once per run (see BraidTensor.ThreadBudget).
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// The kernel family OpenBLAS chose for this CPU at load time ("Haswell", "SkylakeX", or "Prescott" when it did not
// recognise the CPU).
char *openblas_get_corename(void);
