// Copyright © 2026 Tandem authors.
// The GPU emulator's kernel launches: blocks run one after the other; the threads of a block are
// fibers (a small stack switch on x86-64, ucontext elsewhere) that run until they finish or
// reach a barrier. When no thread can run, the
// scheduler releases a warp whose every named lane waits at the same warp operation, else the
// block when every live thread waits at __syncthreads; anything else is a deadlock on a GPU
// too, and fails the launch.
#include <sys/mman.h>
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#if defined(__x86_64__)
// tandem_emu_switch(save, to): saves the callee-saved registers on the current stack, stores the
// stack pointer in *save, and continues on stack `to` (saved the same way, or made by
// fresh_stack). No signal mask is touched, unlike swapcontext (a system call per switch).
extern "C" void tandem_emu_switch(void** save, void* to);
asm(R"(
.text
.globl tandem_emu_switch
.type tandem_emu_switch,@function
tandem_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size tandem_emu_switch,.-tandem_emu_switch
.section .note.GNU-stack,"",@progbits
.text
)");
#endif

namespace tandem_emu {

// Set by runtime.cpp's cudaGetLastError.
void set_launch_error(cudaError_t err, const std::string& message);

namespace {

enum class State { Runnable, BlockBarrier, WarpOp, Done };

#if defined(__x86_64__)
struct Context {
  void* sp = nullptr;
};
#else
struct Context {
  ucontext_t uc;
};
#endif

struct Fiber {
  Context ctx;
  State state = State::Runnable;
  ThreadCoords coords;
  // The warp operation it waits at.
  unsigned mask = 0;
  const void* in = nullptr;
  void* out = nullptr;
  size_t bytes = 0;
  int xor_mask = 0;
};

constexpr size_t kStackBytes = 256 * 1024;
constexpr int kMaxThreads = 1024;
constexpr size_t kMaxDynamicShared = 48 * 1024;

struct Launch {
  const std::function<void()>* body = nullptr;
  std::vector<Fiber> fibers;
  Context scheduler;
  int current = -1;
  std::vector<unsigned char> shared;
  std::string error;
  char* stacks = nullptr;
};

std::mutex g_launch_mutex;  // one launch at a time: shared memory is one static copy
Launch* g_launch = nullptr;
char* g_stacks = nullptr;  // kMaxThreads stacks, mapped once, pages touched on use

Fiber& me() {
  return g_launch->fibers[g_launch->current];
}

void fiber_entry();

#if defined(__x86_64__)
void switch_to(Context& save, Context& to) {
  tandem_emu_switch(&save.sp, to.sp);
}
// A stack whose first switch enters fiber_entry (16-byte aligned at the call, as the ABI wants).
void make_fiber(Context& c, char* stack, size_t bytes, Context&) {
  auto* top = reinterpret_cast<void**>(reinterpret_cast<uintptr_t>(stack + bytes) & ~uintptr_t(15));
  top[-1] = nullptr;                                // fiber_entry's return address: none
  top[-2] = reinterpret_cast<void*>(&fiber_entry);  // popped by `ret`
  for (int k = 3; k <= 8; ++k)
    top[-k] = nullptr;  // the six callee-saved registers
  c.sp = top - 8;
}
#else
void switch_to(Context& save, Context& to) {
  swapcontext(&save.uc, &to.uc);
}
void make_fiber(Context& c, char* stack, size_t bytes, Context& link) {
  getcontext(&c.uc);
  c.uc.uc_stack.ss_sp = stack;
  c.uc.uc_stack.ss_size = bytes;
  c.uc.uc_link = &link.uc;
  makecontext(&c.uc, fiber_entry, 0);
}
#endif

void yield_to_scheduler() {
  Launch& l = *g_launch;
  switch_to(l.fibers[l.current].ctx, l.scheduler);
}

void fiber_entry() {
  (*g_launch->body)();
  me().state = State::Done;
  yield_to_scheduler();  // never resumed
  std::abort();
}

// TANDEM_EMU_ORDER=reverse runs a block's threads from the last to the first between barriers:
// a missing barrier shows when a thread reads what a later thread (forward order) or an earlier
// one (reverse order) writes, so running the suite both ways exposes it in either direction.
bool reverse_order() {
  static const bool r = [] {
    const char* e = std::getenv("TANDEM_EMU_ORDER");
    return e && std::string(e) == "reverse";
  }();
  return r;
}

// Releases at most one set of waiters; returns whether it did. Sets l.error on a deadlock.
bool release_waiters(Launch& l) {
  const int n = static_cast<int>(l.fibers.size());
  bool any_block = false, any_warp = false;
  const int nw = (n + 31) / 32;
  for (int ww = 0; ww < nw; ++ww) {
    const int w = reverse_order() ? nw - 1 - ww : ww;
    const int lo = w * 32, hi = std::min(n, lo + 32);
    unsigned waiting = 0, live = 0;
    for (int i = lo; i < hi; ++i) {
      if (l.fibers[i].state != State::Done) live |= 1u << (i - lo);
      if (l.fibers[i].state == State::WarpOp) waiting |= 1u << (i - lo);
    }
    if (!waiting) continue;
    any_warp = true;
    // Every waiting lane's mask must name only waiting lanes (of this warp).
    bool ready = true;
    for (int i = lo; i < hi; ++i) {
      const Fiber& f = l.fibers[i];
      if (f.state != State::WarpOp) continue;
      const unsigned lanes_here = hi - lo == 32 ? 0xffffffffu : ((1u << (hi - lo)) - 1u);
      if ((f.mask & lanes_here) & ~live) {
        l.error =
            "a warp operation's mask names a lane that has exited (warp " + std::to_string(w) + ")";
        return false;
      }
      if ((f.mask & lanes_here) & ~waiting) ready = false;
    }
    if (!ready) continue;
    // Exchange: every lane reads its partner's contribution (lanes outside the mask read their
    // own value, as hardware gives an undefined value there).
    for (int i = lo; i < hi; ++i) {
      Fiber& f = l.fibers[i];
      if (f.state != State::WarpOp) continue;
      const int partner = lo + (((i - lo) ^ f.xor_mask) & 31);
      const Fiber& src =
          partner < hi && l.fibers[partner].state == State::WarpOp ? l.fibers[partner] : f;
      if (src.bytes != f.bytes) {
        l.error = "lanes of warp " + std::to_string(w) + " meet at different warp operations";
        return false;
      }
      std::memcpy(f.out, src.in, f.bytes);
    }
    for (int i = lo; i < hi; ++i)
      if (l.fibers[i].state == State::WarpOp) l.fibers[i].state = State::Runnable;
    return true;
  }
  for (const Fiber& f : l.fibers)
    if (f.state == State::BlockBarrier) any_block = true;
  if (any_block && !any_warp) {
    for (Fiber& f : l.fibers)
      if (f.state == State::BlockBarrier) f.state = State::Runnable;
    return true;
  }
  if (any_block || any_warp) {
    l.error = "deadlock: threads wait at __syncthreads while others wait at a warp operation";
  }
  return false;
}

void run_block(Launch& l, const dim3& grid, const dim3& block, const uint3& bid) {
  const int n = static_cast<int>(block.x * block.y * block.z);
  l.fibers.assign(n, Fiber{});
  for (int i = 0; i < n; ++i) {
    Fiber& f = l.fibers[i];
    f.coords.thread_idx =
        uint3{static_cast<unsigned>(i % block.x), static_cast<unsigned>((i / block.x) % block.y),
              static_cast<unsigned>(i / (block.x * block.y))};
    f.coords.block_idx = bid;
    f.coords.block_dim = block;
    f.coords.grid_dim = grid;
    make_fiber(f.ctx, g_stacks + static_cast<size_t>(i) * kStackBytes, kStackBytes, l.scheduler);
  }
  // Fresh shared memory content is undefined on a GPU: poison the dynamic part.
  std::fill(l.shared.begin(), l.shared.end(), static_cast<unsigned char>(0xA5));
  for (;;) {
    bool ran = false;
    for (int k = 0; k < n; ++k) {
      const int i = reverse_order() ? n - 1 - k : k;
      if (l.fibers[i].state != State::Runnable) continue;
      l.current = i;
      switch_to(l.scheduler, l.fibers[i].ctx);
      ran = true;
    }
    l.current = -1;
    if (ran) continue;
    bool all_done = true;
    for (const Fiber& f : l.fibers)
      if (f.state != State::Done) all_done = false;
    if (all_done) return;
    if (!release_waiters(l)) {
      if (l.error.empty()) l.error = "deadlock";
      return;
    }
  }
}

}  // namespace

const ThreadCoords& coords() {
  if (!g_launch || g_launch->current < 0) {
    std::fprintf(stderr, "[gpu emulator] a kernel built-in was used outside a kernel\n");
    std::abort();
  }
  return me().coords;
}

void sync_block() {
  me().state = State::BlockBarrier;
  yield_to_scheduler();
}

void warp_exchange(unsigned mask, const void* in, void* out, size_t bytes, int xor_mask) {
  Fiber& f = me();
  f.state = State::WarpOp;
  f.mask = mask;
  f.in = in;
  f.out = out;
  f.bytes = bytes;
  f.xor_mask = xor_mask;
  yield_to_scheduler();
}

unsigned char* dynamic_shared() {
  return g_launch->shared.data();
}

void kernel_error(const char* what) {
  if (g_launch && g_launch->error.empty()) g_launch->error = what;
}

void launch(const char* name, dim3 grid, dim3 block, size_t shared_bytes,
            const std::function<void()>& body) {
  std::lock_guard<std::mutex> lk(g_launch_mutex);
  auto fail = [&](cudaError_t err, const std::string& why) {
    set_launch_error(err, std::string("[gpu emulator] ") + name + ": " + why);
  };
  const uint64_t threads = uint64_t(block.x) * block.y * block.z;
  if (threads == 0 || threads > kMaxThreads || block.z > 64) {
    return fail(cudaErrorInvalidConfiguration, "block of " + std::to_string(block.x) + "x" +
                                                   std::to_string(block.y) + "x" +
                                                   std::to_string(block.z) + " threads");
  }
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu || grid.y > 65535 ||
      grid.z > 65535) {
    return fail(cudaErrorInvalidConfiguration, "grid of " + std::to_string(grid.x) + "x" +
                                                   std::to_string(grid.y) + "x" +
                                                   std::to_string(grid.z) + " blocks");
  }
  if (shared_bytes > kMaxDynamicShared) {
    return fail(cudaErrorInvalidValue, std::to_string(shared_bytes) +
                                           " bytes of dynamic shared memory (48 KiB without "
                                           "cudaFuncSetAttribute)");
  }
  if (!g_stacks) {
    void* p = mmap(nullptr, kStackBytes * kMaxThreads, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("[gpu emulator] cannot map fiber stacks");
    g_stacks = static_cast<char*>(p);
  }
  Launch l;
  l.body = &body;
  l.shared.assign((shared_bytes + 15) / 16 * 16, 0);
  g_launch = &l;
  for (unsigned z = 0; z < grid.z && l.error.empty(); ++z)
    for (unsigned y = 0; y < grid.y && l.error.empty(); ++y)
      for (unsigned x = 0; x < grid.x && l.error.empty(); ++x)
        run_block(l, grid, block, uint3{x, y, z});
  g_launch = nullptr;
  if (!l.error.empty()) fail(cudaErrorLaunchFailure, l.error);
}

}  // namespace tandem_emu
