// Work sharing for short kernel calls: the calling thread and up to threads-1 helper threads run the
// items [0, n) of one call, each item exactly once.
//
// Unlike an OpenMP parallel region, the caller never waits for a helper that has not started: it starts
// on the items at once and, when none are left, waits only for items a helper has already taken. A helper
// that is slow to wake (another process holds its core) finds nothing left and goes back to sleep, so a
// call costs at most about what one thread alone would. Helpers take items from the back, the caller from
// the front: from one call to the next each thread tends to get the same items (the same data in its
// caches). Which thread runs an item changes nothing when items write disjoint outputs in a fixed order.
//
// One call at a time uses the helpers; a call that finds them busy (another thread's call) runs alone.
// Linux only (futex).
#ifndef LRN4J_NATIVE_WORK_SHARE_H
#define LRN4J_NATIVE_WORK_SHARE_H

#include <cstdint>

namespace lrn4j {

// Runs body(ctx, i) for every i in [0, n), on the calling thread and up to threads - 1 helpers; returns
// when all have run, with the number of items the helpers ran. body must not throw. n must fit in 31
// bits.
int64_t share_work(int64_t n, int threads, void (*body)(void* ctx, int64_t i), void* ctx);

// share_work with a callable: f(i).
template <class F>
int64_t share_work(int64_t n, int threads, F& f) {
  return share_work(n, threads, [](void* p, int64_t i) { (*static_cast<F*>(p))(i); }, &f);
}

// Holds the helpers for the calling thread across several share_work calls (the rounds of one kernel
// call), so that between rounds they keep spinning (up to about a millisecond) instead of going to sleep
// and being woken again. Without threads > 1, or when another thread holds the helpers, it holds nothing
// and the calls inside behave as without it. Not nestable.
class WorkSession {
 public:
  explicit WorkSession(int threads);
  ~WorkSession();
  WorkSession(const WorkSession&) = delete;
  WorkSession& operator=(const WorkSession&) = delete;

 private:
  bool held_;
};

}  // namespace lrn4j

#endif
