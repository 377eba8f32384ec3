// Copyright © 2026 Tandem authors.
// The main job: a small CNN trained on Fashion-MNIST on the default device, with a live progress
// bar, then test accuracy. The model is built from tandem::nn layers, its gradients come from
// nn::value_and_grad, and tandem::optimizers::Adam updates it: the same program as in MLX or
// PyTorch, in C++. Runs unchanged on CPU or GPU: TANDEM_DEVICE=cpu|gpu or --device cpu|gpu.
//
//   tandem_train_cnn [--device cpu|gpu] [--epochs N] [--batch B] [--lr LR] [--data DIR]
//                    [--limit N] [--seed S] [--save FILE]
#include <tandem/tandem.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <numeric>
#include <random>
#include <string>

#include "cli.h"
#include "fashion_mnist.h"

namespace tx = tandem;
namespace nn = tandem::nn;
using tx::array;

namespace {

/// conv3x3(16) - relu - maxpool2 - conv3x3(32) - relu - maxpool2 - fc128 - relu - fc10, on
/// (N, 28, 28, 1) images (channels last, as every Tandem/MLX convolution). Weights start
/// He-normal (the layers' own default is MLX's uniform), biases at zero.
class FashionCNN : public nn::Module {
 public:
  FashionCNN()
      : conv1(std::make_shared<nn::Conv2d>(1, 16, 3, 1, 1)),
        conv2(std::make_shared<nn::Conv2d>(16, 32, 3, 1, 1)),
        pool(std::make_shared<nn::MaxPool2d>(2)),
        fc1(std::make_shared<nn::Linear>(7 * 7 * 32, 128)),
        fc2(std::make_shared<nn::Linear>(128, 10)) {
    register_module("conv1", conv1);
    register_module("conv2", conv2);
    register_module("pool", pool);
    register_module("fc1", fc1);
    register_module("fc2", fc2);
    auto he = nn::init::he_normal();
    std::vector<std::pair<std::string, array>> fresh;
    for (const auto& [name, p] : parameters().flatten()) {
      bool weight = name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0;
      fresh.emplace_back(name, weight ? he(p) : tx::zeros_like(p));
    }
    update(nn::Params::unflatten(fresh));
  }

  array operator()(const array& x) override {
    array h = (*pool)(nn::relu((*conv1)(x)));  // 14x14x16
    h = (*pool)(nn::relu((*conv2)(h)));        // 7x7x32
    h = nn::relu((*fc1)(tx::reshape(h, {h.shape(0), -1})));
    return (*fc2)(h);
  }
  std::string name() const override { return "FashionCNN"; }

 private:
  std::shared_ptr<nn::Conv2d> conv1, conv2;
  std::shared_ptr<nn::MaxPool2d> pool;
  std::shared_ptr<nn::Linear> fc1, fc2;
};

/// The fraction of rows of `logits` whose largest entry is at `labels`.
array accuracy(const array& logits, const array& labels) {
  return tx::mean(
      tx::astype(tx::equal(tx::argmax(logits, 1), tx::astype(labels, tx::uint32)), tx::float32));
}

}  // namespace

static int run(int argc, char** argv) {
  std::string data_dir = fashion_mnist::kDefaultDir, save_path;
  int epochs = 4, batch = 64, limit = 0;
  float lr = 1e-3f;
  uint64_t seed = 0;
  cli::Parser args("tandem_train_cnn",
                   "Train a small CNN on Fashion-MNIST and report its test accuracy.");
  args.device()
      .option("--epochs", epochs, "N", "passes over the training set")
      .option("--batch", batch, "B", "images per step")
      .option("--lr", lr, "LR", "Adam's learning rate")
      .option("--data", data_dir, "DIR", "where the IDX files are")
      .option("--limit", limit, "N", "use only the first N training images; 0 uses all")
      .option("--seed", seed, "S", "initialisation and shuffling seed")
      .option("--save", save_path, "FILE", "write the trained weights (.safetensors or .npz)");
  if (auto code = args.parse(argc, argv)) return *code;
  if (epochs < 1 || batch < 1 || limit < 0)
    throw std::invalid_argument("--epochs and --batch must be positive and --limit non-negative");

  std::cout << "Tandem " << tx::version() << " on " << tx::default_device() << "\n";
  fashion_mnist::Dataset train = fashion_mnist::load(data_dir, "train", limit);
  fashion_mnist::Dataset test = fashion_mnist::load(data_dir, "t10k");
  if (batch > train.n)
    throw std::invalid_argument("--batch " + std::to_string(batch) + " is larger than the " +
                                std::to_string(train.n) + " training images");

  tx::random::seed(seed);
  FashionCNN model;
  tx::optimizers::Adam opt(lr);
  std::cout << "Fashion-MNIST: " << train.n << " training and " << test.n << " test images\n"
            << model.to_string() << "\nAdam, learning rate " << lr << ", batch " << batch << "\n";

  // The first output is the loss (differentiated); the accuracy comes along.
  auto loss_and_grad = nn::value_and_grad(model, [&](const std::vector<array>& in) {
    array logits = model(in[0]);
    return std::vector<array>{nn::losses::cross_entropy(logits, in[1], {}, -1, 0.0f, "mean"),
                              accuracy(logits, in[1])};
  });

  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::vector<int32_t> order(train.n);
  std::iota(order.begin(), order.end(), 0);
  int step = 0;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng);
    array perm(order.begin(), {train.n}, tx::int32);
    auto t0 = std::chrono::steady_clock::now();
    double loss_sum = 0, acc_sum = 0;
    int seen = 0;
    for (int start = 0; start + batch <= train.n; start += batch) {
      array idx = tx::slice(perm, {start}, {start + batch});
      auto [outs, grads] =
          loss_and_grad({tx::take(train.images, idx, 0), tx::take(train.labels, idx, 0)});
      opt.update(model, grads);
      std::vector<array> todo = model.parameters().leaves();
      auto state = opt.state().leaves();
      todo.insert(todo.end(), state.begin(), state.end());
      todo.insert(todo.end(), outs.begin(), outs.end());
      tx::eval(todo);
      ++step;
      seen += batch;
      loss_sum += outs[0].item<float>() * batch;
      acc_sum += outs[1].item<float>() * batch;
      if (step % 10 == 0 || start + 2 * batch > train.n) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        fashion_mnist::progress(epoch, epochs, seen, train.n, loss_sum / seen, acc_sum / seen,
                                seen / secs);
      }
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("\n  epoch %d: %.1f s (%.0f samples/s)\n", epoch, secs, seen / secs);
  }

  model.eval();
  double correct = 0;
  for (int start = 0; start < test.n; start += 1000) {
    int end = std::min(test.n, start + 1000);
    array x = tx::slice(test.images, {start, 0, 0, 0}, {end, 28, 28, 1});
    array y = tx::slice(test.labels, {start}, {end});
    correct += (accuracy(model(x), y) * float(end - start)).item<float>();
  }
  double acc = correct / test.n;
  std::printf("test accuracy: %.2f%% (%d images)\n", 100.0 * acc, test.n);
  if (!save_path.empty()) {
    model.save_weights(save_path);
    std::cout << "weights written to " << save_path << "\n";
  }
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
