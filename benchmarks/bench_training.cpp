// Copyright © 2026 Tandem authors.
// Benchmark cases: training steps (an MLP with SGD, a GPT-2-shaped model with AdamW).
#include "bench_common.h"

namespace tandem_bench {

constexpr double kLr = 0.1;

// shape = {batch, in, hidden1, hidden2, classes}: one SGD step of a ReLU MLP with softmax
// cross-entropy, gradients by value_and_grad.
Bench bench_mlp(const Dims& shape) {
  int64_t bs = shape[0];
  std::vector<int64_t> width(shape.begin() + 1, shape.end());
  int64_t classes = width.back();
  auto x = make_input({bs, width[0]}, tx::float32, 30);
  // Fixed labels as a one-hot matrix (no gather needed).
  std::vector<float> onehot(bs * classes, 0.f);
  std::vector<int> labels(bs);
  uint64_t s = 31;
  for (int64_t i = 0; i < bs; ++i) {
    labels[i] = int(splitmix64(s) % classes);
    onehot[i * classes + labels[i]] = 1.f;
  }
  auto y = std::make_shared<array>(onehot, tx::Shape{int32_t(bs), int32_t(classes)});
  auto params = std::make_shared<std::vector<array>>();
  std::vector<InputPtr> init;
  for (size_t l = 0; l + 1 < width.size(); ++l) {
    float r = 1.f / std::sqrt(float(width[l]));
    init.push_back(make_input({width[l], width[l + 1]}, tx::float32, 40 + l, -r, r));
    init.push_back(make_input({width[l + 1]}, tx::float32, 50 + l, -r, r));
  }
  for (auto& p : init)
    params->push_back(p->arr);
  std::function<array(const std::vector<array>&)> loss_fn = [x, y](const std::vector<array>& p) {
    array h = x->arr;
    for (size_t l = 0; l < p.size(); l += 2) {
      h = matmul(h, p[l]) + p[l + 1];
      if (l + 2 < p.size()) h = tx::maximum(h, scalar(0.0, tx::float32));
    }
    return tx::mean(tx::logsumexp(h, -1) - tx::sum(h * *y, -1));
  };
  std::vector<int> argnums(params->size());
  for (size_t i = 0; i < argnums.size(); ++i)
    argnums[i] = int(i);
  auto vg = tx::value_and_grad(loss_fn, argnums);
  auto first_loss = std::make_shared<float>(NAN);
  auto last_loss = std::make_shared<std::vector<array>>();
  Bench b;
  b.step = [vg, params, last_loss] {
    auto [loss, grads] = vg(*params);
    std::vector<array> outs{loss};
    for (size_t i = 0; i < params->size(); ++i) {
      (*params)[i] = (*params)[i] - scalar(kLr, tx::float32) * grads[i];
      outs.push_back((*params)[i]);
    }
    *last_loss = {loss};
    return outs;
  };
  b.check = [=](std::vector<array>& o) {
    // The first step starts from the initial parameters: recompute its loss and gradients on
    // the host (forward, manual backward, in double) and compare the loss and the gradients
    // implied by the updated parameters, (initial - updated) / lr.
    size_t layers = width.size() - 1;
    std::vector<std::vector<double>> acts{std::vector<double>(x->host.begin(), x->host.end())};
    for (size_t l = 0; l < layers; ++l) {
      int64_t in = width[l], out = width[l + 1];
      const auto& W = init[2 * l]->host;
      const auto& bb = init[2 * l + 1]->host;
      const auto& h = acts.back();
      std::vector<double> next(bs * out, 0.0);
      for (int64_t i = 0; i < bs; ++i) {
        for (int64_t k = 0; k < in; ++k) {
          double hv = h[i * in + k];
          for (int64_t j = 0; j < out; ++j)
            next[i * out + j] += hv * W[k * out + j];
        }
        for (int64_t j = 0; j < out; ++j) {
          next[i * out + j] += bb[j];
          if (l + 1 < layers) next[i * out + j] = std::max(0.0, next[i * out + j]);
        }
      }
      acts.push_back(std::move(next));
    }
    // Loss, and its gradient with respect to the logits: (softmax - onehot) / batch.
    const auto& logits = acts.back();
    std::vector<double> d(bs * classes);
    double total = 0;
    for (int64_t i = 0; i < bs; ++i) {
      const double* r = logits.data() + i * classes;
      double m = *std::max_element(r, r + classes), z = 0;
      for (int64_t j = 0; j < classes; ++j)
        z += std::exp(r[j] - m);
      total += m + std::log(z) - r[labels[i]];
      for (int64_t j = 0; j < classes; ++j) {
        d[i * classes + j] = (std::exp(r[j] - m) / z - (j == labels[i] ? 1.0 : 0.0)) / bs;
      }
    }
    *first_loss = o[0].item<float>();
    Checker c(1e-4, 1e-4);
    c(*first_loss, total / bs, 0);
    Checker cg(2e-5, 2e-3);
    for (size_t l = layers; l-- > 0;) {
      int64_t in = width[l], out = width[l + 1];
      const auto& a = acts[l];
      std::vector<double> gw(in * out, 0.0), gb(out, 0.0);
      for (int64_t i = 0; i < bs; ++i) {
        for (int64_t k = 0; k < in; ++k) {
          double av = a[i * in + k];
          if (av == 0) continue;
          for (int64_t j = 0; j < out; ++j)
            gw[k * out + j] += av * d[i * out + j];
        }
        for (int64_t j = 0; j < out; ++j)
          gb[j] += d[i * out + j];
      }
      for (int t = 0; t < 2; ++t) {
        const auto& ref = t == 0 ? gw : gb;
        const auto& p0 = init[2 * l + t]->host;
        auto p1 = o[1 + 2 * l + t].to_vector<float>();
        for (size_t e = 0; e < ref.size(); ++e)
          cg((double(p0[e]) - p1[e]) / kLr, ref[e], e);
      }
      if (l > 0) {  // back through W and the ReLU of the layer below
        const auto& W = init[2 * l]->host;
        std::vector<double> dn(bs * in, 0.0);
        for (int64_t i = 0; i < bs; ++i) {
          for (int64_t k = 0; k < in; ++k) {
            if (a[i * in + k] <= 0) continue;
            double sacc = 0;
            for (int64_t j = 0; j < out; ++j)
              sacc += d[i * out + j] * W[k * out + j];
            dn[i * in + k] = sacc;
          }
        }
        d.swap(dn);
      }
    }
    Check loss_check = c.result(), grad_check = cg.result();
    return Check{loss_check.ok && grad_check.ok,
                 "loss: " + loss_check.detail + "; gradients: " + grad_check.detail};
  };
  b.final_check = [first_loss, last_loss] {
    float now = (*last_loss)[0].item<float>();
    std::ostringstream os;
    os << "loss " << *first_loss << " -> " << now;
    return Check{now < *first_loss, os.str()};
  };
  b.note = "SGD lr 0.1 on a fixed batch; loss = mean softmax cross-entropy";
  return b;
}

// ============================== GPT-2 training step ==============================

// shape = {batch, seq, layers, width, heads, vocab}: one AdamW training step of the GPT of
// examples/gpt.h (GPT-2 small: 12 layers, width 768, 12 heads, vocabulary 50257, context =
// seq), float32, on a fixed batch of random tokens: forward, nn::value_and_grad, update.
Bench bench_gpt2(const Dims& shape) {
  gpt::Config cfg;
  const int B = int(shape[0]), T = int(shape[1]);
  cfg.context = T;
  cfg.n_layer = int(shape[2]);
  cfg.n_embd = int(shape[3]);
  cfg.n_head = int(shape[4]);
  cfg.vocab_size = int(shape[5]);
  auto model = std::make_shared<gpt::GPT>(cfg, 0);
  auto opt =
      std::make_shared<tx::optimizers::AdamW>(3e-4f, std::vector<float>{0.9f, 0.95f}, 1e-8f, 0.1f);
  // Random tokens; the targets are the inputs shifted by one, as in language modelling.
  std::vector<int32_t> tok(size_t(B) * (T + 1));
  uint64_t s = 77;
  for (auto& t : tok)
    t = int32_t(splitmix64(s) % uint64_t(cfg.vocab_size));
  std::vector<int32_t> xs, ys;
  for (int b = 0; b < B; ++b) {
    xs.insert(xs.end(), tok.begin() + b * (T + 1), tok.begin() + b * (T + 1) + T);
    ys.insert(ys.end(), tok.begin() + b * (T + 1) + 1, tok.begin() + (b + 1) * (T + 1));
  }
  auto x = std::make_shared<array>(xs, tx::Shape{B, T}, tx::int32);
  auto y = std::make_shared<array>(ys, tx::Shape{B, T}, tx::int32);
  // The loss of the initial parameters by a plain forward pass: the first step's value must
  // match it (and sit near log(vocab), the loss of a near-uniform prediction).
  double ref_loss = model->loss(*x, *y).item<float>();
  auto vg = std::make_shared<tx::nn::ModuleValueAndGradFn>(tx::nn::value_and_grad(
      *model, [m = model.get()](const std::vector<array>& in) { return m->loss(in[0], in[1]); }));
  auto first_loss = std::make_shared<float>(NAN);
  auto last_loss = std::make_shared<std::vector<array>>();
  Bench b;
  b.step = [model, opt, vg, x, y, last_loss] {
    auto [loss, grads] = (*vg)({*x, *y});
    opt->update(*model, grads);
    std::vector<array> outs{loss};
    for (auto& p : model->parameters().leaves())
      outs.push_back(p);
    for (auto& p : opt->state().leaves())
      outs.push_back(p);
    *last_loss = {loss};
    return outs;
  };
  b.check = [=](std::vector<array>& o) {
    *first_loss = o[0].item<float>();
    double uniform = std::log(double(cfg.vocab_size));
    std::ostringstream os;
    os << "first loss " << *first_loss << " vs forward " << ref_loss << " (log vocab " << uniform
       << ")";
    bool ok = std::abs(*first_loss - ref_loss) <= 1e-4 * std::abs(ref_loss) + 1e-4 &&
              std::abs(ref_loss - uniform) < 1.0;
    return Check{ok, os.str()};
  };
  b.final_check = [first_loss, last_loss] {
    float now = (*last_loss)[0].item<float>();
    std::ostringstream os;
    os << "loss " << *first_loss << " -> " << now;
    return Check{now < *first_loss, os.str()};
  };
  b.flops = cfg.train_flops_per_token(T) * B * T;
  b.tokens = double(B) * T;
  std::ostringstream note;
  note << "AdamW step of examples/gpt.h, fp32, " << cfg.num_params() / 1e6
       << "M parameters (tied head); flops = 6 x matmul weights + attention per token";
  b.note = note.str();
  return b;
}

// ============================== the registry ==============================

void add_training_cases(std::vector<Case>& c) {
  using tx::bfloat16;
  using tx::float32;
  // MLP: {batch, in, hidden, hidden, classes}
  c.push_back({"mlp_train_step_b256",
               "float32",
               {256, 784, 512, 512, 10},
               {256, 784, 512, 512, 10},
               false,
               [](const Dims& s) { return bench_mlp(s); }});
  // GPT-2 small training step: {batch, seq, layers, width, heads, vocab}. The CPU size keeps the
  // shape's proportions at a fraction of the work (about 35 GFLOP per step).
  c.push_back({"gpt2_small_train_step_b8_s1024_fp32",
               "float32",
               {8, 1024, 12, 768, 12, 50257},
               {4, 256, 4, 256, 4, 8192},
               false,
               bench_gpt2});
}

}  // namespace tandem_bench
