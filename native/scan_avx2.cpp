// AVX2 LRN and oLRN scans: scan_simd.h on 8-lane vectors.
#include <immintrin.h>

#include "avx2_math.h"
#include "kernels.h"
#include "scan_simd.h"

namespace lrn4j::avx2 {

LRN4J_SCAN_ENTRY_POINTS(__m256)

}  // namespace lrn4j::avx2
