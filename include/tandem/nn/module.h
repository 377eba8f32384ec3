// Copyright © 2026 Tandem authors.
// The parameter tree (Params) and the Module base class of tandem::nn, following mlx.nn.Module:
// a module holds named arrays (its parameters) and named child modules (alone or in lists);
// parameters() gathers them into a nested tree, update() writes a (partial) tree back, freeze()
// excludes parameters from trainable_parameters(), train()/eval() switch the mode that Dropout and
// BatchNorm read. nn::value_and_grad differentiates a loss with respect to a module's trainable
// parameters.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tandem/array.h"

namespace tandem::nn {

/// A tree of named arrays, like MLX's nested dicts and lists of arrays. A node is empty (None),
/// an array, a dict (string keys, kept in insertion order) or a list.
class Params {
 public:
  enum class Kind { none, array, dict, list };
  using Item = std::pair<std::string, Params>;

  /// An empty (None) node.
  Params() = default;
  /// A leaf holding `a`.
  Params(array a);  // NOLINT(google-explicit-constructor): a leaf converts implicitly
  /// An empty dict / an empty list.
  static Params dict();
  static Params list();
  /// A dict from (key, value) items / a list from elements.
  static Params dict(std::vector<Item> items);
  static Params list(std::vector<Params> elements);

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::none; }
  bool is_array() const { return kind_ == Kind::array; }
  bool is_dict() const { return kind_ == Kind::dict; }
  bool is_list() const { return kind_ == Kind::list; }

  /// The leaf's array (throws "[Params] ..." when this node is not an array).
  const array& as_array() const;
  array& as_array();

  /// Dict access. operator[] inserts a None value for a missing key (a None node becomes a dict);
  /// at() throws for a missing key.
  bool contains(const std::string& key) const;
  Params& operator[](const std::string& key);
  Params& operator[](const char* key) { return (*this)[std::string(key)]; }
  const Params& at(const std::string& key) const;
  Params& at(const std::string& key);
  /// Insert or replace `key` (a None node becomes a dict).
  void set(const std::string& key, Params value);
  /// Remove `key` if present.
  void erase(const std::string& key);
  /// The dict's items in insertion order (throws when not a dict).
  const std::vector<Item>& items() const;
  std::vector<Item>& items();
  /// The keys of a dict, in order.
  std::vector<std::string> keys() const;

  /// List access (throws when not a list or out of range). push_back turns a None node into a list.
  Params& operator[](size_t i);
  Params& operator[](int i) { return (*this)[static_cast<size_t>(i)]; }
  const Params& at(size_t i) const;
  const Params& at(int i) const { return at(static_cast<size_t>(i)); }
  Params& at(int i) { return (*this)[static_cast<size_t>(i)]; }
  void push_back(Params value);
  const std::vector<Params>& elements() const;
  std::vector<Params>& elements();

  /// Number of dict items or list elements; 1 for an array, 0 for None.
  size_t size() const;

  /// The leaves with dotted paths in depth-first order, e.g. {"layers.0.weight", w} (MLX's
  /// tree_flatten). Empty dicts/lists and None leaves contribute nothing.
  std::vector<std::pair<std::string, array>> flatten() const;
  /// Rebuild a tree from dotted paths (MLX's tree_unflatten): path components that are
  /// non-negative integers index lists, others key dicts. Missing list slots are None.
  static Params unflatten(const std::vector<std::pair<std::string, array>>& flat);
  /// The leaves in flatten() order.
  std::vector<array> leaves() const;

 private:
  Kind kind_{Kind::none};
  std::optional<array> array_;
  std::vector<Item> dict_;
  std::vector<Params> list_;
};

/// A new tree of the same structure with fn applied to every leaf (MLX's tree_map).
Params tree_map(const Params& tree, const std::function<array(const array&)>& fn);
/// fn(leaf of a, leaf at the same path in b) for every leaf of `a`; `b` must have at least a's
/// structure (throws "[tree_map] ..." otherwise).
Params tree_map(const Params& a, const Params& b,
                const std::function<array(const array&, const array&)>& fn);
/// A tree of `structure`'s shape whose leaves are `leaves`, in flatten() order.
Params tree_replace_leaves(const Params& structure, const std::vector<array>& leaves);

/// The base class of layers (mlx.nn.Module). Subclasses register their parameters and children
/// in their constructor and implement operator() (the forward pass).
class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  /// The forward pass with one input. Modules taking other inputs define their own operator()
  /// overloads; the default throws "[Name] ... cannot be called with a single array".
  virtual array operator()(const array& x);

  /// The class name, e.g. "Linear".
  virtual std::string name() const { return "Module"; }
  /// The constructor arguments worth printing, e.g. "input_dims=2, output_dims=3, bias=true".
  virtual std::string extra_repr() const { return ""; }
  /// A multi-line description of the module and its children, like MLX's repr.
  std::string to_string() const;

  /// Every parameter (trainable or frozen) as a dict tree: children appear as nested dicts,
  /// lists of children as lists (children without parameters as empty dicts).
  Params parameters() const;
  /// The parameters that are not frozen, with the same nesting.
  Params trainable_parameters() const;
  /// The direct children, in registration order; the i-th module of a list named "layers" is
  /// named "layers.i".
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children() const;
  /// This module (path "") and all its descendants with their dotted paths, depth first.
  std::vector<std::pair<std::string, Module*>> named_modules();
  /// The descendants without children of their own.
  std::vector<std::pair<std::string, Module*>> leaf_modules();

  /// Replace parameters with the arrays of `params` (a partial tree is fine). With `strict`, a
  /// key that names no parameter or child throws "[Module.update] ..."; shapes are not checked.
  void update(const Params& params, bool strict = true);
  /// Freeze parameters (exclude them from trainable_parameters()): all of them, or only the
  /// local parameters named in `keys`; recursively in children when `recurse`. With `strict`,
  /// a key that is not a parameter of this module throws "[Module.freeze] ...".
  virtual void freeze(bool recurse = true, const std::vector<std::string>& keys = {},
                      bool strict = false);
  /// Undo freeze() (same arguments).
  virtual void unfreeze(bool recurse = true, const std::vector<std::string>& keys = {},
                        bool strict = false);
  /// Whether the local parameter `key` is frozen.
  bool is_frozen(const std::string& key) const;

  /// Set training mode (true) or evaluation mode (false) for this module and all descendants.
  void train(bool mode = true);
  /// Same as train(false).
  void eval() { train(false); }
  /// Whether the module is in training mode (the default).
  bool training() const { return training_; }

  /// Map every parameter through fn (e.g. a dtype cast), recursively.
  void apply(const std::function<array(const array&)>& fn);
  /// Cast the floating-point parameters to `dtype` (MLX's set_dtype with its default predicate).
  void set_dtype(Dtype dtype);

  /// Write all parameters to `path`: safetensors for a ".safetensors" name, NumPy .npz for
  /// ".npz", else the Tandem array-archive format (see save_arrays).
  void save_weights(const std::string& path) const;
  /// Load parameters written by save_weights. With `strict`, every parameter of the module must
  /// be present with the same shape and no extra names may appear ("[Module.load_weights] ...").
  void load_weights(const std::string& path, bool strict = true);
  /// Same, from (dotted name, array) pairs already in memory.
  void load_weights(const std::vector<std::pair<std::string, array>>& weights, bool strict = true);

  /// Whether this module has a local parameter named `key` (MLX's `"bias" in module`).
  bool has_param(const std::string& key) const;
  /// The local parameter `key` (throws "[Module] ..." when absent). Assigning to the reference
  /// replaces the parameter.
  array& param(const std::string& key);
  const array& param(const std::string& key) const;

 protected:
  /// Add or replace a parameter (MLX's `self.name = array`).
  void register_parameter(const std::string& key, array value);
  /// Remove a parameter if present.
  void remove_parameter(const std::string& key);
  /// Add a child module / a list of child modules under `key`.
  void register_module(const std::string& key, std::shared_ptr<Module> child);
  void register_modules(const std::string& key, std::vector<std::shared_ptr<Module>> children);

 private:
  struct Entry {
    std::string key;
    std::optional<array> value;                 // a parameter
    std::shared_ptr<Module> child;              // a child module
    std::vector<std::shared_ptr<Module>> list;  // a list of child modules
    bool is_list{false};
  };
  Entry* find(const std::string& key);
  const Entry* find(const std::string& key) const;
  Params collect(bool trainable_only) const;
  void set_frozen(bool frozen, bool recurse, const std::vector<std::string>& keys, bool strict,
                  const char* op);
  void named_modules_into(const std::string& prefix,
                          std::vector<std::pair<std::string, Module*>>& out);
  void describe(std::string& out, int indent) const;

  std::vector<Entry> entries_;
  std::set<std::string> frozen_;
  bool training_{true};
};

/// A loss computed from the inputs with the module's current parameters.
using ModuleLossFn = std::function<array(const std::vector<array>& inputs)>;
/// Returns (loss, gradients of the loss with respect to model.trainable_parameters()).
using ModuleValueAndGradFn =
    std::function<std::pair<array, Params>(const std::vector<array>& inputs)>;

/// mlx.nn.value_and_grad: a function that evaluates fn(inputs) and its gradient with respect to
/// the trainable parameters of `model` (the gradient tree mirrors trainable_parameters()). fn
/// must call `model`, which is kept alive by reference: it must outlive the returned function.
/// The model's parameters are restored afterwards; other state it changes (BatchNorm's running
/// statistics) is kept.
ModuleValueAndGradFn value_and_grad(Module& model, ModuleLossFn fn);

/// A function whose first output is the loss; the others (e.g. logits or an accuracy) come back
/// with it, undifferentiated, as MLX's value_and_grad does for a function returning a tuple.
using ModuleOutputsFn = std::function<std::vector<array>(const std::vector<array>& inputs)>;
/// Returns (every output of fn, gradients of the first with respect to the trainable parameters).
using ModuleValuesAndGradFn =
    std::function<std::pair<std::vector<array>, Params>(const std::vector<array>& inputs)>;

/// value_and_grad for a function with auxiliary outputs:
///   auto step = nn::value_and_grad(model, [&](const std::vector<array>& in) {
///     array logits = model(in[0]);
///     return std::vector<array>{losses::cross_entropy(logits, in[1], {}, -1, 0, "mean"), logits};
///   });
///   auto [outs, grads] = step({x, y});   // outs[0] the loss, outs[1] the logits
ModuleValuesAndGradFn value_and_grad(Module& model, ModuleOutputsFn fn);

/// Write named arrays to `path`, in the format its extension names: ".safetensors"
/// (save_safetensors), ".npz" (savez), otherwise the Tandem array-archive format (little-endian):
/// the 8 bytes "TANDEMA1", a uint64 count, then per array: uint32 name length, the UTF-8 name,
/// uint8 dtype code (Dtype::Val), uint32 ndim, ndim int64 extents, uint64 byte count, the
/// row-major bytes.
void save_arrays(const std::string& path, const std::vector<std::pair<std::string, array>>& arrays);
/// Read a file written by save_arrays, by extension as above (safetensors and .npz arrays are
/// loaded lazily and returned in name order). A bad archive throws "[load_arrays] ..."; the other
/// formats throw as load_safetensors / load_npz do.
std::vector<std::pair<std::string, array>> load_arrays(const std::string& path);

}  // namespace tandem::nn
