// Work sharing for short kernel calls (see work_share.h): a pool of helper threads, started on first use
// and never stopped, and one job slot.
//
// Protocol. The caller that owns the pool publishes its job in `slot`, bumps `generation` (waking sleeping
// helpers with a futex), takes items from the front, then clears `slot` and waits until `inside` is 0. A
// helper increments `inside` before it reads `slot` and decrements it after its last access to the job,
// all sequentially consistent: a helper that reads the job's address is counted in `inside` before the
// caller can see 0 there, and one counted only later reads NULL (or a later call's job). So the job, which
// lives on the caller's stack, is never touched after the call returns. The release/acquire pairs on
// `slot` and `inside` make the inputs visible to the helpers and their outputs visible to the caller.
// `owned` marks the pool taken, by one share_work call or by a WorkSession for several; while it is taken
// an idle helper spins longer before it sleeps, since another round is likely to follow at once.
#include "work_share.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <mutex>
#include <system_error>
#include <thread>

namespace lrn4j {
namespace {

// A spinning helper picks up the next call within a microsecond; after this many pauses (roughly
// 10 microseconds) it sleeps instead. Spinning longer measured worse on the shared 2-core machine: a
// spinning helper takes a share of a core that the caller and other processes then lack.
constexpr int kSpins = 200;
// While a caller holds the helpers (a call in progress, or a WorkSession between its rounds), a helper
// spins this many times as long before it sleeps (roughly a millisecond).
constexpr int kHeldSpins = 100 * kSpins;
constexpr int kMaxHelpers = 255;

struct Job {
  void (*body)(void*, int64_t);
  void* ctx;
  std::atomic<uint64_t> range;  // items left: [low 32 bits, high 32 bits)
  std::atomic<int> seats;       // helpers that may still join (threads - 1)
};

constexpr uint64_t pack(uint64_t lo, uint64_t hi) { return (hi << 32) | lo; }

bool take(Job& job, bool front, int64_t& item) {
  uint64_t r = job.range.load(std::memory_order_relaxed);
  for (;;) {
    const uint64_t lo = r & 0xFFFFFFFFu, hi = r >> 32;
    if (lo >= hi) return false;
    const uint64_t next = front ? pack(lo + 1, hi) : pack(lo, hi - 1);
    if (job.range.compare_exchange_weak(r, next, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      item = static_cast<int64_t>(front ? lo : hi - 1);
      return true;
    }
  }
}

struct Pool {
  std::atomic<Job*> slot{nullptr};
  std::atomic<int> inside{0};
  std::atomic<uint32_t> generation{0};
  std::atomic<int> sleepers{0};
  std::atomic<bool> owned{false};
  std::mutex grow;
  int helpers = 0;  // guarded by grow
};

// Never destroyed: detached helpers may still run while the process exits.
Pool& pool() {
  static Pool* p = new Pool;
  return *p;
}

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex word");

void futex_wait(std::atomic<uint32_t>* word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void futex_wake_all(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

void helper_main(Pool* p) {
  uint32_t seen = p->generation.load(std::memory_order_acquire);
  for (;;) {
    for (int spins = 0; p->generation.load(std::memory_order_acquire) == seen;) {
      if (++spins < kSpins || (spins < kHeldSpins && p->owned.load(std::memory_order_relaxed))) {
        _mm_pause();
        continue;
      }
      p->sleepers.fetch_add(1, std::memory_order_seq_cst);
      futex_wait(&p->generation, seen);
      p->sleepers.fetch_sub(1, std::memory_order_seq_cst);
      spins = 0;
    }
    seen = p->generation.load(std::memory_order_acquire);
    p->inside.fetch_add(1, std::memory_order_seq_cst);
    Job* job = p->slot.load(std::memory_order_seq_cst);
    if (job && job->seats.fetch_sub(1, std::memory_order_relaxed) > 0) {
      int64_t item;
      while (take(*job, false, item)) job->body(job->ctx, item);
    }
    p->inside.fetch_sub(1, std::memory_order_seq_cst);
  }
}

// Starts helpers until there are `wanted`; stops early (using those there are) if a thread cannot start.
void ensure_helpers(Pool& p, int wanted) {
  std::lock_guard<std::mutex> lock(p.grow);
  while (p.helpers < wanted) {
    try {
      std::thread(helper_main, &p).detach();
    } catch (const std::system_error&) {
      return;
    }
    ++p.helpers;
  }
}

// Whether the calling thread holds the helpers through a WorkSession.
thread_local bool in_session = false;

}  // namespace

WorkSession::WorkSession(int threads) : held_(false) {
  if (threads > 1 && !in_session && !pool().owned.exchange(true, std::memory_order_acquire)) {
    held_ = true;
    in_session = true;
  }
}

WorkSession::~WorkSession() {
  if (held_) {
    in_session = false;
    pool().owned.store(false, std::memory_order_release);
  }
}

int64_t share_work(int64_t n, int threads, void (*body)(void* ctx, int64_t i), void* ctx) {
  if (n <= 0) return 0;
  Pool& p = pool();
  const int helpers = static_cast<int>(std::min<int64_t>({threads - 1, n - 1, kMaxHelpers}));
  const bool session = in_session;
  if (helpers <= 0 || (!session && p.owned.exchange(true, std::memory_order_acquire))) {
    for (int64_t i = 0; i < n; ++i) body(ctx, i);
    return 0;
  }
  ensure_helpers(p, helpers);
  Job job{body, ctx, {pack(0, static_cast<uint64_t>(n))}, {helpers}};
  p.slot.store(&job, std::memory_order_seq_cst);
  p.generation.fetch_add(1, std::memory_order_seq_cst);
  if (p.sleepers.load(std::memory_order_seq_cst) > 0) futex_wake_all(&p.generation);
  int64_t item, mine = 0;
  while (take(job, true, item)) {
    body(ctx, item);
    ++mine;
  }
  p.slot.store(nullptr, std::memory_order_seq_cst);
  for (int spins = 0; p.inside.load(std::memory_order_seq_cst) != 0; ++spins) {
    if (spins < kSpins) {
      _mm_pause();
    } else {
      sched_yield();
    }
  }
  if (!session) p.owned.store(false, std::memory_order_release);
  return n - mine;
}

}  // namespace lrn4j
