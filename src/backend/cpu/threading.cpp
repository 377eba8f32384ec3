// Copyright © 2026 Tandem authors.
#include "backend/cpu/threading.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tandem::cpu {

namespace {

// Spinning before blocking: waking a thread blocked on a condition variable took 100-300 us on
// the 2-core development VM, so a parallel region of a few hundred microseconds often ran
// serially (the caller had done every chunk before the worker woke up). So an idle worker polls
// for the next region, and the caller for the last chunk, for up to a budget (100 us) before
// blocking, with pause instructions and a yield of the core every microsecond or so (OpenBLAS's
// workers spin ~0.1 s). On a quiet machine a 256^3 GEMM split over the pool took 0.17 ms instead
// of 0.2-0.34 ms and the MLP training step 4.9 ms instead of 5.7 ms; on a busy one the yields keep
// the spin from costing time (the CNN epoch as fast as without spinning; without the yields it was
// 20% slower). TANDEM_POOL_SPIN_US sets the budget (0: block at once).
std::chrono::microseconds spin_budget() {
  static const std::chrono::microseconds b = [] {
    const char* e = std::getenv("TANDEM_POOL_SPIN_US");
    return std::chrono::microseconds(e ? std::max(0, std::atoi(e)) : 100);
  }();
  return b;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

/// Polls `done()` for up to spin_budget(); true when it became true.
template <typename F>
bool spin_until(F&& done) {
  if (done()) return true;
  const auto budget = spin_budget();
  if (budget.count() == 0) return false;
  const auto until = std::chrono::steady_clock::now() + budget;
  while (true) {
    for (int i = 0; i < 32; ++i) {
      cpu_relax();
      if (done()) return true;
    }
    if (std::chrono::steady_clock::now() >= until) return done();
    // Let any other runnable thread have this core: on a busy machine the spin then costs the
    // other programs (and this process's own threads) next to nothing.
    std::this_thread::yield();
  }
}

class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    stop();
    for (int i = 1; i < n; ++i)
      workers_.emplace_back([this, i] { loop(i); });
  }

  // Runs job(i) for i in [0, chunks); chunk 0 on the caller.
  void run(int chunks, const std::function<void(int)>& job) {
    std::unique_lock<std::mutex> run_lock(run_mu_);  // one parallel region at a time
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &job;
      error_ = nullptr;
      pending_.store(chunks - 1, std::memory_order_relaxed);
      // Chunks are claimed from one word holding (region, chunk count, next chunk): a worker
      // still claiming from the previous region's counter gets a consistent (count, index) pair
      // and never a chunk twice. The release store publishes job_ to the claimers.
      const uint64_t gen = generation_.load(std::memory_order_relaxed) + 1;
      next_.store((gen << 32) | (static_cast<uint64_t>(chunks) << 16) | 1,
                  std::memory_order_release);
      generation_.store(gen, std::memory_order_release);  // wakes the idle workers
    }
    cv_.notify_all();
    try {
      job(0);
    } catch (...) {
      std::lock_guard<std::mutex> lk(mu_);
      if (!error_) error_ = std::current_exception();
    }
    // The caller helps with remaining chunks too.
    for (int c; (c = claim()) >= 0;)
      execute(c);
    if (!spin_until([this] { return pending_.load(std::memory_order_acquire) == 0; })) {
      std::unique_lock<std::mutex> lk(mu_);
      done_cv_.wait(lk, [this] { return pending_.load(std::memory_order_acquire) == 0; });
    }
    std::lock_guard<std::mutex> lk(mu_);
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  /// The next unclaimed chunk of the current region, or -1.
  int claim() {
    const uint64_t v = next_.fetch_add(1, std::memory_order_acq_rel);
    const int c = static_cast<int>(v & 0xffff), n = static_cast<int>((v >> 16) & 0xffff);
    return c < n ? c : -1;
  }

  void execute(int c) {
    try {
      (*job_)(c);
    } catch (...) {
      std::lock_guard<std::mutex> lk(mu_);
      if (!error_) error_ = std::current_exception();
    }
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lk(mu_);  // the caller may be about to block
      done_cv_.notify_all();
    }
  }

  void loop(int) {
    uint64_t seen = 0;
    while (true) {
      auto ready = [&] {
        return stopping_.load(std::memory_order_acquire) ||
               generation_.load(std::memory_order_acquire) != seen;
      };
      if (!spin_until(ready)) {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, ready);
      }
      if (stopping_.load(std::memory_order_acquire)) return;
      seen = generation_.load(std::memory_order_acquire);
      for (int c; (c = claim()) >= 0;)
        execute(c);
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_.store(true, std::memory_order_release);
    }
    cv_.notify_all();
    for (auto& t : workers_)
      t.join();
    workers_.clear();
    stopping_.store(false, std::memory_order_release);
  }

  std::vector<std::thread> workers_;
  std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* job_{nullptr};
  std::atomic<uint64_t> next_{0};
  std::atomic<int> pending_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stopping_{false};
  std::exception_ptr error_;
};

int default_threads() {
  if (const char* e = std::getenv("TANDEM_NUM_THREADS")) {
    int n = std::atoi(e);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

Pool& pool() {
  static Pool* p = new Pool(default_threads());  // leaked: workers must outlive static arrays
  return *p;
}

thread_local bool t_in_parallel = false;

}  // namespace

int num_threads() {
  return pool().size();
}

void set_num_threads(int n) {
  pool().resize(std::max(1, n));
}

void parallel_for(size_t n, size_t grain, const std::function<void(size_t, size_t)>& f) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  size_t max_chunks = (n + grain - 1) / grain;
  int threads = t_in_parallel ? 1 : num_threads();
  int chunks = static_cast<int>(std::min<size_t>({max_chunks, size_t(threads), size_t(1) << 15}));
  if (chunks <= 1) {
    f(0, n);
    return;
  }
  size_t per = (n + chunks - 1) / chunks;
  pool().run(chunks, [&](int c) {
    size_t b = c * per;
    size_t e = std::min(n, b + per);
    if (b >= e) return;
    bool prev = t_in_parallel;
    t_in_parallel = true;
    f(b, e);
    t_in_parallel = prev;
  });
}

}  // namespace tandem::cpu
