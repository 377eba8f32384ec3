// Copyright © 2026 Tandem authors.
// nn::Params (flatten/unflatten, tree_map) and nn::Module (parameters, trainable_parameters,
// children, update, freeze/unfreeze, train/eval, save/load weights, value_and_grad).
#include <cstdio>
#include <fstream>

#include "nn_test_util.h"

using namespace tandem;
using nntest::close;
using nntest::f64;
using nntest::rnd;
using nntest::vals;

namespace {

/// A small custom module: a parameter, a child and a list of children.
class Net : public nn::Module {
 public:
  Net() {
    register_parameter("scale", array({2.0f}));
    body = std::make_shared<nn::Linear>(3, 2);
    register_module("body", body);
    register_modules("heads", {std::make_shared<nn::Linear>(2, 1), std::make_shared<nn::ReLU>(),
                               std::make_shared<nn::Linear>(2, 1, false)});
  }
  array operator()(const array& x) override { return multiply((*body)(x), param("scale")); }
  std::string name() const override { return "Net"; }
  std::shared_ptr<nn::Linear> body;
};

std::vector<std::string> keys_of(const nn::Params& p) {
  std::vector<std::string> out;
  for (auto& [k, a] : p.flatten())
    out.push_back(k);
  return out;
}

}  // namespace

TEST(NnParams, FlattenUnflattenRoundTrip) {
  nn::Params p;
  p["a"] = array(1.0f);
  p["b"]["c"] = array(2.0f);
  nn::Params l = nn::Params::list();
  l.push_back(array(3.0f));
  l.push_back(nn::Params::dict());
  nn::Params d;
  d["w"] = array(4.0f);
  l.push_back(d);
  p["layers"] = l;
  auto flat = p.flatten();
  std::vector<std::string> want{"a", "b.c", "layers.0", "layers.2.w"};
  EXPECT_EQ(keys_of(p), want);
  nn::Params q = nn::Params::unflatten(flat);
  EXPECT_TRUE(q.at("layers").is_list());
  EXPECT_EQ(q.at("layers").size(), 3u);
  EXPECT_TRUE(q.at("layers").at(1).is_none());
  EXPECT_EQ(array(q.at("layers").at(2).at("w").as_array()).item<float>(), 4.0f);
  EXPECT_EQ(keys_of(q), want);
  EXPECT_EQ(p.leaves().size(), 4u);
}

TEST(NnParams, TreeMapAndErrors) {
  nn::Params p;
  p["x"] = array(1.0f);
  p["y"]["z"] = array(2.0f);
  auto q = nn::tree_map(p, [](const array& a) { return multiply(a, array(10.0f)); });
  EXPECT_EQ(array(q.at("y").at("z").as_array()).item<float>(), 20.0f);
  auto r = nn::tree_map(p, q, [](const array& a, const array& b) { return add(a, b); });
  EXPECT_EQ(array(r.at("x").as_array()).item<float>(), 11.0f);
  nn::Params bad;
  bad["x"] = array(1.0f);
  EXPECT_THROW_MSG(nn::tree_map(p, bad, [](const array& a, const array&) { return a; }),
                   std::invalid_argument, "[tree_map]");
  EXPECT_THROW_MSG(p.at("missing"), std::invalid_argument, "[Params] No key \"missing\"");
  EXPECT_THROW_MSG(p.at("x").at("q"), std::invalid_argument, "[Params]");
  EXPECT_THROW_MSG(nn::Params::unflatten({{"a..b", array(1.0f)}}), std::invalid_argument,
                   "[Params.unflatten]");
}

TEST(NnModule, ParametersAndChildren) {
  Net net;
  std::vector<std::string> want{"scale",          "body.weight",  "body.bias",
                                "heads.0.weight", "heads.0.bias", "heads.2.weight"};
  EXPECT_EQ(keys_of(net.parameters()), want);
  auto params = net.parameters();
  // The ReLU child appears as an empty dict, as in MLX.
  EXPECT_TRUE(params.at("heads").at(1).is_dict());
  EXPECT_EQ(params.at("heads").at(1).size(), 0u);
  auto kids = net.children();
  ASSERT_EQ(kids.size(), 4u);
  EXPECT_EQ(kids[0].first, "body");
  EXPECT_EQ(kids[2].first, "heads.1");
  EXPECT_EQ(kids[2].second->name(), "ReLU");
  auto mods = net.named_modules();
  EXPECT_EQ(mods.size(), 5u);
  EXPECT_EQ(mods[0].first, "");
  EXPECT_EQ(net.leaf_modules().size(), 4u);
  EXPECT_NE(net.to_string().find("(body): Linear(input_dims=3, output_dims=2, bias=true)"),
            std::string::npos)
      << net.to_string();
}

TEST(NnModule, UpdateReplacesArrays) {
  Net net;
  nn::Params upd;
  upd["body"]["bias"] = array({5.0f, 6.0f});
  upd["heads"] = nn::Params::list({nn::Params(), nn::Params(), nn::Params()});
  upd["heads"][2]["weight"] = array({1.0f, 1.0f}, {1, 2});
  net.update(upd);
  EXPECT_TRUE(close(net.body->param("bias"), {5.0, 6.0}));
  EXPECT_TRUE(close(net.parameters().at("heads").at(2).at("weight").as_array(), {1.0, 1.0}));
  nn::Params bad;
  bad["nope"] = array(1.0f);
  EXPECT_THROW_MSG(net.update(bad), std::invalid_argument,
                   "[Module.update] Net has no parameter or child named \"nope\"");
  net.update(bad, /*strict=*/false);  // ignored
  nn::Params wrong;
  wrong["body"] = array(1.0f);
  EXPECT_THROW_MSG(net.update(wrong), std::invalid_argument, "[Module.update]");
}

TEST(NnModule, FreezeUnfreeze) {
  Net net;
  net.freeze();
  EXPECT_EQ(net.trainable_parameters().flatten().size(), 0u);
  EXPECT_EQ(net.parameters().flatten().size(), 6u);
  net.unfreeze();
  EXPECT_EQ(net.trainable_parameters().flatten().size(), 6u);
  // Freeze only the biases, recursively.
  net.freeze(true, {"bias"});
  std::vector<std::string> want{"scale", "body.weight", "heads.0.weight", "heads.2.weight"};
  EXPECT_EQ(keys_of(net.trainable_parameters()), want);
  EXPECT_TRUE(net.body->is_frozen("bias"));
  net.unfreeze(true, {"bias"});
  // Non-recursive: only this module's own parameters.
  net.freeze(false);
  EXPECT_EQ(net.trainable_parameters().flatten().size(), 5u);
  EXPECT_THROW_MSG(net.freeze(false, {"weight"}, /*strict=*/true), std::invalid_argument,
                   "[Module.freeze] Net has no parameter named \"weight\"");
  // BatchNorm keeps its running statistics frozen through unfreeze().
  nn::BatchNorm bn(3);
  EXPECT_EQ(keys_of(bn.trainable_parameters()), (std::vector<std::string>{"weight", "bias"}));
  bn.unfreeze();
  EXPECT_EQ(keys_of(bn.trainable_parameters()), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(bn.parameters().flatten().size(), 4u);
}

TEST(NnModule, TrainEvalModes) {
  Net net;
  EXPECT_TRUE(net.training());
  net.eval();
  EXPECT_FALSE(net.training());
  for (auto& [k, m] : net.named_modules())
    EXPECT_FALSE(m->training()) << k;
  net.train();
  EXPECT_TRUE(net.body->training());
}

TEST(NnModule, SaveLoadWeights) {
  random::seed(1);
  Net a;
  random::seed(2);
  Net b;
  auto path = nntest::temp_path("weights.tdw");
  a.save_weights(path);
  b.load_weights(path);
  auto pa = a.parameters().flatten(), pb = b.parameters().flatten();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].first, pb[i].first);
    EXPECT_TRUE(close(pa[i].second, pb[i].second, 0, 0)) << pa[i].first;
  }
  // Other dtypes survive the archive bit-exactly.
  std::vector<std::pair<std::string, array>> arrays{
      {"f16", astype(array({1.5f, -2.25f}), float16)},
      {"bf16", astype(array({3.0f}), bfloat16)},
      {"i64", array({int64_t{1} << 40, int64_t{-3}}, {2, 1})},
      {"b", array({true, false, true})},
      {"scalar", array(7.0, float64)},
      {"empty", zeros({0, 3})}};
  auto p2 = nntest::temp_path("arrays.tdw");
  nn::save_arrays(p2, arrays);
  auto back = nn::load_arrays(p2);
  ASSERT_EQ(back.size(), arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    EXPECT_EQ(back[i].first, arrays[i].first);
    EXPECT_EQ(back[i].second.dtype(), arrays[i].second.dtype());
    EXPECT_EQ(back[i].second.shape(), arrays[i].second.shape());
    EXPECT_EQ(vals(back[i].second), vals(arrays[i].second)) << arrays[i].first;
  }
  // Strict loading checks names and shapes.
  nn::Linear small(2, 2);
  EXPECT_THROW_MSG(small.load_weights(path), std::invalid_argument,
                   "[Module.load_weights] Unexpected parameter \"scale\"");
  EXPECT_THROW_MSG(small.load_weights({{"weight", zeros({2, 3})}, {"bias", zeros({2})}}),
                   std::invalid_argument, "has shape (2,2) in the module but (2,3)");
  EXPECT_THROW_MSG(small.load_weights({{"weight", zeros({2, 2})}}), std::invalid_argument,
                   "Missing parameter \"bias\"");
  small.load_weights({{"weight", zeros({2, 2})}}, /*strict=*/false);
  EXPECT_TRUE(close(small.weight(), {0, 0, 0, 0}));
  // Bad files.
  {
    std::ofstream f(p2, std::ios::binary | std::ios::trunc);
    f << "not an archive";
  }
  EXPECT_THROW_MSG(nn::load_arrays(p2), std::invalid_argument, "[load_arrays]");
  EXPECT_THROW_MSG(nn::load_arrays(p2 + ".missing"), std::invalid_argument, "Cannot open");
  std::remove(path.c_str());
  std::remove(p2.c_str());
}

TEST(NnModule, SetDtypeAndApply) {
  nn::Linear l(2, 3);
  l.set_dtype(float64);
  EXPECT_EQ(l.weight().dtype(), float64);
  EXPECT_EQ(l(ones({1, 2}, float64)).dtype(), float64);
  l.apply([](const array& a) { return zeros_like(a); });
  EXPECT_TRUE(close(l.bias(), {0, 0, 0}));
}

TEST(NnModule, ValueAndGradMatchesHandGradient) {
  // loss = sum((x W^T + b)^2): dW = 2 (xW^T+b)^T x, db = 2 sum_rows(xW^T+b).
  nn::Linear l(2, 1);
  l.set_dtype(float64);
  l.weight() = f64({0.5, -1.0}, {1, 2});
  l.bias() = f64({0.25}, {1});
  array x = f64({1, 2, 3, 4}, {2, 2});
  auto vg =
      nn::value_and_grad(l, [&](const std::vector<array>& in) { return sum(square(l(in[0]))); });
  auto [loss, grads] = vg({x});
  // y = [0.5 - 2 + 0.25, 1.5 - 4 + 0.25] = [-1.25, -2.25]
  EXPECT_NEAR(loss.item<double>(), 1.5625 + 5.0625, 1e-12);
  EXPECT_TRUE(close(grads.at("weight").as_array(),
                    {2 * (-1.25 * 1 + -2.25 * 3), 2 * (-1.25 * 2 + -2.25 * 4)}));
  EXPECT_TRUE(close(grads.at("bias").as_array(), {2 * (-1.25 - 2.25)}));
  // The model's parameters are restored afterwards.
  EXPECT_TRUE(close(l.weight(), {0.5, -1.0}));
  // Frozen parameters get no gradient.
  l.freeze(false, {"bias"});
  auto [loss2, g2] = vg({x});
  EXPECT_FALSE(g2.contains("bias"));
  EXPECT_TRUE(g2.contains("weight"));
  auto bad = nn::value_and_grad(l, [&](const std::vector<array>& in) { return l(in[0]); });
  EXPECT_THROW_MSG(bad({x}), std::invalid_argument, "[value_and_grad]");
}

TEST(NnModule, ValueAndGradWithAuxiliaryOutputs) {
  nn::Linear l(2, 1);
  l.set_dtype(float64);
  l.weight() = f64({0.5, -1.0}, {1, 2});
  l.bias() = f64({0.25}, {1});
  array x = f64({1, 2, 3, 4}, {2, 2});
  auto vg = nn::value_and_grad(l, [&](const std::vector<array>& in) {
    array y = l(in[0]);
    return std::vector<array>{sum(square(y)), y, in[0] * 2.0};
  });
  auto [outs, grads] = vg({x});
  ASSERT_EQ(outs.size(), 3u);
  EXPECT_NEAR(outs[0].item<double>(), 1.5625 + 5.0625, 1e-12);
  EXPECT_TRUE(close(outs[1], {-1.25, -2.25}));  // the outputs after the loss come back as is
  EXPECT_TRUE(close(outs[2], {2, 4, 6, 8}));
  // Gradients are those of the first output only.
  EXPECT_TRUE(close(grads.at("weight").as_array(),
                    {2 * (-1.25 * 1 + -2.25 * 3), 2 * (-1.25 * 2 + -2.25 * 4)}));
  EXPECT_TRUE(close(grads.at("bias").as_array(), {2 * (-1.25 - 2.25)}));
  EXPECT_TRUE(close(l.weight(), {0.5, -1.0}));
  auto none = nn::value_and_grad(l, [](const std::vector<array>&) { return std::vector<array>{}; });
  EXPECT_THROW_MSG(none({x}), std::invalid_argument, "[value_and_grad] The function returned no");
  auto vector_loss = nn::value_and_grad(l, [&](const std::vector<array>& in) {
    return std::vector<array>{l(in[0]), in[0]};
  });
  EXPECT_THROW_MSG(vector_loss({x}), std::invalid_argument, "must return a single value");
}

TEST(NnModule, BaseCallThrows) {
  nn::Bilinear b(2, 2, 1);
  nn::Module& m = b;
  EXPECT_THROW_MSG(m(ones({2})), std::invalid_argument, "[Bilinear]");
}
