// Copyright © 2026 Tandem authors.
// Params (the parameter tree), Module (registration, parameters, update, freeze, modes, weights
// files) and nn::value_and_grad.
#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "tandem/nn.h"
#include "tandem/ops.h"
#include "tandem/transforms.h"
#include "tandem/utils.h"

namespace tandem::nn {

namespace {

[[noreturn]] void fail(const std::string& op, const std::string& msg) {
  throw std::invalid_argument("[" + op + "] " + msg);
}

const char* kind_name(Params::Kind k) {
  switch (k) {
    case Params::Kind::none:
      return "None";
    case Params::Kind::array:
      return "an array";
    case Params::Kind::dict:
      return "a dict";
    case Params::Kind::list:
      return "a list";
  }
  return "?";
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 10 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

// ================================ Params ================================

Params::Params(array a) : kind_(Kind::array), array_(std::move(a)) {}

Params Params::dict() {
  Params p;
  p.kind_ = Kind::dict;
  return p;
}
Params Params::list() {
  Params p;
  p.kind_ = Kind::list;
  return p;
}
Params Params::dict(std::vector<Item> items) {
  Params p = dict();
  for (auto& [k, v] : items)
    p.set(k, std::move(v));
  return p;
}
Params Params::list(std::vector<Params> elements) {
  Params p = list();
  p.list_ = std::move(elements);
  return p;
}

const array& Params::as_array() const {
  if (kind_ != Kind::array)
    fail("Params", std::string("Expected an array but the node is ") + kind_name(kind_) + ".");
  return *array_;
}
array& Params::as_array() {
  return const_cast<array&>(static_cast<const Params*>(this)->as_array());
}

bool Params::contains(const std::string& key) const {
  if (kind_ != Kind::dict) return false;
  for (auto& it : dict_)
    if (it.first == key) return true;
  return false;
}

Params& Params::operator[](const std::string& key) {
  if (kind_ == Kind::none) kind_ = Kind::dict;
  if (kind_ != Kind::dict)
    fail("Params",
         std::string("Cannot index ") + kind_name(kind_) + " with the key \"" + key + "\".");
  for (auto& it : dict_)
    if (it.first == key) return it.second;
  dict_.emplace_back(key, Params());
  return dict_.back().second;
}

const Params& Params::at(const std::string& key) const {
  if (kind_ != Kind::dict)
    fail("Params",
         std::string("Cannot index ") + kind_name(kind_) + " with the key \"" + key + "\".");
  for (auto& it : dict_)
    if (it.first == key) return it.second;
  fail("Params", "No key \"" + key + "\".");
}
Params& Params::at(const std::string& key) {
  return const_cast<Params&>(static_cast<const Params*>(this)->at(key));
}

void Params::set(const std::string& key, Params value) {
  (*this)[key] = std::move(value);
}

void Params::erase(const std::string& key) {
  if (kind_ != Kind::dict) return;
  dict_.erase(
      std::remove_if(dict_.begin(), dict_.end(), [&](const Item& it) { return it.first == key; }),
      dict_.end());
}

const std::vector<Params::Item>& Params::items() const {
  if (kind_ != Kind::dict)
    fail("Params", std::string("items() needs a dict; the node is ") + kind_name(kind_) + ".");
  return dict_;
}
std::vector<Params::Item>& Params::items() {
  return const_cast<std::vector<Item>&>(static_cast<const Params*>(this)->items());
}

std::vector<std::string> Params::keys() const {
  std::vector<std::string> out;
  for (auto& it : items())
    out.push_back(it.first);
  return out;
}

Params& Params::operator[](size_t i) {
  return const_cast<Params&>(static_cast<const Params*>(this)->at(i));
}
const Params& Params::at(size_t i) const {
  if (kind_ != Kind::list)
    fail("Params", std::string("Cannot index ") + kind_name(kind_) + " with the integer " +
                       std::to_string(i) + ".");
  if (i >= list_.size())
    fail("Params", "Index " + std::to_string(i) + " is out of range for a list of " +
                       std::to_string(list_.size()) + " elements.");
  return list_[i];
}

void Params::push_back(Params value) {
  if (kind_ == Kind::none) kind_ = Kind::list;
  if (kind_ != Kind::list)
    fail("Params", std::string("push_back needs a list; the node is ") + kind_name(kind_) + ".");
  list_.push_back(std::move(value));
}

const std::vector<Params>& Params::elements() const {
  if (kind_ != Kind::list)
    fail("Params", std::string("elements() needs a list; the node is ") + kind_name(kind_) + ".");
  return list_;
}
std::vector<Params>& Params::elements() {
  return const_cast<std::vector<Params>&>(static_cast<const Params*>(this)->elements());
}

size_t Params::size() const {
  switch (kind_) {
    case Kind::none:
      return 0;
    case Kind::array:
      return 1;
    case Kind::dict:
      return dict_.size();
    case Kind::list:
      return list_.size();
  }
  return 0;
}

namespace {
void flatten_into(const Params& p, const std::string& prefix,
                  std::vector<std::pair<std::string, array>>& out) {
  auto join = [&](const std::string& k) { return prefix.empty() ? k : prefix + "." + k; };
  switch (p.kind()) {
    case Params::Kind::none:
      return;
    case Params::Kind::array:
      out.emplace_back(prefix, p.as_array());
      return;
    case Params::Kind::dict:
      for (auto& [k, v] : p.items())
        flatten_into(v, join(k), out);
      return;
    case Params::Kind::list:
      for (size_t i = 0; i < p.elements().size(); ++i)
        flatten_into(p.elements()[i], join(std::to_string(i)), out);
      return;
  }
}

void insert_path(Params& node, const std::vector<std::string>& parts, size_t i, const array& a,
                 const std::string& full) {
  if (i == parts.size()) {
    if (!node.is_none()) fail("Params.unflatten", "The path \"" + full + "\" appears twice.");
    node = Params(a);
    return;
  }
  const std::string& part = parts[i];
  if (is_index(part)) {
    if (node.is_none()) node = Params::list();
    if (!node.is_list())
      fail("Params.unflatten", "The path \"" + full + "\" mixes list indices and dict keys.");
    size_t idx = std::stoul(part);
    auto& el = node.elements();
    if (el.size() <= idx) el.resize(idx + 1);
    insert_path(el[idx], parts, i + 1, a, full);
  } else {
    if (node.is_none()) node = Params::dict();
    if (!node.is_dict())
      fail("Params.unflatten", "The path \"" + full + "\" mixes list indices and dict keys.");
    insert_path(node[part], parts, i + 1, a, full);
  }
}
}  // namespace

std::vector<std::pair<std::string, array>> Params::flatten() const {
  std::vector<std::pair<std::string, array>> out;
  flatten_into(*this, "", out);
  return out;
}

Params Params::unflatten(const std::vector<std::pair<std::string, array>>& flat) {
  Params root = Params::dict();
  for (auto& [path, a] : flat) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t dot = path.find('.', start);
      parts.push_back(
          path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (std::any_of(parts.begin(), parts.end(), [](auto& s) { return s.empty(); }))
      fail("Params.unflatten", "Invalid path \"" + path + "\".");
    if (is_index(parts[0]) && root.is_dict() && root.size() == 0) root = Params();
    insert_path(root, parts, 0, a, path);
  }
  return root;
}

std::vector<array> Params::leaves() const {
  std::vector<array> out;
  for (auto& [k, a] : flatten())
    out.push_back(a);
  return out;
}

Params tree_map(const Params& tree, const std::function<array(const array&)>& fn) {
  switch (tree.kind()) {
    case Params::Kind::none:
      return Params();
    case Params::Kind::array:
      return Params(fn(tree.as_array()));
    case Params::Kind::dict: {
      Params out = Params::dict();
      for (auto& [k, v] : tree.items())
        out.set(k, tree_map(v, fn));
      return out;
    }
    case Params::Kind::list: {
      Params out = Params::list();
      for (auto& v : tree.elements())
        out.push_back(tree_map(v, fn));
      return out;
    }
  }
  return Params();
}

namespace {
Params tree_map2(const Params& a, const Params& b,
                 const std::function<array(const array&, const array&)>& fn,
                 const std::string& path) {
  auto where = [&]() { return path.empty() ? std::string("the root") : "\"" + path + "\""; };
  auto join = [&](const std::string& k) { return path.empty() ? k : path + "." + k; };
  switch (a.kind()) {
    case Params::Kind::none:
      return Params();
    case Params::Kind::array:
      if (!b.is_array())
        fail("tree_map", "Expected an array at " + where() + " of the second tree but found " +
                             kind_name(b.kind()) + ".");
      return Params(fn(a.as_array(), b.as_array()));
    case Params::Kind::dict: {
      if (!b.is_dict())
        fail("tree_map", "Expected a dict at " + where() + " of the second tree but found " +
                             kind_name(b.kind()) + ".");
      Params out = Params::dict();
      for (auto& [k, v] : a.items()) {
        if (!b.contains(k)) fail("tree_map", "The second tree has no key \"" + join(k) + "\".");
        out.set(k, tree_map2(v, b.at(k), fn, join(k)));
      }
      return out;
    }
    case Params::Kind::list: {
      if (!b.is_list() || b.size() < a.size())
        fail("tree_map", "Expected a list of at least " + std::to_string(a.size()) +
                             " elements at " + where() + " of the second tree.");
      Params out = Params::list();
      for (size_t i = 0; i < a.size(); ++i)
        out.push_back(tree_map2(a.at(i), b.at(i), fn, join(std::to_string(i))));
      return out;
    }
  }
  return Params();
}
}  // namespace

Params tree_map(const Params& a, const Params& b,
                const std::function<array(const array&, const array&)>& fn) {
  return tree_map2(a, b, fn, "");
}

Params tree_replace_leaves(const Params& structure, const std::vector<array>& leaves) {
  size_t i = 0;
  Params out = tree_map(structure, [&](const array&) {
    if (i >= leaves.size())
      fail("tree_replace_leaves",
           "Got " + std::to_string(leaves.size()) + " leaves for a tree with more leaves.");
    return leaves[i++];
  });
  if (i != leaves.size())
    fail("tree_replace_leaves", "Got " + std::to_string(leaves.size()) +
                                    " leaves for a tree with " + std::to_string(i) + ".");
  return out;
}

// ================================ Module ================================

array Module::operator()(const array& x) {
  fail(name(), "This module cannot be called with a single array; use its own call signature.");
}

Module::Entry* Module::find(const std::string& key) {
  for (auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}
const Module::Entry* Module::find(const std::string& key) const {
  for (auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

void Module::register_parameter(const std::string& key, array value) {
  if (Entry* e = find(key)) {
    if (!e->value) fail(name(), "\"" + key + "\" is already a child module.");
    e->value = std::move(value);
    return;
  }
  Entry e;
  e.key = key;
  e.value = std::move(value);
  entries_.push_back(std::move(e));
}

void Module::remove_parameter(const std::string& key) {
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.key == key && e.value; }),
                 entries_.end());
  frozen_.erase(key);
}

void Module::register_module(const std::string& key, std::shared_ptr<Module> child) {
  if (!child) fail(name(), "Child module \"" + key + "\" is null.");
  if (find(key)) fail(name(), "\"" + key + "\" is already registered.");
  Entry e;
  e.key = key;
  e.child = std::move(child);
  entries_.push_back(std::move(e));
}

void Module::register_modules(const std::string& key,
                              std::vector<std::shared_ptr<Module>> children) {
  for (size_t i = 0; i < children.size(); ++i)
    if (!children[i])
      fail(name(), "Child module \"" + key + "." + std::to_string(i) + "\" is null.");
  if (find(key)) fail(name(), "\"" + key + "\" is already registered.");
  Entry e;
  e.key = key;
  e.list = std::move(children);
  e.is_list = true;
  entries_.push_back(std::move(e));
}

bool Module::has_param(const std::string& key) const {
  const Entry* e = find(key);
  return e && e->value.has_value();
}

array& Module::param(const std::string& key) {
  return const_cast<array&>(static_cast<const Module*>(this)->param(key));
}
const array& Module::param(const std::string& key) const {
  const Entry* e = find(key);
  if (!e || !e->value) fail(name(), "No parameter named \"" + key + "\".");
  return *e->value;
}

Params Module::collect(bool trainable_only) const {
  Params out = Params::dict();
  for (auto& e : entries_) {
    if (e.value) {
      if (!trainable_only || !frozen_.count(e.key)) out.set(e.key, *e.value);
    } else if (e.child) {
      out.set(e.key, e.child->collect(trainable_only));
    } else {
      Params l = Params::list();
      for (auto& c : e.list)
        l.push_back(c->collect(trainable_only));
      out.set(e.key, std::move(l));
    }
  }
  return out;
}

Params Module::parameters() const {
  return collect(false);
}
Params Module::trainable_parameters() const {
  return collect(true);
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::children() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  for (auto& e : entries_) {
    if (e.child) out.emplace_back(e.key, e.child);
    if (e.is_list)
      for (size_t i = 0; i < e.list.size(); ++i)
        out.emplace_back(e.key + "." + std::to_string(i), e.list[i]);
  }
  return out;
}

void Module::named_modules_into(const std::string& prefix,
                                std::vector<std::pair<std::string, Module*>>& out) {
  out.emplace_back(prefix, this);
  for (auto& [k, c] : children())
    c->named_modules_into(prefix.empty() ? k : prefix + "." + k, out);
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  named_modules_into("", out);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::leaf_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  for (auto& [k, m] : named_modules())
    if (!k.empty() && m->children().empty()) out.emplace_back(k, m);
  return out;
}

void Module::update(const Params& params, bool strict) {
  if (params.is_none()) return;
  if (!params.is_dict())
    fail("Module.update", std::string("Expected a dict of parameters for ") + name() + " but got " +
                              kind_name(params.kind()) + ".");
  for (auto& [k, v] : params.items()) {
    Entry* e = find(k);
    if (!e) {
      if (strict) fail("Module.update", name() + " has no parameter or child named \"" + k + "\".");
      continue;
    }
    if (v.is_none()) continue;
    if (e->value) {
      if (!v.is_array())
        fail("Module.update", "Expected an array for \"" + k + "\" of " + name() + " but got " +
                                  kind_name(v.kind()) + ".");
      e->value = v.as_array();
    } else if (e->child) {
      e->child->update(v, strict);
    } else {
      if (!v.is_list())
        fail("Module.update", "Expected a list for \"" + k + "\" of " + name() + " but got " +
                                  kind_name(v.kind()) + ".");
      if (v.size() > e->list.size())
        fail("Module.update", "Got " + std::to_string(v.size()) + " entries for \"" + k + "\" of " +
                                  name() + ", which has " + std::to_string(e->list.size()) +
                                  " modules.");
      for (size_t i = 0; i < v.size(); ++i)
        e->list[i]->update(v.at(i), strict);
    }
  }
}

void Module::set_frozen(bool frozen, bool recurse, const std::vector<std::string>& keys,
                        bool strict, const char* op) {
  if (keys.empty()) {
    for (auto& e : entries_)
      if (e.value) frozen ? (void)frozen_.insert(e.key) : (void)frozen_.erase(e.key);
  } else {
    for (auto& k : keys) {
      const Entry* e = find(k);
      if (!e || !e->value) {
        if (strict) fail(op, name() + " has no parameter named \"" + k + "\".");
        continue;
      }
      frozen ? (void)frozen_.insert(k) : (void)frozen_.erase(k);
    }
  }
  if (recurse) {
    for (auto& [k, c] : children()) {
      if (frozen) {
        c->freeze(true, keys, false);
      } else {
        c->unfreeze(true, keys, false);
      }
    }
  }
}

void Module::freeze(bool recurse, const std::vector<std::string>& keys, bool strict) {
  set_frozen(true, recurse, keys, strict, "Module.freeze");
}
void Module::unfreeze(bool recurse, const std::vector<std::string>& keys, bool strict) {
  set_frozen(false, recurse, keys, strict, "Module.unfreeze");
}
bool Module::is_frozen(const std::string& key) const {
  return frozen_.count(key) > 0;
}

void Module::train(bool mode) {
  training_ = mode;
  for (auto& [k, c] : children())
    c->train(mode);
}

void Module::apply(const std::function<array(const array&)>& fn) {
  for (auto& e : entries_) {
    if (e.value) e.value = fn(*e.value);
  }
  for (auto& [k, c] : children())
    c->apply(fn);
}

void Module::set_dtype(Dtype dtype) {
  apply([dtype](const array& a) { return is_floating_point(a.dtype()) ? astype(a, dtype) : a; });
}

void Module::save_weights(const std::string& path) const {
  save_arrays(path, parameters().flatten());
}

void Module::load_weights(const std::string& path, bool strict) {
  load_weights(load_arrays(path), strict);
}

void Module::load_weights(const std::vector<std::pair<std::string, array>>& weights, bool strict) {
  if (strict) {
    auto own = parameters().flatten();
    for (auto& [k, w] : weights) {
      auto it = std::find_if(own.begin(), own.end(), [&](auto& p) { return p.first == k; });
      if (it == own.end())
        fail("Module.load_weights", "Unexpected parameter \"" + k + "\" for " + name() + ".");
      if (it->second.shape() != w.shape())
        fail("Module.load_weights",
             "Parameter \"" + k + "\" has shape " + shape_to_string(it->second.shape()) +
                 " in the module but " + shape_to_string(w.shape()) + " in the weights.");
    }
    for (auto& [k, a] : own) {
      bool found =
          std::any_of(weights.begin(), weights.end(), [&](auto& p) { return p.first == k; });
      if (!found)
        fail("Module.load_weights", "Missing parameter \"" + k + "\" for " + name() + ".");
    }
  }
  update(Params::unflatten(weights), strict);
}

void Module::describe(std::string& out, int indent) const {
  out += name() + "(" + extra_repr();
  auto kids = children();
  if (!kids.empty()) {
    out += "\n";
    for (auto& [k, c] : kids) {
      out += std::string(indent + 2, ' ') + "(" + k + "): ";
      c->describe(out, indent + 2);
      out += "\n";
    }
    out += std::string(indent, ' ');
  }
  out += ")";
}

std::string Module::to_string() const {
  std::string out;
  describe(out, 0);
  return out;
}

// ================================ value_and_grad ================================

ModuleValuesAndGradFn value_and_grad(Module& model, ModuleOutputsFn fn) {
  return [&model, fn = std::move(fn)](const std::vector<array>& inputs) {
    Params params = model.trainable_parameters();
    std::vector<array> primals = params.leaves();
    size_t n = primals.size();
    primals.insert(primals.end(), inputs.begin(), inputs.end());
    std::vector<int> argnums(n);
    std::iota(argnums.begin(), argnums.end(), 0);
    auto call = [&fn](const std::vector<array>& ins) {
      std::vector<array> outs = fn(ins);
      if (outs.empty())
        fail("value_and_grad", "The function returned no outputs; its first output is the loss.");
      if (outs[0].size() != 1)
        fail("value_and_grad", "The loss function must return a single value; got shape " +
                                   shape_to_string(outs[0].shape()) + ".");
      return outs;
    };
    auto inner = [&](const std::vector<array>& args) {
      std::vector<array> ps(args.begin(), args.begin() + n);
      std::vector<array> ins(args.begin() + n, args.end());
      model.update(tree_replace_leaves(params, ps), false);
      return call(ins);
    };
    struct Restore {
      Module& m;
      const Params& p;
      ~Restore() { m.update(p, false); }
    } restore{model, params};
    if (n == 0) return std::make_pair(call(inputs), params);
    auto [values, grads] = tandem::value_and_grad(ArrayFn(inner), argnums)(primals);
    return std::make_pair(values, tree_replace_leaves(params, grads));
  };
}

ModuleValueAndGradFn value_and_grad(Module& model, ModuleLossFn fn) {
  ModuleOutputsFn as_outputs = [fn = std::move(fn)](const std::vector<array>& inputs) {
    return std::vector<array>{fn(inputs)};
  };
  auto with_outputs = value_and_grad(model, std::move(as_outputs));
  return [with_outputs](const std::vector<array>& inputs) {
    auto [values, grads] = with_outputs(inputs);
    return std::make_pair(values[0], std::move(grads));
  };
}

}  // namespace tandem::nn
