// Copyright © 2026 Tandem authors.
// Load on a GPU stream: the array's bytes are read on the host (Load::read, the CPU kernel's
// reader and byte-order fix, backend/cpu/io.cpp) straight into spans of the pinned staging ring
// (pinned.h, shared with every other host->device copy) and copied to the output's device memory
// with cudaMemcpyAsync on the stream, so the copy of one piece overlaps the reading of the next.
// A span is reused once an event recorded after its copy has completed; the ring is cache memory
// in the statistics and clear_cache frees it. Pieces below staging_min_bytes(), and any piece
// when the ring cannot give a span (no ring: the cache limit or the system refused it; the ring
// is busy with other threads' copies), go through a pageable buffer instead (cudaMemcpyAsync
// returns once the driver has taken a pageable source, so the buffer may be dropped at once).
//
// Pieces: a plain file (io::FileReader, positional reads) is read kStagingChunk bytes at a time;
// any other reader (a deflated .npz member inflates from its start on every call, a user's reader
// may be slow to seek) is read in one call, staged when it fits the ring and pageable otherwise.
// Loads run on the CPU stream by default (io.h); this kernel runs when a GPU stream is given.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <memory>

#include "backend/cuda/pinned.h"
#include "backend/cuda/runtime.h"
#include "primitives/io.h"

namespace tandem {

namespace {

// Copies [begin, begin + n) of the array to dst + begin through a span of the staging ring, or
// through pageable memory when none is available.
void stage_piece(const Load& load, cuda::Encoder& enc, char* dst, size_t begin, size_t n) {
  cuda::PinnedStaging::Span sp;
  if (n >= cuda::staging_min_bytes() && cuda::staging_enabled()) {
    // Waits (only) while the ring is full of queued copies; this thread holds no span.
    sp = cuda::pinned_staging().acquire(n, /*wait=*/true);
  }
  if (!sp) {
    std::unique_ptr<char[]> buf(new char[n]);
    load.read(buf.get(), begin, n);
    TANDEM_CUDA_CHECK(
        cudaMemcpyAsync(dst + begin, buf.get(), n, cudaMemcpyHostToDevice, enc.stream()));
    enc.count_op();
    return;
  }
  try {
    load.read(sp.ptr, begin, n);
  } catch (...) {
    cuda::pinned_staging().release(sp, nullptr);  // no copy was queued from it
    throw;
  }
  const cudaError_t st =
      cudaMemcpyAsync(dst + begin, sp.ptr, n, cudaMemcpyHostToDevice, enc.stream());
  enc.count_op();
  // Released in stream order even when the copy failed to queue (an event after it is harmless).
  cuda::pinned_staging().release(sp, &enc);
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
    const size_t step = pieces ? cuda::kStagingChunk : nbytes;
    for (size_t begin = 0; begin < nbytes; begin += step)
      stage_piece(*this, enc, dst, begin, std::min(step, nbytes - begin));
  }
  cuda::set_evaluated(outputs);
}

}  // namespace tandem
