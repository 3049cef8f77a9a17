#ifndef BRAID_CLIBFUZZER_H
#define BRAID_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (compiler-rt, FuzzerDriver.cpp): parses the fuzzer flags in argv and calls `callback`
/// with each input. SwiftPM links an executable's own entry point as `main`, so libFuzzer's `main` is not used
/// and each target's `main` calls this instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
