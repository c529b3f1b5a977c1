// CPU feature detection for the run-time choice of kernel set. A feature counts only when the CPU has
// it (cpuid) and the OS saves the register state it needs (xgetbv): AVX2 kernels need the YMM state,
// AVX-512 the ZMM and opmask state as well.
#include <cpuid.h>

#include <cstdint>

#include "kernels.h"
#include "lrn4j/lrn4j.h"

namespace lrn4j {
namespace {

// XCR0, the OS-enabled state components. Only valid to call when cpuid reports OSXSAVE.
uint64_t read_xcr0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

constexpr uint64_t kXcr0SseAvx = (1u << 1) | (1u << 2);             // XMM and YMM state
constexpr uint64_t kXcr0Avx512 = kXcr0SseAvx | (7u << 5);           // plus opmask, ZMM_Hi256, Hi16_ZMM

}  // namespace

int detect_cpu_features() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  const bool fma = ecx & bit_FMA;
  const bool avx = ecx & bit_AVX;
  const bool osxsave = ecx & bit_OSXSAVE;
  if (!avx || !osxsave) return 0;
  const uint64_t xcr0 = read_xcr0();
  if ((xcr0 & kXcr0SseAvx) != kXcr0SseAvx) return 0;

  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
  int features = 0;
  if ((ebx & bit_AVX2) && fma) features |= LRN4J_CPU_AVX2;
  if ((ebx & bit_AVX512F) && (xcr0 & kXcr0Avx512) == kXcr0Avx512) features |= LRN4J_CPU_AVX512F;
  return features;
}

}  // namespace lrn4j
