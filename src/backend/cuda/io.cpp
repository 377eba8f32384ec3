// Copyright © 2026 Tandem authors.
// Load on a GPU stream: the array's bytes are read on the host (Load::read, the CPU kernel's
// reader and byte-order fix, backend/cpu/io.cpp) into pinned staging blocks and copied to the
// output's device memory with cudaMemcpyAsync on the stream, so the copy of one piece overlaps
// the reading of the next.
//
// Staging: a process-wide pool of pinned blocks (cudaHostAlloc, portable to every device). A block
// given to a copy is reusable once an event recorded after that copy has completed; nothing ever
// waits for it. Blocks are not freed (cudaFreeHost would synchronize the device) and their total
// is bounded (kPoolLimit): when no block is free and the pool is full, the piece goes through
// pageable memory instead (cudaMemcpyAsync returns once a pageable source has been staged by the
// driver, so the buffer may be dropped at once).
//
// Pieces: a plain file (io::FileReader, positional reads) is read kChunk bytes at a time; any
// other reader (a deflated .npz member inflates from its start on every call, a user's reader
// may be slow to seek) is read in one call, staged when it fits a block and pageable otherwise.
// Loads run on the CPU stream by default (io.h); this kernel runs when a GPU stream is given.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <bit>
#include <memory>
#include <mutex>
#include <vector>

#include "backend/cuda/runtime.h"
#include "primitives/io.h"

namespace tandem {

namespace {

constexpr size_t kChunk = size_t(16) << 20;       // bytes per staged piece of a file
constexpr size_t kMinBlock = size_t(256) << 10;   // smallest pinned block
constexpr size_t kPoolLimit = size_t(128) << 20;  // pinned bytes the pool may hold

class StagingPool {
 public:
  struct Block {
    char* ptr{nullptr};
    size_t cap{0};
    bool taken{false};        // handed out and not given back yet
    cudaEvent_t ev{nullptr};  // recorded after the last copy from the block (null: none queued)
    int ev_device{-1};
  };

  /// A block of at least n (<= kChunk) bytes that no queued copy reads any more, or nullptr.
  Block* acquire(size_t n) {
    std::lock_guard<std::mutex> lk(mu_);
    Block* best = nullptr;
    for (auto& b : blocks_) {
      if (b->taken || b->cap < n || (best && b->cap >= best->cap)) continue;
      if (b->ev) {
        const cudaError_t st = cudaEventQuery(b->ev);
        if (st == cudaErrorNotReady) continue;
        if (st != cudaSuccess) {
          (void)cudaGetLastError();
          continue;  // cannot tell whether the copy is done: never reuse the block
        }
        cuda::release_event(b->ev, b->ev_device);
        b->ev = nullptr;
      }
      best = b.get();
    }
    if (!best) {
      const size_t cap = std::max(kMinBlock, std::bit_ceil(n));
      if (total_ + cap > kPoolLimit) return nullptr;
      void* p = nullptr;
      if (cudaHostAlloc(&p, cap, cudaHostAllocPortable) != cudaSuccess) {
        (void)cudaGetLastError();  // not sticky: forget it and stage through pageable memory
        return nullptr;
      }
      total_ += cap;
      blocks_.push_back(std::make_unique<Block>());
      best = blocks_.back().get();
      best->ptr = static_cast<char*>(p);
      best->cap = cap;
    }
    best->taken = true;
    return best;
  }

  /// Gives a block back: reusable once the work queued on `enc`'s stream so far is done, or at
  /// once when `enc` is null (no copy from it was queued).
  void release(Block* b, cuda::Encoder* enc) {
    cudaEvent_t ev = nullptr;
    if (enc) {
      ev = cuda::acquire_event(enc->device());
      const cudaError_t st = cudaEventRecord(ev, enc->stream());
      if (st != cudaSuccess) {
        // A copy from the block may still be queued: keep it out of use for good.
        cuda::release_event(ev, enc->device());
        cuda::throw_cuda_error(st, "cudaEventRecord", __FILE__, __LINE__);
      }
    }
    std::lock_guard<std::mutex> lk(mu_);
    b->ev = ev;
    b->ev_device = enc ? enc->device() : -1;
    b->taken = false;
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<Block>> blocks_;
  size_t total_{0};
};

StagingPool& staging_pool() {
  // Never destroyed: pinned memory must not be freed after the CUDA runtime is torn down.
  static StagingPool* pool = new StagingPool();
  return *pool;
}

// Copies [begin, begin + n) of the array to dst + begin through a staging block, or through
// pageable memory when none is available.
void stage_piece(const Load& load, cuda::Encoder& enc, char* dst, size_t begin, size_t n) {
  StagingPool& pool = staging_pool();
  StagingPool::Block* b = n <= kChunk ? pool.acquire(n) : nullptr;
  if (!b) {
    std::unique_ptr<char[]> buf(new char[n]);
    load.read(buf.get(), begin, n);
    TANDEM_CUDA_CHECK(
        cudaMemcpyAsync(dst + begin, buf.get(), n, cudaMemcpyHostToDevice, enc.stream()));
    enc.count_op();
    return;
  }
  try {
    load.read(b->ptr, begin, n);
  } catch (...) {
    pool.release(b, nullptr);
    throw;
  }
  const cudaError_t st =
      cudaMemcpyAsync(dst + begin, b->ptr, n, cudaMemcpyHostToDevice, enc.stream());
  enc.count_op();
  // Released in stream order even when the copy failed to queue (an event after it is harmless).
  pool.release(b, &enc);
  if (st != cudaSuccess) cuda::throw_cuda_error(st, "cudaMemcpyAsync", __FILE__, __LINE__);
}

}  // namespace

void Load::eval_gpu(const std::vector<array>&, std::vector<array>& outputs) {
  auto& enc = cuda::encoder(stream());
  array& out = outputs[0];
  char* dst = static_cast<char*>(enc.output(out));
  const size_t nbytes = out.nbytes();
  if (nbytes > 0) {
    // Positional file reads are cheap anywhere: pipeline them in pieces. Other readers are read
    // in one call.
    const bool pieces = dynamic_cast<const io::FileReader*>(reader().get()) != nullptr;
    const size_t step = pieces ? kChunk : nbytes;
    for (size_t begin = 0; begin < nbytes; begin += step)
      stage_piece(*this, enc, dst, begin, std::min(step, nbytes - begin));
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
