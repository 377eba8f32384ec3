// Copyright © 2026 Tandem authors.
// The array: constructors, metadata, reading values, evaluation, graph lifetime, errors.
#include <cmath>
#include <thread>
#include <utility>

#include "harness.h"

using namespace tandem;
using tandem_test::values;

// ------------------------------ constructors ------------------------------

TEST(ArrayConstruct, Scalars) {
  array a(7);
  EXPECT_EQ(a.dtype(), int32);
  EXPECT_EQ(a.ndim(), 0);
  EXPECT_EQ(a.shape(), Shape{});
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(a.item<int>(), 7);

  EXPECT_EQ(array(true).dtype(), bool_);
  EXPECT_EQ(array(uint8_t(3)).dtype(), uint8);
  EXPECT_EQ(array(int8_t(-3)).dtype(), int8);
  EXPECT_EQ(array(uint16_t(3)).dtype(), uint16);
  EXPECT_EQ(array(int16_t(3)).dtype(), int16);
  EXPECT_EQ(array(3u).dtype(), uint32);
  EXPECT_EQ(array(int64_t(3)).dtype(), int64);
  EXPECT_EQ(array(uint64_t(3)).dtype(), uint64);
  EXPECT_EQ(array(1.5f).dtype(), float32);
  // As in MLX, a C++ double makes a float32 array unless float64 is asked for.
  EXPECT_EQ(array(1.5).dtype(), float32);
  EXPECT_EQ(array(1.5, float64).dtype(), float64);
  EXPECT_EQ(array(float16_t(1.5f)).dtype(), float16);
  EXPECT_EQ(array(bfloat16_t(1.5f)).dtype(), bfloat16);
  EXPECT_EQ(array(complex64_t(1, 2)).dtype(), complex64);

  EXPECT_EQ(array(int8_t(-3)).item<int8_t>(), -3);
  EXPECT_EQ(array(uint64_t(1) << 63).item<uint64_t>(), uint64_t(1) << 63);
  EXPECT_EQ(array(int64_t(-1) << 62).item<int64_t>(), int64_t(-1) << 62);
  EXPECT_EQ(array(0.1, float64).item<double>(), 0.1);
  EXPECT_EQ(array(0.1).item<float>(), 0.1f);
  EXPECT_EQ(array(complex64_t(1, -2)).item<complex64_t>(), complex64_t(1, -2));
  EXPECT_EQ(static_cast<float>(array(float16_t(0.5f)).item<float16_t>()), 0.5f);
}

TEST(ArrayConstruct, ScalarWithDtypeConverts) {
  EXPECT_EQ(array(2.75f, int32).item<int>(), 2);
  EXPECT_EQ(array(-2.75f, int32).item<int>(), -2);
  EXPECT_EQ(array(300, uint8).item<uint8_t>(), 44);
  EXPECT_EQ(array(5, bool_).item<bool>(), true);
  EXPECT_EQ(array(0.0f, bool_).item<bool>(), false);
  EXPECT_EQ(array(3, complex64).item<complex64_t>(), complex64_t(3, 0));
  EXPECT_EQ(array(0.1f, float16).item<float>(), 0.0999755859375f);
}

TEST(ArrayConstruct, InitializerLists) {
  array a({1, 2, 3});
  EXPECT_EQ(a.dtype(), int32);
  EXPECT_EQ(a.shape(), Shape{3});
  EXPECT_EQ(a.to_vector<int>(), (std::vector<int>{1, 2, 3}));

  array b({1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f}, {2, 3});
  EXPECT_EQ(b.shape(), (Shape{2, 3}));
  EXPECT_EQ(b.dtype(), float32);
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));

  array c({1.5, 2.5}, float64);
  EXPECT_EQ(c.dtype(), float64);
  EXPECT_EQ(c.to_vector<double>(), (std::vector<double>{1.5, 2.5}));
  EXPECT_EQ(array({1.5, 2.5}).dtype(), float32);

  array d({true, false, true});
  EXPECT_EQ(d.dtype(), bool_);
  EXPECT_EQ(d.to_vector<bool>(), (std::vector<bool>{true, false, true}));

  array e({1, 2, 3, 4}, {2, 2}, float16);
  EXPECT_EQ(e.dtype(), float16);
  EXPECT_EQ(e.to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));

  array f({complex64_t(1, 1), complex64_t(0, -1)});
  EXPECT_EQ(f.dtype(), complex64);
  EXPECT_EQ(f.to_vector<complex64_t>()[1], complex64_t(0, -1));
}

TEST(ArrayConstruct, FromVectorAndIterator) {
  std::vector<int64_t> v{10, 20, 30, 40, 50, 60};
  array a(v, {3, 2});
  EXPECT_EQ(a.dtype(), int64);
  EXPECT_EQ(a.shape(), (Shape{3, 2}));
  EXPECT_EQ(a.to_vector<int64_t>(), v);

  array b(v.begin() + 1, {2}, float32);
  EXPECT_EQ(b.dtype(), float32);
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{20, 30}));

  std::vector<double> w{0.5, 1.5};
  EXPECT_EQ(array(w, {2}).dtype(), float32);
  EXPECT_EQ(array(w, {2}, float64).to_vector<double>(), w);

  // bool sources: std::vector<bool> has no data(), a bool pointer is a plain iterator.
  std::vector<bool> vb{true, false, false, true};
  array c(vb, {2, 2});
  EXPECT_EQ(c.dtype(), bool_);
  EXPECT_EQ(c.to_vector<bool>(), vb);
  const bool raw[3] = {false, true, true};
  array d(raw, {3});
  EXPECT_EQ(d.dtype(), bool_);
  EXPECT_EQ(d.to_vector<int>(), (std::vector<int>{0, 1, 1}));
  EXPECT_EQ(array(vb.begin() + 1, {3}, float32).to_vector<float>(), (std::vector<float>{0, 0, 1}));

  // The vector's size must match the shape.
  try {
    array bad(v, {4, 2});
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "[array] Vector size 6 does not match the size of the shape (8).");
  }
  EXPECT_EQ(array(std::vector<float>{}, {0, 3}).shape(), (Shape{0, 3}));
}

TEST(ArrayConstruct, EmptyArrays) {
  array a(std::vector<float>{}, {0});
  EXPECT_EQ(a.size(), 0u);
  EXPECT_EQ(a.nbytes(), 0u);
  EXPECT_EQ(a.shape(), Shape{0});
  EXPECT_TRUE(a.to_vector<float>().empty());

  array b(std::vector<int>{}, {2, 0, 3});
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.ndim(), 3);
  EXPECT_TRUE(b.to_vector<int>().empty());
}

TEST(ArrayConstruct, BadShapes) {
  EXPECT_THROW_MSG(array({1, 2, 3}, {2, 2}), std::invalid_argument, "[array]");
  EXPECT_THROW_MSG(array({1, 2, 3}, {2, 2}), std::invalid_argument, "does not match");
  EXPECT_THROW_MSG(array(std::vector<int>{}, {-1}), std::invalid_argument, "Negative dimension");
}

TEST(ArrayConstruct, WrapsBufferWithDeleter) {
  int freed = 0;
  {
    auto buf = allocator::malloc(4 * sizeof(float));
    float* p = static_cast<float*>(buf.raw_ptr());
    for (int i = 0; i < 4; ++i)
      p[i] = i * 1.5f;
    array a(buf, {2, 2}, float32, [&freed](allocator::Buffer b) {
      ++freed;
      allocator::free(b);
    });
    EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{0, 1.5, 3, 4.5}));
    array b = a;  // a copy shares the node
    EXPECT_EQ(b.id(), a.id());
    EXPECT_EQ(freed, 0);
  }
  EXPECT_EQ(freed, 1);
}

// ------------------------------ metadata ------------------------------

TEST(ArrayMeta, ShapeStridesSizes) {
  array a(std::vector<double>(24, 1.0), {2, 3, 4}, float64);
  EXPECT_EQ(a.ndim(), 3);
  EXPECT_EQ(a.size(), 24u);
  EXPECT_EQ(a.itemsize(), 8u);
  EXPECT_EQ(a.nbytes(), 192u);
  EXPECT_EQ(a.shape(0), 2);
  EXPECT_EQ(a.shape(-1), 4);
  EXPECT_EQ(a.shape(-3), 2);
  EXPECT_EQ(a.strides(), (Strides{12, 4, 1}));
  EXPECT_EQ(a.strides(0), 12);
  EXPECT_EQ(a.strides(-1), 1);
  EXPECT_TRUE(a.flags().contiguous);
  EXPECT_TRUE(a.flags().row_contiguous);
  EXPECT_FALSE(a.flags().col_contiguous);
  EXPECT_THROW_MSG(a.shape(3), std::invalid_argument, "[array::shape]");
  EXPECT_THROW_MSG(a.shape(-4), std::invalid_argument, "out of bounds");
  EXPECT_THROW_MSG(a.strides(3), std::invalid_argument, "[array::strides]");

  array s(1.0f);
  EXPECT_EQ(s.strides(), Strides{});
  EXPECT_THROW(s.shape(0), std::invalid_argument);

  // nbytes of every dtype
  for (auto t : tandem_test::all_dtypes()) {
    array x(std::vector<int>(6, 1), {3, 2}, t);
    EXPECT_EQ(x.nbytes(), 6u * t.size) << t;
    EXPECT_EQ(x.itemsize(), t.size) << t;
  }
}

TEST(ArrayMeta, MetadataNeedsNoEvaluation) {
  array a({1.0f, 2.0f, 3.0f});
  array b = transpose(reshape(a + a, {3, 1}));
  EXPECT_FALSE(b.is_available());
  EXPECT_EQ(b.shape(), (Shape{1, 3}));
  EXPECT_EQ(b.dtype(), float32);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_EQ(b.nbytes(), 12u);
  EXPECT_FALSE(b.is_available());  // still lazy
  EXPECT_TRUE(b.has_primitive());
}

TEST(ArrayMeta, StridesOfViews) {
  array a(std::vector<int>{0, 1, 2, 3, 4, 5}, {2, 3});
  array t = transpose(a);
  t.eval();
  EXPECT_EQ(t.strides(), (Strides{1, 3}));
  EXPECT_TRUE(t.flags().contiguous);
  EXPECT_FALSE(t.flags().row_contiguous);
  EXPECT_TRUE(t.flags().col_contiguous);
  array b = broadcast_to(array({1, 2, 3}), {4, 3});
  b.eval();
  EXPECT_EQ(b.strides(), (Strides{0, 1}));
  EXPECT_FALSE(b.flags().contiguous);
  array s = slice(a, {0, 0}, {2, 3}, {1, 2});
  s.eval();
  EXPECT_EQ(s.strides(), (Strides{3, 2}));
  EXPECT_FALSE(s.flags().row_contiguous);
}

// ------------------------------ reading values ------------------------------

TEST(ArrayRead, ItemConvertsAndChecksSize) {
  array a(3.75f);
  EXPECT_EQ(a.item<float>(), 3.75f);
  EXPECT_EQ(a.item<double>(), 3.75);
  EXPECT_EQ(a.item<int>(), 3);
  EXPECT_EQ(a.item<bool>(), true);
  EXPECT_EQ(array({42}).item<int>(), 42);              // shape (1,)
  EXPECT_EQ(array({42}, {1, 1}).item<int64_t>(), 42);  // shape (1,1)
  EXPECT_THROW_MSG(array({1, 2}).item<int>(), std::invalid_argument, "[item]");
  EXPECT_THROW_MSG(array(std::vector<int>{}, {0}).item<int>(), std::invalid_argument,
                   "got 0 elements");
}

TEST(ArrayRead, ToVectorConverts) {
  array a({-1.5f, 0.0f, 2.5f});
  EXPECT_EQ(a.to_vector<int>(), (std::vector<int>{-1, 0, 2}));
  EXPECT_EQ(a.to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(a.to_vector<double>(), (std::vector<double>{-1.5, 0.0, 2.5}));
  auto c = a.to_vector<complex64_t>();
  EXPECT_EQ(c[2], complex64_t(2.5f, 0.0f));
}

TEST(ArrayRead, ToVectorOfStridedViewsIsRowMajor) {
  array a(std::vector<int>{0, 1, 2, 3, 4, 5}, {2, 3});
  EXPECT_EQ(transpose(a).to_vector<int>(), (std::vector<int>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(slice(a, {0, 2}, {2, -4}, {1, -1}).to_vector<int>(),
            (std::vector<int>{2, 1, 0, 5, 4, 3}));
  EXPECT_EQ(broadcast_to(array({7, 8}), {2, 2}).to_vector<int>(), (std::vector<int>{7, 8, 7, 8}));
}

TEST(ArrayRead, DataPointer) {
  array a({1, 2, 3, 4}, {2, 2});
  const int* p = a.data<int>();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p[3], 4);
  // Writing through data() of a fresh array is visible to later reads.
  a.data<int>()[0] = 10;
  EXPECT_EQ(a.to_vector<int>()[0], 10);
  // data() of a lazy array evaluates it.
  array b = a * 2;
  EXPECT_FALSE(b.is_available());
  const int* q = b.data<int>();
  EXPECT_TRUE(b.is_available());
  EXPECT_EQ(q[0], 20);
  EXPECT_EQ(q[3], 8);
  // data() of a view points at its first element; strides() say how to walk it.
  array t = transpose(a);  // [[10, 3], [2, 4]]
  const int* r = t.data<int>();
  EXPECT_EQ(r[0 * t.strides(0) + 1 * t.strides(1)], 3);
  EXPECT_EQ(r[1 * t.strides(0) + 0 * t.strides(1)], 2);
}

// ------------------------------ evaluation ------------------------------

TEST(ArrayEval, LazyUntilEval) {
  array a({1.0f, 2.0f});
  array b = a + 1.0f;
  EXPECT_EQ(b.status(), array::Status::unscheduled);
  EXPECT_FALSE(b.is_available());
  EXPECT_TRUE(b.has_primitive());
  EXPECT_EQ(b.primitive().name(), "Add");
  b.eval();
  EXPECT_TRUE(b.is_evaluated());
  // On the CPU the values are ready when eval returns; on a GPU eval only queues the work
  // (DESIGN §4: it never blocks the host) and the first read waits for it.
  const bool on_cpu = default_device() == Device(Device::cpu);
  EXPECT_EQ(b.is_available(), on_cpu);
  EXPECT_EQ(b.status(), on_cpu ? array::Status::available : array::Status::evaluated);
  EXPECT_EQ(b.to_vector<float>(), (std::vector<float>{2, 3}));
  EXPECT_TRUE(b.is_available());
}

TEST(ArrayEval, EvalManyAndShared) {
  array x({1, 2, 3});
  array y = x * 2;
  array z1 = y + 1;
  array z2 = y - 1;
  eval(z1, z2);
  EXPECT_TRUE(z1.is_evaluated());
  EXPECT_TRUE(z2.is_evaluated());
  EXPECT_EQ(z1.to_vector<int>(), (std::vector<int>{3, 5, 7}));
  EXPECT_EQ(z2.to_vector<int>(), (std::vector<int>{1, 3, 5}));
  EXPECT_TRUE(z1.is_available());
  // y was computed as part of the graph and is readable without recomputation.
  EXPECT_TRUE(y.is_evaluated());
  EXPECT_FALSE(y.has_primitive());
  EXPECT_EQ(y.to_vector<int>(), (std::vector<int>{2, 4, 6}));
  // Evaluating again (with an already available leaf) is a no-op.
  eval(std::vector<array>{z1, z2, x});
  EXPECT_EQ(z1.to_vector<int>(), (std::vector<int>{3, 5, 7}));
  eval(std::vector<array>{});
}

TEST(ArrayEval, DiamondGraphComputesSharedNodeOnce) {
  array x({1.0f, 2.0f});
  array y = exp(x);
  array z = y * y + y;  // y feeds three places
  EXPECT_ARRAY_CLOSE(z,
                     {std::exp(1.0) * std::exp(1.0) + std::exp(1.0),
                      std::exp(2.0) * std::exp(2.0) + std::exp(2.0)},
                     Shape{2});
}

TEST(ArrayEval, MultiOutputSiblingsSharedAndDropped) {
  std::vector<float> v(128);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = std::sin(0.1f * static_cast<float>(i));
  array w(v, {2, 64});
  // quantize has one node with three outputs.
  auto q = quantize(w, 64, 4);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].siblings().size(), 2u);
  EXPECT_EQ(q[2].outputs()[2].id(), q[2].id());
  EXPECT_EQ(q[1].outputs()[0].id(), q[0].id());
  array deq = dequantize(q[0], q[1], q[2], 64, 4);
  std::vector<float> full = deq.to_vector<float>();
  // Dropped siblings: the kept output still evaluates (the kernel gets temporaries) and agrees.
  array scales = quantize(w, 64, 4)[1];
  EXPECT_EQ(scales.to_vector<float>(), q[1].to_vector<float>());
  // Single-output arrays have no siblings and are their own only output.
  array c = w + w;
  EXPECT_TRUE(c.siblings().empty());
  ASSERT_EQ(c.outputs().size(), 1u);
  EXPECT_EQ(c.outputs()[0].id(), c.id());
  EXPECT_EQ(full.size(), 128u);
}

TEST(ArrayEval, GraphsBuiltAndFreedOnOtherThreads) {
  // Graph objects come from per-thread caches: a graph built on one thread and evaluated or
  // dropped on another must be safe.
  array one(1.0f);
  for (int round = 0; round < 3; ++round) {
    array u(std::vector<float>(16, 0.0f), {16});
    std::thread([&] {
      for (int i = 0; i < 2000; ++i)
        u = u + one;
    }).join();
    array dropped = u * 2.0f;
    std::thread([&] { dropped = array(0.0f); }).join();
    async_eval({u});
    EXPECT_EQ(u.to_vector<float>(), std::vector<float>(16, 2000.0f));
  }
}

TEST(ArrayEval, AsyncEval) {
  array a(std::vector<float>(100000, 1.0f), {100000});
  array b = exp(a * 0.0f) + a;  // 2 everywhere
  async_eval(b);
  // Reading waits for the result.
  auto v = b.to_vector<float>();
  EXPECT_EQ(v[0], 2.0f);
  EXPECT_EQ(v[99999], 2.0f);
  EXPECT_TRUE(b.is_available());

  array c = b * 3.0f;
  array d = c + 1.0f;
  async_eval(c, d);
  eval(d);  // waits for the async evaluation and finds d done
  EXPECT_EQ(d.to_vector<float>()[5], 7.0f);
  EXPECT_EQ(c.to_vector<float>()[5], 6.0f);

  // Several async evaluations in flight, sharing inputs.
  std::vector<array> outs;
  for (int i = 0; i < 8; ++i)
    outs.push_back(b * float(i));
  for (auto& o : outs)
    async_eval(o);
  synchronize();
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(outs[i].to_vector<float>()[7], 2.0f * i);
  // async_eval of something already computed returns at once.
  async_eval(b);
  EXPECT_EQ(b.to_vector<float>()[1], 2.0f);
}

TEST(ArrayEval, GraphDetachesAfterEval) {
  array x({1, 2, 3});
  array one(1);
  array y = x + one;  // inputs: x and one broadcast to (3,)
  EXPECT_EQ(y.inputs().size(), 2u);
  EXPECT_EQ(x.use_count(), 2);  // held by us and by y's node
  y.eval();
  EXPECT_FALSE(y.has_primitive());
  EXPECT_TRUE(std::as_const(y).inputs().empty());
  EXPECT_EQ(x.use_count(), 1);  // y no longer pins its inputs
  EXPECT_EQ(one.use_count(), 1);
  EXPECT_THROW_MSG(y.primitive(), std::logic_error, "[array::primitive]");
  EXPECT_EQ(y.to_vector<int>(), (std::vector<int>{2, 3, 4}));
}

TEST(ArrayEval, IntermediatesAreFreedAfterEval) {
  const int n = 1 << 20;
  array big(std::vector<float>(n, 1.0f), {n});
  size_t before = get_active_memory();
  array z = ((big * 2.0f) + 1.0f) * 3.0f;
  z.eval();
  EXPECT_EQ(z.to_vector<float>()[n - 1], 9.0f);
  // Only z's buffer (plus a few scalars) remains: the intermediate results were released. On a
  // GPU, big and z each also keep the copy on the other side (host and device).
  const size_t copies = default_device() == Device(Device::cpu) ? 0 : big.nbytes() + z.nbytes();
  EXPECT_LE(get_active_memory(), before + z.nbytes() + copies + 16 * 1024);
}

TEST(ArrayEval, MillionNodeChain) {
  // Built and evaluated without recursion: a recursive traversal would overflow the stack.
  array one(1);
  array x(0);
  for (int i = 0; i < 1000000; ++i)
    x = x + one;
  EXPECT_EQ(x.ndim(), 0);
  EXPECT_EQ(x.item<int>(), 1000000);
  EXPECT_EQ(one.use_count(), 1);  // the whole chain was released
}

TEST(ArrayEval, MillionNodeChainDroppedUnevaluated) {
  array one(1.0f);
  {
    array x(0.0f);
    for (int i = 0; i < 1000000; ++i)
      x = x * one;
    EXPECT_GT(one.use_count(), 1000000);
  }  // destroying the lazy chain must not recurse either
  EXPECT_EQ(one.use_count(), 1);
}

TEST(ArrayEval, MillionNodeChainWithSharedInputsDroppedUnevaluated) {
  // Each node takes the previous array twice (x + x). Releasing the lazy chain must not recurse
  // once per node either. Run in a child process so a stack overflow fails this test only.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        array x(1.0f);
        for (int i = 0; i < 1000000; ++i)
          x = x + x;
        x = array(0.0f);  // drops the chain
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(ArrayEval, MillionNodeChainWithSharedInputsEvaluated) {
  array x(1.0f);
  for (int i = 0; i < 1000000; ++i)
    x = x * x;
  EXPECT_EQ(x.item<float>(), 1.0f);
}

TEST(ArrayEval, ZeroDimAndEmptyEvaluate) {
  array s = array(3.0f) * array(2.0f);
  EXPECT_EQ(s.item<float>(), 6.0f);
  array e = array(std::vector<float>{}, {0, 4}) + 1.0f;
  e.eval();
  EXPECT_TRUE(e.is_evaluated());
  EXPECT_EQ(e.shape(), (Shape{0, 4}));
  EXPECT_TRUE(e.to_vector<float>().empty());
}

// ------------------------------ failures ------------------------------

TEST(ArrayErrors, FailedComputationRethrowsOnRead) {
  clear_cache();          // a cached block could satisfy the request without checking the limit
  const int n = 1 << 22;  // 16 MiB of float32
  array big = copy(broadcast_to(array(1.0f), {n}));
  array dep = big + 1.0f;
  array dep2 = exp(big);
  size_t old = set_memory_limit(get_active_memory() + (1 << 20));
  EXPECT_THROW_MSG(eval(dep), std::runtime_error, "memory limit");
  set_memory_limit(old);
  // The failure is recorded in the arrays: reading them rethrows even though memory is back.
  EXPECT_TRUE(dep.is_available());
  EXPECT_THROW_MSG(dep.to_vector<float>(), std::runtime_error, "Out of memory");
  EXPECT_THROW_MSG(dep.data<float>(), std::runtime_error, "Out of memory");
  EXPECT_THROW_MSG(big.to_vector<float>(), std::runtime_error, "Out of memory");
  EXPECT_THROW_MSG(dep.eval(), std::runtime_error, "Out of memory");
  // Consumers of a failed array fail with the same error instead of reading garbage.
  EXPECT_THROW_MSG((dep * 2.0f).eval(), std::runtime_error, "Out of memory");
  EXPECT_THROW_MSG(eval(dep2), std::runtime_error, "Out of memory");
  // Unrelated work still runs.
  EXPECT_EQ((array(2.0f) + 1.0f).item<float>(), 3.0f);
}

TEST(ArrayErrors, FailedAsyncComputationRethrowsOnRead) {
  clear_cache();
  const int n = 1 << 22;
  array big = copy(broadcast_to(array(2.0f), {n}));
  size_t old = set_memory_limit(get_active_memory() + (1 << 20));
  async_eval(big);
  synchronize();
  set_memory_limit(old);
  EXPECT_THROW_MSG(big.to_vector<float>(), std::runtime_error, "memory limit");
}
