// AVX-512F LRN and oLRN scans: scan_simd.h on 16-lane vectors, partial vectors through an __mmask16.
// Compiled with -mavx512f -mfma and called only after dispatch.cpp has seen AVX-512F and its
// OS-enabled register state.
#include <immintrin.h>

#include "avx512_math.h"
#include "kernels.h"
#include "scan_simd.h"

namespace lrn4j::avx512 {

LRN4J_SCAN_ENTRY_POINTS(__m512)

}  // namespace lrn4j::avx512
