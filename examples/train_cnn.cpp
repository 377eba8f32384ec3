// Copyright © 2026 Tandem authors.
// The main job: a small CNN trained on Fashion-MNIST on the default device, with a live progress
// bar, then test accuracy. Gradients come from tandem::value_and_grad; the update is Adam.
// Runs unchanged on CPU or GPU: TANDEM_DEVICE=cpu|gpu or --device cpu|gpu.
//
//   tandem_train_cnn [--device cpu|gpu] [--epochs N] [--batch B] [--data DIR] [--limit N]
#include <tandem/tandem.h>
#include <exception>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <random>
#include <string>

namespace tx = tandem;

namespace {

struct Dataset {
  tx::array images;  // (N, 28, 28, 1) float32 in [0, 1]
  tx::array labels;  // (N,) int32
  int n;
};

std::string find_file(const std::string& dir, const std::string& name) {
  for (std::string ext : {".gz", ""}) {
    std::string p = dir + "/" + name + ext;
    if (FILE* f = std::fopen(p.c_str(), "rb")) {
      std::fclose(f);
      return p;
    }
  }
  throw std::runtime_error("Fashion-MNIST file " + name + " not found in " + dir +
                           " (install the Debian package dataset-fashion-mnist).");
}

Dataset load(const std::string& dir, const std::string& prefix, int limit) {
  tx::array img = tx::data::load_idx(find_file(dir, prefix + "-images-idx3-ubyte"));  // (N, 28, 28)
  tx::array lab = tx::data::load_idx(find_file(dir, prefix + "-labels-idx1-ubyte"));  // (N,)
  int n = img.shape(0);
  if (limit > 0) n = std::min(n, limit);
  tx::array raw = tx::reshape(tx::slice(img, {0, 0, 0}, {n, 28, 28}), {n, 28, 28, 1});
  tx::array images = tx::astype(raw, tx::float32) / 255.0f;
  tx::array labels = tx::astype(tx::slice(lab, {0}, {n}), tx::int32);
  tx::eval(images, labels);
  return {images, labels, n};
}

// Parameters, in order.
enum { W1, B1, W2, B2, W3, B3, W4, B4, NUM_PARAMS };

std::vector<tx::array> init_params(uint64_t seed) {
  auto key = tx::random::key(seed);
  auto keys = tx::random::split(key, 4);
  auto he = [&](int i, tx::Shape shape, int fan_in) {
    tx::array k = tx::reshape(tx::slice(keys, {i, 0}, {i + 1, 2}), {2});
    return tx::random::normal(shape, tx::float32, 0.0f, std::sqrt(2.0f / fan_in), k);
  };
  return {he(0, {16, 3, 3, 1}, 9),        tx::zeros({16}),
          he(1, {32, 3, 3, 16}, 144),     tx::zeros({32}),
          he(2, {7 * 7 * 32, 128}, 1568), tx::zeros({128}),
          he(3, {128, 10}, 128),          tx::zeros({10})};
}

// 2x2 max pooling with stride 2 on (N, H, W, C), H and W even.
tx::array max_pool2(const tx::array& x) {
  int n = x.shape(0), h = x.shape(1), w = x.shape(2), c = x.shape(3);
  return tx::max(tx::reshape(x, {n, h / 2, 2, w / 2, 2, c}), {2, 4});
}

tx::array relu(const tx::array& x) {
  return tx::maximum(x, tx::array(0.0f));
}

tx::array forward(const std::vector<tx::array>& p, const tx::array& x) {
  tx::array h = max_pool2(relu(tx::conv2d(x, p[W1], {1, 1}, {1, 1}) + p[B1]));  // 14x14x16
  h = max_pool2(relu(tx::conv2d(h, p[W2], {1, 1}, {1, 1}) + p[B2]));            // 7x7x32
  h = tx::reshape(h, {h.shape(0), -1});
  h = relu(tx::matmul(h, p[W3]) + p[B3]);
  return tx::matmul(h, p[W4]) + p[B4];
}

tx::array cross_entropy(const tx::array& logits, const tx::array& labels) {
  tx::array logp = logits - tx::logsumexp(logits, 1, true);
  tx::array picked = tx::take_along_axis(logp, tx::expand_dims(labels, 1), 1);
  return -tx::mean(picked);
}

void progress(int epoch, int epochs, int done, int total, double loss, double acc, double rate) {
  const int width = 30;
  int filled = total ? width * done / total : width;
  std::printf("\repoch %d/%d [%s%s] %5d/%d  loss %.4f  acc %.3f  %6.0f samples/s", epoch, epochs,
              std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done,
              total, loss, acc, rate);
  std::fflush(stdout);
}

}  // namespace

static int run(int argc, char** argv) {
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int epochs = 4, batch = 64, limit = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--device") {
      std::string d = next();
      tx::set_default_device(d == "gpu" ? tx::Device(tx::Device::gpu)
                                        : tx::Device(tx::Device::cpu));
    } else if (a == "--epochs") {
      epochs = std::stoi(next());
    } else if (a == "--batch") {
      batch = std::stoi(next());
    } else if (a == "--data") {
      data_dir = next();
    } else if (a == "--limit") {
      limit = std::stoi(next());
    } else {
      std::cerr << "usage: tandem_train_cnn [--device cpu|gpu] [--epochs N] [--batch B] "
                   "[--data DIR] [--limit N]\n";
      return 2;
    }
  }
  std::cout << "Tandem " << tx::version() << " on " << tx::default_device() << "\n";
  Dataset train = load(data_dir, "train", limit);
  Dataset test = load(data_dir, "t10k", 0);
  std::cout << "Fashion-MNIST: " << train.n << " training and " << test.n << " test images; "
            << "CNN conv3x3(16)-pool-conv3x3(32)-pool-fc128-fc10, Adam, batch " << batch << "\n";

  std::vector<tx::array> params = init_params(0);
  std::vector<tx::array> m, v;
  for (auto& p : params) {
    m.push_back(tx::zeros_like(p));
    v.push_back(tx::zeros_like(p));
  }
  const float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  std::vector<int> argnums(NUM_PARAMS);
  std::iota(argnums.begin(), argnums.end(), 0);
  // Arguments: the parameters, then the batch images and labels (not differentiated).
  auto loss_and_grad = tx::value_and_grad(
      [](const std::vector<tx::array>& args) {
        std::vector<tx::array> p(args.begin(), args.begin() + NUM_PARAMS);
        tx::array logits = forward(p, args[NUM_PARAMS]);
        tx::array labels = args[NUM_PARAMS + 1];
        tx::array acc = tx::mean(tx::astype(
            tx::equal(tx::argmax(logits, 1), tx::astype(labels, tx::uint32)), tx::float32));
        return std::vector<tx::array>{cross_entropy(logits, labels), acc};
      },
      argnums);

  std::mt19937 rng(0);
  std::vector<int32_t> order(train.n);
  std::iota(order.begin(), order.end(), 0);
  int step = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    tx::array perm(order.begin(), {train.n}, tx::int32);
    auto t0 = std::chrono::steady_clock::now();
    double loss_sum = 0, acc_sum = 0;
    int seen = 0;
    for (int start = 0; start + batch <= train.n; start += batch) {
      tx::array idx = tx::slice(perm, {start}, {start + batch});
      std::vector<tx::array> args = params;
      args.push_back(tx::take(train.images, idx, 0));
      args.push_back(tx::take(train.labels, idx, 0));
      auto [outs, grads] = loss_and_grad(args);
      ++step;
      float c1 = 1.0f - std::pow(beta1, step), c2 = 1.0f - std::pow(beta2, step);
      for (int i = 0; i < NUM_PARAMS; ++i) {
        m[i] = beta1 * m[i] + (1.0f - beta1) * grads[i];
        v[i] = beta2 * v[i] + (1.0f - beta2) * tx::square(grads[i]);
        params[i] = params[i] - (lr / c1) * m[i] / (tx::sqrt(v[i] / c2) + eps);
      }
      std::vector<tx::array> todo = {outs[0], outs[1]};
      todo.insert(todo.end(), params.begin(), params.end());
      todo.insert(todo.end(), m.begin(), m.end());
      todo.insert(todo.end(), v.begin(), v.end());
      tx::eval(todo);
      seen += batch;
      loss_sum += outs[0].item<float>() * batch;
      acc_sum += outs[1].item<float>() * batch;
      if (step % 10 == 0 || start + 2 * batch > train.n) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        progress(epoch, epochs, seen, train.n, loss_sum / seen, acc_sum / seen, seen / secs);
      }
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("\n  epoch %d: %.1f s (%.0f samples/s)\n", epoch, secs, seen / secs);
  }

  double correct = 0;
  for (int start = 0; start < test.n; start += 1000) {
    int end = std::min(test.n, start + 1000);
    tx::array x = tx::slice(test.images, {start, 0, 0, 0}, {end, 28, 28, 1});
    tx::array y = tx::slice(test.labels, {start}, {end});
    tx::array pred = tx::argmax(forward(params, x), 1);
    correct += tx::sum(tx::equal(pred, tx::astype(y, tx::uint32))).item<int>();
  }
  double acc = correct / test.n;
  std::printf("test accuracy: %.2f%% (%d images)\n", 100.0 * acc, test.n);
  return acc >= 0.85 ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // bad arguments, no GPU, missing data: a message, not abort
    std::cerr << "\n" << argv[0] << ": error: " << e.what() << "\n";
    return 1;
  }
}
