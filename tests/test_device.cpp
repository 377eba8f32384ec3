// Copyright © 2026 Tandem authors.
// Devices and streams.
#include <cstdlib>
#include <sstream>

#include "harness.h"

using namespace tandem;
using tandem_test::has_gpu;

namespace {
std::string env_device() {
  const char* env = std::getenv("TANDEM_DEVICE");
  return env ? env : "";
}
}  // namespace

TEST(Device, CpuIsAlwaysAvailable) {
  EXPECT_TRUE(is_available(Device::cpu));
  EXPECT_EQ(device_count(Device::cpu), 1);
  EXPECT_FALSE(is_available(Device(Device::cpu, 1)));
  Device d(Device::cpu);
  EXPECT_EQ(d.index, 0);
  EXPECT_EQ(d, Device(Device::cpu, 0));
  EXPECT_NE(d, Device(Device::gpu, 0));
  std::ostringstream os;
  os << d;
  EXPECT_EQ(os.str(), "Device(cpu, 0)");
  std::ostringstream og;
  og << Device(Device::gpu, 1);
  EXPECT_EQ(og.str(), "Device(gpu, 1)");
}

TEST(Device, DefaultDevice) {
  // The GPU when one is usable (and TANDEM_DEVICE does not say otherwise), else the CPU.
  if (env_device() == "cpu" || (!has_gpu() && env_device().empty())) {
    EXPECT_EQ(default_device(), Device(Device::cpu));
  } else if (env_device().empty()) {
    EXPECT_EQ(default_device(), Device(Device::gpu));
  }
  // Ops without a stream argument run on the default device's default stream.
  array a = array({1.0f}) + array({2.0f});
  EXPECT_EQ(a.primitive().device(), default_device());
  EXPECT_EQ(a.primitive().stream(), default_stream(default_device()));
}

TEST(Device, CpuBuildHasNoGpu) {
  if (has_gpu()) GTEST_SKIP() << "a GPU is available in this build";
  EXPECT_EQ(default_device(), Device(Device::cpu));
  EXPECT_FALSE(is_available(Device::gpu));
  EXPECT_EQ(device_count(Device::gpu), 0);
}

TEST(Device, GpuRequestsThrowWithoutCuda) {
  if (has_gpu()) GTEST_SKIP() << "a GPU is available in this build";
  // A build without CUDA says so; a CUDA build on a machine without a GPU says there is none.
  std::string why;
  try {
    new_stream(Device::gpu);
  } catch (const std::runtime_error& e) {
    why = e.what();
  }
  EXPECT_TRUE(why.find("built without CUDA") != std::string::npos ||
              why.find("no CUDA device") != std::string::npos)
      << why;
  EXPECT_THROW_MSG(new_stream(Device::gpu), std::runtime_error, "[new_stream]");
  EXPECT_THROW_MSG(default_stream(Device::gpu), std::runtime_error, "CUDA");
  EXPECT_THROW_MSG(set_default_device(Device::gpu), std::runtime_error, "CUDA");
  EXPECT_EQ(default_device(), Device(Device::cpu));  // unchanged by the failed request
  // An op asked to run on the GPU fails when it is recorded, not later.
  array a({1.0f, 2.0f});
  EXPECT_THROW_MSG(add(a, a, Device::gpu), std::runtime_error, "CUDA");
  EXPECT_THROW_MSG(exp(a, Device(Device::gpu)), std::runtime_error, "CUDA");
  EXPECT_THROW_MSG(reshape(a, {2, 1}, Device::gpu), std::runtime_error, "CUDA");
  EXPECT_THROW_MSG(synchronize(Stream(1000, Device::gpu)), std::runtime_error, "CUDA");
}

TEST(Device, BadCpuIndex) {
  EXPECT_THROW_MSG(new_stream(Device(Device::cpu, 1)), std::invalid_argument, "[new_stream]");
  EXPECT_THROW_MSG(set_default_device(Device(Device::cpu, 3)), std::invalid_argument,
                   "one CPU device");
}

TEST(Stream, DefaultAndNewStreams) {
  Stream s0 = default_stream(Device::cpu);
  EXPECT_EQ(s0.device, Device(Device::cpu));
  EXPECT_EQ(default_stream(Device::cpu), s0);  // stable
  Stream s1 = new_stream(Device::cpu);
  Stream s2 = new_stream(Device::cpu);
  EXPECT_EQ(s1.device, Device(Device::cpu));
  EXPECT_NE(s1, s0);
  EXPECT_NE(s1, s2);
  std::ostringstream os;
  os << s1;
  EXPECT_EQ(os.str(), "Stream(Device(cpu, 0), " + std::to_string(s1.index) + ")");
}

TEST(Stream, OpsRunOnTheGivenStream) {
  Stream s = new_stream(Device::cpu);
  array a({1, 2, 3});
  array b = multiply(a, a, s);
  EXPECT_EQ(b.primitive().stream(), s);
  array c = add(b, array(1), s);
  EXPECT_EQ(c.to_vector<int>(), (std::vector<int>{2, 5, 10}));
  synchronize(s);
  synchronize();

  // Mixing streams in one graph works.
  Stream t = new_stream(Device::cpu);
  array d = subtract(c, b, t);
  array e = add(d, c);
  EXPECT_EQ(d.primitive().stream(), t);
  EXPECT_EQ(e.to_vector<int>(), (std::vector<int>{3, 6, 11}));
}

TEST(Stream, ToStreamResolves) {
  EXPECT_EQ(to_stream({}), default_stream(default_device()));
  EXPECT_EQ(to_stream(Device(Device::cpu)), default_stream(Device::cpu));
  Stream s = new_stream(Device::cpu);
  EXPECT_EQ(to_stream(s), s);
}

TEST(Stream, SetDefaultStream) {
  Stream old = default_stream(Device::cpu);
  Stream s = new_stream(Device::cpu);
  set_default_stream(s);
  EXPECT_EQ(default_stream(Device::cpu), s);
  array a = array({1.0f}) * 2.0f;
  if (default_device() == Device(Device::cpu)) {
    EXPECT_EQ(a.primitive().stream(), s);
  }
  EXPECT_EQ(a.item<float>(), 2.0f);
  set_default_stream(old);
  EXPECT_EQ(default_stream(Device::cpu), old);
}

TEST(Stream, SetDefaultDeviceCpu) {
  Device old = default_device();
  set_default_device(Device::cpu);
  EXPECT_EQ(default_device(), Device(Device::cpu));
  array a = array({3}) + array({4});
  EXPECT_EQ(a.primitive().device(), Device(Device::cpu));
  EXPECT_EQ(a.item<int>(), 7);
  set_default_device(old);
}

// The harness runs op cases on each device; on a CPU-only machine that is the CPU alone.
TEST(Harness, DevicesListed) {
  auto devs = tandem_test::test_devices();
  ASSERT_FALSE(devs.empty());
  EXPECT_EQ(devs[0], Device(Device::cpu));
  EXPECT_EQ(devs.size(), 1u + static_cast<size_t>(has_gpu() ? device_count(Device::gpu) : 0));
}

DEVICE_TEST(Harness, DeviceArgumentReachesOps) {
  array a = add(array({1.0f}), array({1.0f}), device);
  EXPECT_EQ(a.primitive().device(), device);
  EXPECT_EQ(a.item<float>(), 2.0f);
  EXPECT_MATCHES_CPU([](Device d) { return exp(array({0.0f, 1.0f}), d); });
}

// ============================== MLX API additions ==============================

TEST(Device, CompareWithTypeAndOrder) {
  Device c(Device::cpu), g0(Device::gpu, 0), g1(Device::gpu, 1);
  EXPECT_TRUE(c == Device::cpu);
  EXPECT_FALSE(g0 == Device::cpu);
  EXPECT_TRUE(g1 == Device::gpu);
  EXPECT_TRUE(c < g0);
  EXPECT_TRUE(g0 < g1);
  EXPECT_FALSE(g0 < g0);
  EXPECT_FALSE(g1 < c);
}

TEST(Stream, GetStreamAndToStreamWithDefault) {
  Stream s = new_stream(Device(Device::cpu));
  EXPECT_EQ(get_stream(s.index), s);
  EXPECT_EQ(get_stream(s.index).device, Device(Device::cpu));
  EXPECT_THROW_MSG(get_stream(-1), std::invalid_argument, "[get_stream]");
  EXPECT_THROW_MSG(get_stream(1 << 30), std::invalid_argument, "[get_stream]");
  EXPECT_EQ(to_stream({}, Device(Device::cpu)), default_stream(Device(Device::cpu)));
  EXPECT_EQ(to_stream(s, Device(Device::cpu)), s);
  EXPECT_EQ(to_stream(Device(Device::cpu), Device(Device::cpu)),
            default_stream(Device(Device::cpu)));
}

TEST(Stream, StreamContextSetsAndRestores) {
  Device before = default_device();
  Stream before_stream = default_stream(before);
  Stream cpu_default = default_stream(Device(Device::cpu));
  Stream s = new_stream(Device(Device::cpu));
  {
    StreamContext ctx(s);
    EXPECT_EQ(default_device(), Device(Device::cpu));
    EXPECT_EQ(default_stream(Device(Device::cpu)), s);
    EXPECT_EQ(to_stream({}), s);
  }
  EXPECT_EQ(default_device(), before);
  EXPECT_EQ(default_stream(before), before_stream);
  if (before != Device(Device::cpu)) set_default_stream(cpu_default);
  EXPECT_THROW_MSG(StreamContext(std::monostate{}), std::invalid_argument, "[StreamContext]");
}
