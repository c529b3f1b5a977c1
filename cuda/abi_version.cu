// The ABI version this library was built with, so that a caller can refuse a mismatched library.
#include "lrn4j/lrn4j.h"
#include "lrn4j/lrn4j_cuda.h"
#include "launch.cuh"

LRN4J_CUDA_EXPORT int lrn4j_cuda_abi_version(void) { return LRN4J_ABI_VERSION; }
