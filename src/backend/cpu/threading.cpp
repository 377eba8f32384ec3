// Copyright © 2026 Tandem authors.
#include "backend/cpu/threading.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tandem::cpu {

namespace {

class Pool {
 public:
  explicit Pool(int n) { resize(n); }
  ~Pool() { stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    stop();
    stopping_ = false;
    for (int i = 1; i < n; ++i)
      workers_.emplace_back([this, i] { loop(i); });
  }

  // Runs job(i) for i in [0, chunks); chunk 0 on the caller.
  void run(int chunks, const std::function<void(int)>& job) {
    std::unique_lock<std::mutex> run_lock(run_mu_);  // one parallel region at a time
    {
      std::lock_guard<std::mutex> lk(mu_);
      job_ = &job;
      chunks_ = chunks;
      next_.store(1);
      pending_ = chunks - 1;
      error_ = nullptr;
      ++generation_;
    }
    cv_.notify_all();
    try {
      job(0);
    } catch (...) {
      std::lock_guard<std::mutex> lk(mu_);
      if (!error_) error_ = std::current_exception();
    }
    // The caller helps with remaining chunks too.
    for (int c; (c = next_.fetch_add(1)) < chunks;)
      execute(c);
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [this] { return pending_ == 0; });
    job_ = nullptr;
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void execute(int c) {
    try {
      (*job_)(c);
    } catch (...) {
      std::lock_guard<std::mutex> lk(mu_);
      if (!error_) error_ = std::current_exception();
    }
    std::lock_guard<std::mutex> lk(mu_);
    if (--pending_ == 0) done_cv_.notify_all();
  }

  void loop(int) {
    uint64_t seen = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
      }
      for (int c; (c = next_.fetch_add(1)) < chunks_;)
        execute(c);
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_)
      t.join();
    workers_.clear();
  }

  std::vector<std::thread> workers_;
  std::mutex run_mu_;
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* job_{nullptr};
  int chunks_{0};
  std::atomic<int> next_{0};
  int pending_{0};
  uint64_t generation_{0};
  bool stopping_{false};
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
  int chunks = static_cast<int>(std::min<size_t>(max_chunks, threads));
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
