// Copyright © 2026 Tandem authors.
// A character-level GPT (examples/gpt.h: token + position embeddings, pre-norm causal
// self-attention + MLP blocks, LayerNorm, tied head) trained with AdamW on a small text corpus,
// with a live progress line (step, loss, tokens/s), periodic evaluation on held-out text, then
// samples of generated text. Runs unchanged on CPU or GPU: TANDEM_DEVICE=cpu|gpu or
// --device cpu|gpu.
//
// The corpus defaults to the licence texts every Debian system ships in
// /usr/share/common-licenses (package base-files; the regular files, sorted by name, symlinks
// skipped so no text appears twice: about 260 KB of English legal prose). --data takes other
// text files instead. The last 10% of the text is held out for evaluation.
//
//   tandem_train_gpt [--device cpu|gpu] [--steps N] [--batch B] [--context T] [--layers L]
//                    [--width D] [--heads H] [--lr LR] [--eval-every N] [--sample N]
//                    [--temperature X] [--seed S] [--data FILE]...
#include <tandem/tandem.h>
#include <exception>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "gpt.h"

namespace tx = tandem;
namespace nn = tandem::nn;
namespace fs = std::filesystem;
using tx::array;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The default corpus: the regular files of /usr/share/common-licenses, sorted.
std::vector<std::string> default_corpus() {
  const std::string dir = "/usr/share/common-licenses";
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && !e.is_symlink()) files.push_back(e.path().string());
  if (files.empty())
    throw std::runtime_error("no text found in " + dir +
                             " (Debian package base-files); pass --data FILE");
  std::sort(files.begin(), files.end());
  return files;
}

/// Characters <-> token ids.
struct Vocab {
  std::vector<char> chars;  // id -> char
  int id[256];              // char -> id (-1: absent)
  explicit Vocab(const std::string& text) {
    bool seen[256] = {};
    for (unsigned char c : text)
      seen[c] = true;
    for (int c = 0; c < 256; ++c) {
      id[c] = seen[c] ? static_cast<int>(chars.size()) : -1;
      if (seen[c]) chars.push_back(static_cast<char>(c));
    }
  }
  int size() const { return static_cast<int>(chars.size()); }
  std::vector<int32_t> encode(const std::string& s) const {
    std::vector<int32_t> out;
    for (unsigned char c : s)
      if (id[c] >= 0) out.push_back(id[c]);
    return out;
  }
  std::string decode(const std::vector<int32_t>& ids) const {
    std::string s;
    for (int32_t i : ids)
      s += chars[i];
    return s;
  }
};

/// `batch` random windows of `context` + 1 tokens: inputs (B, T) and next-token targets (B, T).
std::pair<array, array> get_batch(const std::vector<int32_t>& data, int batch, int context,
                                  std::mt19937& rng) {
  std::uniform_int_distribution<size_t> pick(0, data.size() - context - 1);
  std::vector<int32_t> x(batch * context), y(batch * context);
  for (int b = 0; b < batch; ++b) {
    size_t o = pick(rng);
    std::copy(data.begin() + o, data.begin() + o + context, x.begin() + b * context);
    std::copy(data.begin() + o + 1, data.begin() + o + 1 + context, y.begin() + b * context);
  }
  return {array(x, {batch, context}, tx::int32), array(y, {batch, context}, tx::int32)};
}

/// Mean loss over `batches` fixed batches of held-out text (eval mode).
double evaluate(gpt::GPT& model, const std::vector<int32_t>& data, int batches, int batch,
                int context) {
  std::mt19937 rng(1234);  // the same batches every time
  model.eval();
  double total = 0;
  for (int i = 0; i < batches; ++i) {
    auto [x, y] = get_batch(data, batch, context, rng);
    total += model.loss(x, y).item<float>();
  }
  model.train();
  return total / batches;
}

}  // namespace

static int run(int argc, char** argv) {
  gpt::Config cfg;
  cfg.context = 64;
  cfg.n_layer = 4;
  cfg.n_head = 4;
  cfg.n_embd = 128;
  int steps = 600, batch = 16, eval_every = 100, sample_len = 400;
  float lr = 3e-3f, temperature = 0.8f;
  uint64_t seed = 0;
  std::vector<std::string> data_files;
  cli::Parser args("tandem_train_gpt",
                   "Train a character-level GPT on a text corpus, then sample from it.");
  args.device()
      .option("--steps", steps, "N", "training steps")
      .option("--batch", batch, "B", "sequences per step")
      .option("--context", cfg.context, "T", "sequence length")
      .option("--layers", cfg.n_layer, "L", "transformer blocks")
      .option("--width", cfg.n_embd, "D", "embedding width")
      .option("--heads", cfg.n_head, "H", "attention heads")
      .option("--lr", lr, "LR", "peak learning rate (warm-up, then cosine decay)")
      .option("--eval-every", eval_every, "N", "steps between held-out evaluations")
      .option("--sample", sample_len, "N", "characters to generate after training")
      .option("--temperature", temperature, "X", "sampling temperature")
      .option("--seed", seed, "S", "initialisation, batch and sampling seed")
      .option("--data", data_files, "FILE",
              "a text file to train on, repeatable (default: /usr/share/common-licenses/*)");
  if (auto code = args.parse(argc, argv)) return *code;
  if (steps < 1 || batch < 1 || cfg.context < 1 || cfg.n_layer < 1 || cfg.n_embd < 1 ||
      cfg.n_head < 1 || eval_every < 1 || sample_len < 0)
    throw std::invalid_argument("sizes and counts must be positive (--sample may be 0)");
  std::cout << "Tandem " << tx::version() << " on " << tx::default_device() << "\n";

  if (data_files.empty()) data_files = default_corpus();
  std::string text;
  for (const auto& f : data_files)
    text += read_file(f);
  Vocab vocab(text);
  std::vector<int32_t> all = vocab.encode(text);
  size_t n_train = all.size() * 9 / 10;
  std::vector<int32_t> train(all.begin(), all.begin() + n_train);
  std::vector<int32_t> val(all.begin() + n_train, all.end());
  if (val.size() <= static_cast<size_t>(cfg.context) + 1)
    throw std::runtime_error("the corpus is too short for context " + std::to_string(cfg.context));
  std::cout << "corpus: " << data_files.size() << " file(s)"
            << (data_files.size() > 1 ? " from " + fs::path(data_files[0]).parent_path().string()
                                      : " " + data_files[0])
            << ", " << all.size() << " characters (" << train.size() << " train, " << val.size()
            << " held out), vocabulary " << vocab.size() << "\n";

  cfg.vocab_size = vocab.size();
  gpt::GPT model(cfg, seed);
  std::printf(
      "GPT: %d layers, width %d, %d heads, context %d, %.2fM parameters; AdamW, batch %d, "
      "%d steps\n",
      cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.context, cfg.num_params() / 1e6, batch, steps);

  // Linear warm-up, then cosine decay to lr / 10.
  int warmup = std::max(1, std::min(100, steps / 10));
  auto schedule = tx::optimizers::join_schedules(
      {tx::optimizers::linear_schedule(lr / warmup, lr, warmup),
       tx::optimizers::cosine_decay(lr, std::max(1, steps - warmup), lr / 10)},
      {warmup});
  tx::optimizers::AdamW opt(schedule, {0.9f, 0.95f}, 1e-8f, 0.1f);
  auto loss_and_grad = nn::value_and_grad(
      model, [&](const std::vector<array>& in) { return model.loss(in[0], in[1]); });

  const int eval_batches = 8;
  double first_val = evaluate(model, val, eval_batches, batch, cfg.context);
  std::printf("step %5d  val loss %.4f  (uniform guess: %.4f)\n", 0, first_val,
              std::log(double(vocab.size())));
  std::mt19937 rng(static_cast<uint32_t>(seed) + 1);
  auto t0 = std::chrono::steady_clock::now();
  double window_loss = 0, last_val = first_val;
  int window = 0;
  for (int step = 1; step <= steps; ++step) {
    auto [x, y] = get_batch(train, batch, cfg.context, rng);
    auto [loss, grads] = loss_and_grad({x, y});
    grads = tx::optimizers::clip_grad_norm(grads, 1.0f).first;
    opt.update(model, grads);
    std::vector<array> todo = model.parameters().leaves();
    auto st = opt.state().leaves();
    todo.insert(todo.end(), st.begin(), st.end());
    todo.push_back(loss);
    tx::eval(todo);
    window_loss += loss.item<float>();
    ++window;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double tok_s = double(step) * batch * cfg.context / secs;
    std::printf("\rstep %5d/%d  loss %.4f  %7.0f tokens/s  %6.1f s", step, steps,
                window_loss / window, tok_s, secs);
    std::fflush(stdout);
    if (step % eval_every == 0 || step == steps) {
      last_val = evaluate(model, val, eval_batches, batch, cfg.context);
      std::printf("\rstep %5d  train loss %.4f  val loss %.4f  %7.0f tokens/s  %6.1f s\n", step,
                  window_loss / window, last_val, tok_s, secs);
      window_loss = 0;
      window = 0;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("trained %d steps in %.1f s (%.0f tokens/s); val loss %.4f -> %.4f\n", steps, secs,
              double(steps) * batch * cfg.context / secs, first_val, last_val);

  if (sample_len > 0) {
    model.eval();
    std::string prompt = "This License";
    auto ids =
        model.generate(vocab.encode(prompt), sample_len, temperature, tx::random::key(seed + 7));
    std::printf("sample (temperature %.2f):\n----\n%s\n----\n", temperature,
                vocab.decode(ids).c_str());
  }
  return last_val < first_val ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // bad arguments, no GPU, missing data: a message, not abort
    std::cerr << "\n" << argv[0] << ": error: " << e.what() << "\n";
    return 1;
  }
}
