// share_work (native/work_share.h): every item runs exactly once and its writes are visible when the call
// returns, for item counts from 0 up, thread counts 1 to 4, back-to-back calls (helpers still spinning)
// and calls after a pause (helpers asleep), several calls in one WorkSession, and several callers at once
// (one gets the helpers, the others run alone), with and without sessions. Exit code: 0 pass, 1 fail.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "work_share.h"

namespace {

std::atomic<int> failures{0};

void fail(const char* what, long long a, long long b) {
  if (failures.fetch_add(1) < 20) std::printf("FAILED %s (%lld, %lld)\n", what, a, b);
}

// One call over n items; each item writes its slot (plain stores the caller must see) and counts itself.
void one_call(int64_t n, int threads, unsigned salt) {
  std::vector<int64_t> out(static_cast<size_t>(n), -1);
  std::vector<std::atomic<int>> runs(static_cast<size_t>(n));
  for (auto& r : runs) r.store(0, std::memory_order_relaxed);
  auto item = [&](int64_t i) {
    runs[static_cast<size_t>(i)].fetch_add(1, std::memory_order_relaxed);
    // A little work of varying length, so that helpers get to take some items.
    volatile unsigned x = salt;
    for (int64_t s = 0; s < (i * 7 + salt) % 50 * 20; ++s) x = x * 1664525u + 1013904223u;
    out[static_cast<size_t>(i)] = i * 3 + salt;
  };
  const int64_t helped = lrn4j::share_work(n, threads, item);
  if (helped < 0 || helped > n || (threads == 1 && helped != 0)) fail("items the helpers ran", n, helped);
  for (int64_t i = 0; i < n; ++i) {
    if (runs[static_cast<size_t>(i)].load(std::memory_order_relaxed) != 1) fail("item not run exactly once", n, i);
    if (out[static_cast<size_t>(i)] != i * 3 + static_cast<int64_t>(salt)) fail("item's write not visible", n, i);
  }
}

}  // namespace

int main() {
  unsigned salt = 1;
  for (int threads = 1; threads <= 4; ++threads) {
    for (int64_t n = 0; n <= 40; ++n) one_call(n, threads, salt++);
    for (int rep = 0; rep < 2000; ++rep) one_call(1 + rep % 13, threads, salt++);
    for (int rep = 0; rep < 5; ++rep) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      one_call(9, threads, salt++);
    }
  }
  for (int threads = 1; threads <= 3; ++threads) {
    for (int rep = 0; rep < 200; ++rep) {
      const lrn4j::WorkSession session(threads);
      for (int round = 0; round < 4; ++round) one_call(1 + (rep + round) % 11, threads, salt++);
    }
  }
  std::vector<std::thread> callers;
  for (int t = 0; t < 3; ++t) {
    callers.emplace_back([t] {
      for (int rep = 0; rep < 1000; ++rep) {
        if (rep % 2 == 0) {
          one_call(1 + (rep + t) % 17, 3, 1000u * (t + 1) + rep);
        } else {
          const lrn4j::WorkSession session(3);
          one_call(1 + (rep + t) % 17, 3, 1000u * (t + 1) + rep);
          one_call(1 + (rep + t) % 5, 3, 1000u * (t + 1) + rep + 7);
        }
      }
    });
  }
  for (auto& t : callers) t.join();
  if (failures.load() != 0) {
    std::printf("test_work_share: %d failing checks\n", failures.load());
    return 1;
  }
  std::printf("test_work_share: all checks passed\n");
  return 0;
}
