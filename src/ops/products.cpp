// Copyright © 2026 Tandem authors.
// Tensor and structured matrix products: tensordot, inner, outer, kron, vecdot, einsum,
// einsum_path (compositions of existing ops), gather_mm and block_masked_mm (own primitives).
//
// tensordot and einsum share one pairwise contraction (contract_pair): each axis carries an
// integer label; labels seen by both operands and kept are batch axes, labels seen by both and
// not kept are contracted, the others are free. The operands are transposed to
// (batch, free, contracted) / (batch, contracted, free) and reshaped to batched matrices for one
// matmul, choosing for each operand the group order its memory already has so that a transposed
// view reaches BLAS without a copy.
#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "ops/ops_common.h"
#include "primitives/products.h"

namespace tandem {

using detail::fail;

bool GatherMM::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const GatherMM*>(&other);
  return o && o->left_sorted_ == left_sorted_ && o->right_sorted_ == right_sorted_;
}

bool BlockMaskedMM::is_equivalent(const Primitive& other) const {
  auto* o = dynamic_cast<const BlockMaskedMM*>(&other);
  return o && o->block_size_ == block_size_ && o->has_out_mask_ == has_out_mask_ &&
         o->has_operand_mask_ == has_operand_mask_;
}

namespace {

// ============================== pairwise contraction ==============================

using Labels = std::vector<int>;

// An operand whose axis i carries labels[i].
struct Term {
  array x;
  Labels labels;
};

bool contains(const Labels& l, int v) {
  return std::find(l.begin(), l.end(), v) != l.end();
}

int position(const Labels& l, int v) {
  return static_cast<int>(std::find(l.begin(), l.end(), v) - l.begin());
}

// Axes that carry the same label twice become one axis: their diagonal (a view), moved last.
Term take_diagonals(Term t, const Stream& s) {
  for (size_t i = 0; i < t.labels.size(); ++i) {
    for (size_t j = i + 1; j < t.labels.size(); ++j) {
      if (t.labels[i] != t.labels[j]) continue;
      int label = t.labels[i];
      t.x = diagonal(t.x, 0, static_cast<int>(i), static_cast<int>(j), s);
      t.labels.erase(t.labels.begin() + j);
      t.labels.erase(t.labels.begin() + i);
      t.labels.push_back(label);
      return take_diagonals(std::move(t), s);  // at most one level per repeated label
    }
  }
  return t;
}

// Sum over the axes whose label `drop` selects.
template <typename F>
Term sum_labels(Term t, F drop, const Stream& s) {
  std::vector<int> axes;
  Labels kept;
  for (size_t i = 0; i < t.labels.size(); ++i) {
    if (drop(t.labels[i])) {
      axes.push_back(static_cast<int>(i));
    } else {
      kept.push_back(t.labels[i]);
    }
  }
  if (axes.empty()) return t;
  return {sum(t.x, axes, false, s), kept};
}

// The axes of `t` for `labels`, in that order.
std::vector<int> axes_of(const Term& t, const Labels& labels) {
  std::vector<int> out;
  for (int l : labels)
    out.push_back(position(t.labels, l));
  return out;
}

// Whether every axis of group `first` precedes every axis of group `second` in `t`.
bool before(const Term& t, const Labels& first, const Labels& second) {
  int last_first = -1, first_second = static_cast<int>(t.labels.size());
  for (int l : first)
    last_first = std::max(last_first, position(t.labels, l));
  for (int l : second)
    first_second = std::min(first_second, position(t.labels, l));
  return last_first < first_second;
}

int64_t extent_product(const array& x, const std::vector<int>& axes) {
  int64_t n = 1;
  for (int a : axes)
    n *= x.shape()[a];
  return n;
}

// One operand as a batch of matrices (batch..., rows, cols) from the label groups
// (batch, rows, cols). When the operand's memory has the cols axes before the rows axes, the
// matrix is built transposed and swapped back (a view BLAS takes as is).
array as_matrices(const Term& t, const Labels& batch, const Labels& rows, const Labels& cols,
                  const Stream& s) {
  std::vector<int> b = axes_of(t, batch), r = axes_of(t, rows), c = axes_of(t, cols);
  Shape shape;
  for (int a : b)
    shape.push_back(t.x.shape()[a]);
  int64_t nr = extent_product(t.x, r), nc = extent_product(t.x, c);
  bool swapped = !rows.empty() && !cols.empty() && before(t, cols, rows);
  std::vector<int> perm = b;
  const auto& g1 = swapped ? c : r;
  const auto& g2 = swapped ? r : c;
  perm.insert(perm.end(), g1.begin(), g1.end());
  perm.insert(perm.end(), g2.begin(), g2.end());
  shape.push_back(static_cast<int32_t>(swapped ? nc : nr));
  shape.push_back(static_cast<int32_t>(swapped ? nr : nc));
  array m = reshape(transpose(t.x, perm, s), shape, s);
  return swapped ? swapaxes(m, -1, -2, s) : m;
}

// Contract two operands, keeping the labels in `keep` (the others are summed). The result's
// labels are batch, then a's free labels, then b's free labels.
Term contract_pair(Term a, Term b, const std::set<int>& keep, const Stream& s) {
  a = take_diagonals(std::move(a), s);
  b = take_diagonals(std::move(b), s);
  // Labels only one operand has and the result does not keep: sum them now.
  a = sum_labels(
      std::move(a), [&](int l) { return !keep.count(l) && !contains(b.labels, l); }, s);
  b = sum_labels(
      std::move(b), [&](int l) { return !keep.count(l) && !contains(a.labels, l); }, s);
  // A contracted label of extent 1 on one side only (broadcast): the other side sums it alone.
  Labels bcast;
  for (int l : a.labels) {
    if (keep.count(l) || !contains(b.labels, l)) continue;
    int ea = a.x.shape()[position(a.labels, l)], eb = b.x.shape()[position(b.labels, l)];
    if (ea != eb) bcast.push_back(l);
  }
  if (!bcast.empty()) {
    auto drop = [&](int l) { return contains(bcast, l); };
    a = sum_labels(std::move(a), drop, s);
    b = sum_labels(std::move(b), drop, s);
  }
  Labels batch, contracted, free_a, free_b;
  for (int l : a.labels) {
    if (contains(b.labels, l)) {
      (keep.count(l) ? batch : contracted).push_back(l);
    } else {
      free_a.push_back(l);
    }
  }
  for (int l : b.labels) {
    if (!contains(a.labels, l)) free_b.push_back(l);
  }
  Labels out_labels = batch;
  out_labels.insert(out_labels.end(), free_a.begin(), free_a.end());
  out_labels.insert(out_labels.end(), free_b.begin(), free_b.end());
  Shape out_shape;
  int64_t batch_size = 1;
  for (int l : batch) {
    int ea = a.x.shape()[position(a.labels, l)], eb = b.x.shape()[position(b.labels, l)];
    int e = ea == 1 ? eb : ea;  // broadcasting: 1 takes the other extent (0 included)
    out_shape.push_back(e);
    batch_size *= e;
  }
  for (int l : free_a)
    out_shape.push_back(a.x.shape()[position(a.labels, l)]);
  for (int l : free_b)
    out_shape.push_back(b.x.shape()[position(b.labels, l)]);
  int64_t rows = extent_product(a.x, axes_of(a, free_a));
  int64_t cols = extent_product(b.x, axes_of(b, free_b));

  // matmul where something is contracted, except for a batch of dot products (one tiny GEMM
  // per batch element: multiply + sum is one pass over the data) and for integer/bool dtypes.
  bool use_matmul =
      is_inexact(a.x.dtype()) && !contracted.empty() && !(rows == 1 && cols == 1 && batch_size > 1);
  if (use_matmul) {
    array am = as_matrices(a, batch, free_a, contracted, s);
    array bm = as_matrices(b, batch, contracted, free_b, s);
    return {reshape(matmul(am, bm, s), out_shape, s), out_labels};
  }
  // Broadcasting multiply: a as (batch, free_a, 1 for each free_b, contracted), b as
  // (batch, 1 for each free_a, free_b, contracted), then sum the contracted axes.
  auto expand = [&](const Term& t, const Labels& mine, bool first) {
    std::vector<int> perm = axes_of(t, batch);
    auto f = axes_of(t, mine), c = axes_of(t, contracted);
    perm.insert(perm.end(), f.begin(), f.end());
    perm.insert(perm.end(), c.begin(), c.end());
    array y = transpose(t.x, perm, s);
    Shape sh = y.shape();
    size_t at = batch.size() + (first ? mine.size() : 0);
    size_t ones = first ? free_b.size() : free_a.size();
    sh.insert(sh.begin() + at, ones, 1);
    return reshape(y, sh, s);
  };
  array prod = multiply(expand(a, free_a, true), expand(b, free_b, false), s);
  if (!contracted.empty()) {
    std::vector<int> axes(contracted.size());
    std::iota(axes.begin(), axes.end(), prod.ndim() - static_cast<int>(contracted.size()));
    prod = sum(prod, axes, false, s);
  }
  return {prod, out_labels};
}

// A single operand reduced to `out` labels in that order (diagonals, sums, transpose).
array finish(Term t, const Labels& out, const Shape& out_shape, Dtype dtype, const Stream& s) {
  t = take_diagonals(std::move(t), s);
  t = sum_labels(
      std::move(t), [&](int l) { return !contains(out, l); }, s);
  array y = transpose(t.x, axes_of(t, out), s);
  if (y.shape() != out_shape) y = broadcast_to(y, out_shape, s);
  return astype(y, dtype, s);
}

// ============================== einsum ==============================

constexpr int kEllipsisLabel = 256;  // ellipsis axes get labels 256, 257, ...; letters their code

struct EinsumSpec {
  std::vector<Labels> inputs;
  Labels output;
  std::map<int, int> extent;  // label -> extent (after size-1 broadcasting)
};

bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Split one term into letters and the position of "..." (-1 when absent).
Labels parse_term(const std::string& term, int& ellipsis_at, const char* op) {
  Labels letters;
  ellipsis_at = -1;
  for (size_t i = 0; i < term.size(); ++i) {
    char c = term[i];
    if (is_letter(c)) {
      letters.push_back(c);
    } else if (c == '.') {
      if (term.compare(i, 3, "...") != 0) {
        fail(op, "Invalid subscript '" + term + "': '.' must be part of an ellipsis '...'.");
      }
      if (ellipsis_at >= 0) {
        fail(op, "Only one ellipsis per subscript is allowed; got '" + term + "'.");
      }
      ellipsis_at = static_cast<int>(letters.size());
      i += 2;
    } else {
      fail(op, std::string("Invalid character '") + c + "' in subscript '" + term +
                   "'; subscripts are letters a-z, A-Z and '...'.");
    }
  }
  return letters;
}

EinsumSpec parse_einsum(const std::string& subscripts, const std::vector<array>& operands,
                        const char* op) {
  std::string sub;
  for (char c : subscripts) {
    if (c != ' ' && c != '\t' && c != '\n') sub += c;
  }
  if (operands.empty()) fail(op, "At least one operand is required.");
  std::string lhs = sub, rhs;
  bool explicit_out = false;
  if (auto arrow = sub.find("->"); arrow != std::string::npos) {
    lhs = sub.substr(0, arrow);
    rhs = sub.substr(arrow + 2);
    explicit_out = true;
    if (rhs.find("->") != std::string::npos || rhs.find(',') != std::string::npos) {
      fail(op, "Subscripts '" + subscripts + "' must have one '->' followed by one output term.");
    }
  }
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != operands.size()) {
    fail(op, "Subscripts '" + subscripts + "' name " + std::to_string(terms.size()) +
                 " operand(s) but " + std::to_string(operands.size()) + " were given.");
  }
  EinsumSpec spec;
  std::vector<Labels> letters(terms.size());
  std::vector<int> ell_at(terms.size()), ell_len(terms.size(), 0);
  int max_ell = 0;
  bool any_ellipsis = false;
  for (size_t i = 0; i < terms.size(); ++i) {
    letters[i] = parse_term(terms[i], ell_at[i], op);
    int nd = operands[i].ndim(), nl = static_cast<int>(letters[i].size());
    if (ell_at[i] >= 0) {
      any_ellipsis = true;
      ell_len[i] = nd - nl;
      if (ell_len[i] < 0) {
        fail(op, "Operand " + std::to_string(i) + " with shape " +
                     shape_to_string(operands[i].shape()) + " has fewer axes than the " +
                     std::to_string(nl) + " letters of subscript '" + terms[i] + "'.");
      }
      max_ell = std::max(max_ell, ell_len[i]);
    } else if (nl != nd) {
      fail(op, "Subscript '" + terms[i] + "' has " + std::to_string(nl) + " letters but operand " +
                   std::to_string(i) + " has shape " + shape_to_string(operands[i].shape()) + ".");
    }
  }
  // Labels and extents. Ellipsis axes align to the right (NumPy broadcasting).
  for (size_t i = 0; i < terms.size(); ++i) {
    Labels l = letters[i];
    if (ell_at[i] >= 0) {
      Labels e;
      for (int k = max_ell - ell_len[i]; k < max_ell; ++k)
        e.push_back(kEllipsisLabel + k);
      l.insert(l.begin() + ell_at[i], e.begin(), e.end());
    }
    std::map<int, int> local;
    for (size_t ax = 0; ax < l.size(); ++ax) {
      int e = operands[i].shape()[ax];
      auto [it, fresh] = local.emplace(l[ax], e);
      if (!fresh && it->second != e) {
        fail(op, "Repeated subscript '" + std::string(1, static_cast<char>(l[ax])) +
                     "' of operand " + std::to_string(i) + " covers axes of different extents (" +
                     std::to_string(it->second) + " and " + std::to_string(e) + ").");
      }
      auto [g, new_label] = spec.extent.emplace(l[ax], e);
      if (!new_label && g->second != e) {
        if (g->second != 1 && e != 1) {
          std::string name = l[ax] >= kEllipsisLabel
                                 ? "ellipsis axis " + std::to_string(ax)
                                 : "subscript '" + std::string(1, static_cast<char>(l[ax])) + "'";
          fail(op, "Extent " + std::to_string(e) + " of " + name + " of operand " +
                       std::to_string(i) + " with shape " + shape_to_string(operands[i].shape()) +
                       " does not match extent " + std::to_string(g->second) +
                       " seen before (and neither is 1).");
        }
        if (g->second == 1) g->second = e;
      }
    }
    spec.inputs.push_back(std::move(l));
  }
  if (explicit_out) {
    int at;
    Labels out = parse_term(rhs, at, op);
    if (at >= 0) {
      Labels e;
      for (int k = 0; k < max_ell; ++k)
        e.push_back(kEllipsisLabel + k);
      out.insert(out.begin() + at, e.begin(), e.end());
    }
    for (size_t i = 0; i < out.size(); ++i) {
      if (std::count(out.begin(), out.end(), out[i]) > 1) {
        fail(op, "Output subscript '" + rhs + "' repeats '" +
                     std::string(1, static_cast<char>(out[i])) + "'.");
      }
      if (!spec.extent.count(out[i])) {
        fail(op, "Output subscript '" + std::string(1, static_cast<char>(out[i])) +
                     "' does not appear in the inputs.");
      }
    }
    spec.output = std::move(out);
  } else {
    // Implicit output: the broadcast ellipsis axes, then letters seen exactly once, sorted.
    if (any_ellipsis) {
      for (int k = 0; k < max_ell; ++k)
        spec.output.push_back(kEllipsisLabel + k);
    }
    std::map<int, int> count;
    for (auto& l : letters) {
      for (int c : l)
        ++count[c];
    }
    for (auto [c, n] : count) {
      if (n == 1) spec.output.push_back(c);
    }
  }
  return spec;
}

double term_size(const std::set<int>& labels, const std::map<int, int>& extent) {
  double n = 1;
  for (int l : labels)
    n *= extent.at(l);
  return n;
}

// FLOP estimate of contracting `terms` together into `result` (as opt_einsum counts: the size
// of the joint index space times the number of products, plus one if something is summed).
double flop_count(const std::vector<std::set<int>>& terms, const std::set<int>& result,
                  const std::map<int, int>& extent) {
  std::set<int> all;
  for (auto& t : terms)
    all.insert(t.begin(), t.end());
  double factor = std::max<double>(1.0, static_cast<double>(terms.size()) - 1.0);
  if (all.size() > result.size()) factor += 1.0;
  return term_size(all, extent) * factor;
}

struct EinsumPlan {
  std::vector<std::vector<int>> path;           // positions contracted at each step
  std::vector<std::set<int>> results;           // label set of each step's result
  std::vector<std::vector<std::set<int>>> ins;  // label sets of each step's operands
};

// Greedy pairwise order: at each step contract the pair that removes the most elements (sizes
// of the two operands minus the size of their result), ties broken by fewer FLOPs then by
// position; pairs without a shared label (outer products) only when no other pair is left.
EinsumPlan plan_einsum(const EinsumSpec& spec) {
  std::vector<std::set<int>> terms;
  for (auto& l : spec.inputs)
    terms.emplace_back(l.begin(), l.end());
  const std::set<int> out(spec.output.begin(), spec.output.end());
  EinsumPlan plan;
  if (terms.size() <= 2) {
    std::vector<int> all(terms.size());
    std::iota(all.begin(), all.end(), 0);
    plan.path.push_back(all);
    plan.results.push_back(out);
    plan.ins.push_back(terms);
    return plan;
  }
  while (terms.size() > 1) {
    auto result_of = [&](size_t i, size_t j) {
      std::set<int> r;
      for (size_t k : {i, j}) {
        for (int l : terms[k]) {
          bool needed = out.count(l) > 0;
          for (size_t m = 0; m < terms.size() && !needed; ++m) {
            if (m != i && m != j && terms[m].count(l)) needed = true;
          }
          if (needed) r.insert(l);
        }
      }
      return r;
    };
    int best_i = -1, best_j = -1;
    double best_removed = 0, best_cost = 0;
    std::set<int> best_result;
    for (int pass = 0; pass < 2 && best_i < 0; ++pass) {
      for (size_t i = 0; i < terms.size(); ++i) {
        for (size_t j = i + 1; j < terms.size(); ++j) {
          bool shares = std::any_of(terms[i].begin(), terms[i].end(),
                                    [&](int l) { return terms[j].count(l) > 0; });
          if (pass == 0 && !shares) continue;
          std::set<int> r = terms.size() == 2 ? out : result_of(i, j);
          double removed = term_size(terms[i], spec.extent) + term_size(terms[j], spec.extent) -
                           term_size(r, spec.extent);
          double cost = flop_count({terms[i], terms[j]}, r, spec.extent);
          if (best_i < 0 || removed > best_removed ||
              (removed == best_removed && cost < best_cost)) {
            best_i = static_cast<int>(i);
            best_j = static_cast<int>(j);
            best_removed = removed;
            best_cost = cost;
            best_result = r;
          }
        }
      }
    }
    plan.path.push_back({best_i, best_j});
    plan.ins.push_back({terms[best_i], terms[best_j]});
    plan.results.push_back(best_result);
    terms.erase(terms.begin() + best_j);
    terms.erase(terms.begin() + best_i);
    terms.push_back(best_result);
  }
  plan.results.back() = out;
  return plan;
}

// Printable letters for labels (ellipsis axes get letters the subscripts do not use).
std::map<int, char> label_letters(const EinsumSpec& spec) {
  std::set<int> used;
  for (auto& l : spec.inputs)
    used.insert(l.begin(), l.end());
  std::string spare;
  for (char c = 'A'; c <= 'Z'; ++c) {
    if (!used.count(c)) spare += c;
  }
  for (char c = 'z'; c >= 'a'; --c) {
    if (!used.count(c)) spare += c;
  }
  std::map<int, char> m;
  size_t next = 0;
  for (int l : used) {
    if (l < kEllipsisLabel) {
      m[l] = static_cast<char>(l);
    } else {
      m[l] = next < spare.size() ? spare[next++] : '?';
    }
  }
  return m;
}

std::string spell(const std::set<int>& labels, const std::map<int, char>& letters) {
  std::string s;
  for (int l : labels)
    s += letters.at(l);
  return s;
}

std::string spell(const Labels& labels, const std::map<int, char>& letters) {
  std::string s;
  for (int l : labels)
    s += letters.at(l);
  return s;
}

std::string describe(const std::string& subscripts, const EinsumSpec& spec,
                     const EinsumPlan& plan) {
  auto letters = label_letters(spec);
  std::vector<std::set<int>> inputs;
  for (auto& l : spec.inputs)
    inputs.emplace_back(l.begin(), l.end());
  std::set<int> all;
  for (auto& t : inputs)
    all.insert(t.begin(), t.end());
  const std::set<int> out(spec.output.begin(), spec.output.end());
  double naive = flop_count(inputs, out, spec.extent);
  double optimized = 0, largest = term_size(out, spec.extent);
  size_t scaling = 0;
  for (size_t k = 0; k < plan.path.size(); ++k) {
    optimized += flop_count(plan.ins[k], plan.results[k], spec.extent);
    std::set<int> joint;
    for (auto& t : plan.ins[k])
      joint.insert(t.begin(), t.end());
    scaling = std::max(scaling, joint.size());
    largest = std::max(largest, term_size(plan.results[k], spec.extent));
  }
  std::ostringstream os;
  std::string full;
  for (size_t i = 0; i < spec.inputs.size(); ++i) {
    if (i) full += ',';
    full += spell(spec.inputs[i], letters);
  }
  full += "->" + spell(spec.output, letters);
  os << "  Complete contraction:  " << subscripts;
  if (full != subscripts) os << "  (" << full << ")";
  os << "\n";
  os << "         Naive scaling:  " << all.size() << "\n";
  os << "     Optimized scaling:  " << scaling << "\n";
  os.setf(std::ios::scientific);
  os.precision(3);
  os << "      Naive FLOP count:  " << naive << "\n";
  os << "  Optimized FLOP count:  " << optimized << "\n";
  os.unsetf(std::ios::scientific);
  os.precision(4);
  os << "   Theoretical speedup:  " << (optimized > 0 ? naive / optimized : 1.0) << "\n";
  os << "  Largest intermediate:  " << static_cast<int64_t>(largest) << " elements\n";
  os << "  step  positions  contraction\n";
  for (size_t k = 0; k < plan.path.size(); ++k) {
    std::string lhs, pos = "[";
    for (size_t j = 0; j < plan.path[k].size(); ++j) {
      if (j) {
        lhs += ',';
        pos += ", ";
      }
      lhs += spell(plan.ins[k][j], letters);
      pos += std::to_string(plan.path[k][j]);
    }
    pos += "]";
    std::string res =
        k + 1 == plan.path.size() ? spell(spec.output, letters) : spell(plan.results[k], letters);
    os << "  " << k << std::string(k < 10 ? 5 : 4, ' ') << pos
       << std::string(pos.size() < 11 ? 11 - pos.size() : 1, ' ') << lhs << "->" << res << "\n";
  }
  return os.str();
}

}  // namespace

// ============================== public ops ==============================

array tensordot(const array& a, const array& b, const int axis, StreamOrDevice s) {
  if (axis < 0) fail("tensordot", "axis must be non-negative; got " + std::to_string(axis) + ".");
  if (axis > std::min(a.ndim(), b.ndim())) {
    fail("tensordot", "axis " + std::to_string(axis) + " exceeds the dimensions of inputs " +
                          shape_to_string(a.shape()) + " and " + shape_to_string(b.shape()) + ".");
  }
  std::vector<int> axes_a, axes_b;
  for (int i = 0; i < axis; ++i) {
    axes_a.push_back(a.ndim() - axis + i);
    axes_b.push_back(i);
  }
  return tensordot(a, b, axes_a, axes_b, s);
}

array tensordot(const array& a_in, const array& b_in, const std::vector<int>& axes_a_in,
                const std::vector<int>& axes_b_in, StreamOrDevice s) {
  if (axes_a_in.size() != axes_b_in.size()) {
    fail("tensordot", "axes_a and axes_b must have the same length; got " +
                          std::to_string(axes_a_in.size()) + " and " +
                          std::to_string(axes_b_in.size()) + ".");
  }
  auto axes_a = detail::normalize_axes(axes_a_in, a_in.ndim(), "tensordot");
  auto axes_b = detail::normalize_axes(axes_b_in, b_in.ndim(), "tensordot");
  for (size_t i = 0; i < axes_a.size(); ++i) {
    if (a_in.shape()[axes_a[i]] != b_in.shape()[axes_b[i]]) {
      fail("tensordot", "Contracted axis " + std::to_string(axes_a_in[i]) + " of shape " +
                            shape_to_string(a_in.shape()) + " and axis " +
                            std::to_string(axes_b_in[i]) + " of shape " +
                            shape_to_string(b_in.shape()) + " have different extents.");
    }
  }
  Stream st = to_stream(s);
  Dtype t = promote_types(a_in.dtype(), b_in.dtype());
  Term a{astype(a_in, t, st), {}}, b{astype(b_in, t, st), {}};
  a.labels.resize(a.x.ndim());
  std::iota(a.labels.begin(), a.labels.end(), 0);
  b.labels.assign(b.x.ndim(), -1);
  for (size_t i = 0; i < axes_b.size(); ++i)
    b.labels[axes_b[i]] = axes_a[i];
  Labels out;
  Shape out_shape;
  for (int d = 0; d < a.x.ndim(); ++d) {
    if (!contains(axes_a, d)) {
      out.push_back(d);
      out_shape.push_back(a.x.shape()[d]);
    }
  }
  for (int d = 0, next = a.x.ndim(); d < b.x.ndim(); ++d) {
    if (b.labels[d] < 0) {
      b.labels[d] = next++;
      out.push_back(b.labels[d]);
      out_shape.push_back(b.x.shape()[d]);
    }
  }
  Term r = contract_pair(std::move(a), std::move(b), std::set<int>(out.begin(), out.end()), st);
  return finish(std::move(r), out, out_shape, t, st);
}

array inner(const array& a, const array& b, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) return multiply(a, b, s);
  if (a.shape(-1) != b.shape(-1)) {
    fail("inner", "The last dimensions of shapes " + shape_to_string(a.shape()) + " and " +
                      shape_to_string(b.shape()) + " must match.");
  }
  return tensordot(a, b, std::vector<int>{-1}, std::vector<int>{-1}, s);
}

array outer(const array& a, const array& b, StreamOrDevice s) {
  return multiply(reshape(a, {static_cast<int32_t>(a.size()), 1}, s), flatten(b, s), s);
}

array kron(const array& a, const array& b, StreamOrDevice s) {
  if (a.size() == 0 || b.size() == 0) {
    fail("kron", "Input arrays cannot be empty; got shapes " + shape_to_string(a.shape()) +
                     " and " + shape_to_string(b.shape()) + ".");
  }
  int nd = std::max(a.ndim(), b.ndim());
  // a as (a0, 1, a1, 1, ...), b as (1, b0, 1, b1, ...): their product interleaves the axes.
  Shape sa(2 * nd, 1), sb(2 * nd, 1), out(nd, 1);
  for (int i = 0; i < a.ndim(); ++i) {
    int d = nd - a.ndim() + i;
    sa[2 * d] = a.shape()[i];
    out[d] *= a.shape()[i];
  }
  for (int i = 0; i < b.ndim(); ++i) {
    int d = nd - b.ndim() + i;
    sb[2 * d + 1] = b.shape()[i];
    out[d] *= b.shape()[i];
  }
  return reshape(multiply(reshape(a, sa, s), reshape(b, sb, s), s), out, s);
}

array vecdot(const array& a, const array& b, int axis, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) {
    fail("vecdot", "Inputs must have at least one dimension; got shapes " +
                       shape_to_string(a.shape()) + " and " + shape_to_string(b.shape()) + ".");
  }
  Shape bs;
  try {
    bs = broadcast_shapes(a.shape(), b.shape());
  } catch (const std::invalid_argument&) {
    fail("vecdot", "Shapes " + shape_to_string(a.shape()) + " and " + shape_to_string(b.shape()) +
                       " cannot be broadcast.");
  }
  int nd = static_cast<int>(bs.size());
  int ax = normalize_axis(axis, nd, "vecdot");
  int ia = ax - (nd - a.ndim()), ib = ax - (nd - b.ndim());
  if (ia < 0 || ib < 0 || a.shape()[ia] != b.shape()[ib]) {
    fail("vecdot", "Axis " + std::to_string(axis) + " must exist in both inputs with the same " +
                       "extent; got shapes " + shape_to_string(a.shape()) + " and " +
                       shape_to_string(b.shape()) + ".");
  }
  Dtype t = promote_types(a.dtype(), b.dtype());
  array x = astype(a, t, s), y = astype(b, t, s);
  if (is_complex(t)) x = conjugate(x, s);
  return astype(sum(multiply(x, y, s), ax, false, s), t, s);
}

std::pair<std::vector<std::vector<int>>, std::string> einsum_path(
    const std::string& subscripts, const std::vector<array>& operands) {
  EinsumSpec spec = parse_einsum(subscripts, operands, "einsum_path");
  EinsumPlan plan = plan_einsum(spec);
  return {plan.path, describe(subscripts, spec, plan)};
}

array einsum(const std::string& subscripts, const std::vector<array>& operands, StreamOrDevice s) {
  EinsumSpec spec = parse_einsum(subscripts, operands, "einsum");
  EinsumPlan plan = plan_einsum(spec);
  Stream st = to_stream(s);
  Dtype t = result_type(operands);
  std::vector<Term> terms;
  for (size_t i = 0; i < operands.size(); ++i)
    terms.push_back({astype(operands[i], t, st), spec.inputs[i]});
  for (size_t k = 0; k < plan.path.size(); ++k) {
    const auto& pos = plan.path[k];
    if (pos.size() == 1 && k + 1 == plan.path.size()) break;  // one operand: finish() does it
    // Keep what the output or a remaining operand needs.
    std::set<int> keep(spec.output.begin(), spec.output.end());
    for (size_t m = 0; m < terms.size(); ++m) {
      if (std::find(pos.begin(), pos.end(), static_cast<int>(m)) == pos.end()) {
        keep.insert(terms[m].labels.begin(), terms[m].labels.end());
      }
    }
    Term r = contract_pair(terms[pos[0]], terms[pos[1]], keep, st);
    for (auto it = pos.rbegin(); it != pos.rend(); ++it)
      terms.erase(terms.begin() + *it);
    terms.push_back(std::move(r));
  }
  Shape out_shape;
  for (int l : spec.output)
    out_shape.push_back(spec.extent.at(l));
  return finish(std::move(terms[0]), spec.output, out_shape, t, st);
}

// ============================== gather_mm ==============================

namespace {

// Shared checks of gather_mm and block_masked_mm: 1-d operands promoted to matrices, inner
// extents equal, a real floating result dtype. Returns the dtype.
Dtype check_mm_operands(array& a, array& b, const char* op, StreamOrDevice s) {
  if (a.ndim() == 0 || b.ndim() == 0) {
    fail(op, "Got 0-d input(s) with shapes " + shape_to_string(a.shape()) + " and " +
                 shape_to_string(b.shape()) + "; inputs must have at least one dimension.");
  }
  Dtype t = promote_types(a.dtype(), b.dtype());
  if (!is_floating_point(t)) {
    fail(op, "Only real floating-point types are supported; got " + dtype_name(a.dtype()) +
                 " and " + dtype_name(b.dtype()) + ", which promote to " + dtype_name(t) + ".");
  }
  Shape as = a.shape(), bs = b.shape();
  if (a.ndim() == 1) a = expand_dims(a, 0, s);
  if (b.ndim() == 1) b = expand_dims(b, 1, s);
  if (a.shape(-1) != b.shape(-2)) {
    fail(op, "Last dimension of first input with shape " + shape_to_string(as) +
                 " must match second to last dimension of second input with shape " +
                 shape_to_string(bs) + ".");
  }
  a = astype(a, t, s);
  b = astype(b, t, s);
  return t;
}

// The given indices as int32, or every batch of `x` in order (shaped like x's batch dims).
array mm_indices(const std::optional<array>& idx, const array& x, const char* which,
                 StreamOrDevice s) {
  if (idx) {
    if (!is_integral(idx->dtype())) {
      fail("gather_mm", std::string("Got ") + which + " with dtype " + dtype_name(idx->dtype()) +
                            "; indices must be integers.");
    }
    return astype(*idx, int32, s);
  }
  Shape batch(x.shape().begin(), x.shape().end() - 2);
  int n = static_cast<int>(shape_size(batch));
  return reshape(arange(0, n, s), batch, s);
}

}  // namespace

array gather_mm(array a, array b, std::optional<array> lhs_indices,
                std::optional<array> rhs_indices, bool sorted_indices, StreamOrDevice s) {
  if (!lhs_indices && !rhs_indices) return matmul(a, b, s);
  int in_a = a.ndim(), in_b = b.ndim();
  Dtype t = check_mm_operands(a, b, "gather_mm", s);
  array li = mm_indices(lhs_indices, a, "lhs_indices", s);
  array ri = mm_indices(rhs_indices, b, "rhs_indices", s);
  Shape is;
  try {
    is = broadcast_shapes(li.shape(), ri.shape());
  } catch (const std::invalid_argument&) {
    fail("gather_mm", "lhs_indices with shape " + shape_to_string(li.shape()) +
                          " and rhs_indices with shape " + shape_to_string(ri.shape()) +
                          " cannot be broadcast.");
  }
  li = broadcast_to(li, is, s);
  ri = broadcast_to(ri, is, s);
  Shape out_shape = is;
  out_shape.push_back(a.shape(-2));
  out_shape.push_back(b.shape(-1));
  // As MLX: the sortedness hint is about the indices the caller gave when the other side
  // defaults (the case of a run of tokens routed to sorted experts).
  array out =
      detail::make<GatherMM>(out_shape, t, {a, b, li, ri}, to_stream(s),
                             sorted_indices && !rhs_indices, sorted_indices && !lhs_indices);
  std::vector<int> squeeze_axes;
  if (in_a == 1) squeeze_axes.push_back(out.ndim() - 2);
  if (in_b == 1) squeeze_axes.push_back(out.ndim() - 1);
  return squeeze_axes.empty() ? out : squeeze(out, squeeze_axes, s);
}

// ============================== block_masked_mm ==============================

array block_masked_mm(array a, array b, int block_size, std::optional<array> mask_out,
                      std::optional<array> mask_lhs, std::optional<array> mask_rhs,
                      StreamOrDevice s) {
  if (!mask_out && !mask_lhs && !mask_rhs) return matmul(a, b, s);
  if (block_size != 32 && block_size != 64) {
    fail("block_masked_mm",
         "Only block sizes 32 and 64 are supported; got " + std::to_string(block_size) + ".");
  }
  int in_a = a.ndim(), in_b = b.ndim();
  Dtype t = check_mm_operands(a, b, "block_masked_mm", s);
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch;
  try {
    batch = broadcast_shapes(ba, bb);
  } catch (const std::invalid_argument&) {
    fail("block_masked_mm", "Batch dimensions of shapes " + shape_to_string(a.shape()) + " and " +
                                shape_to_string(b.shape()) + " cannot be broadcast.");
  }
  const int M = a.shape(-2), K = a.shape(-1), N = b.shape(-1);
  const int tm = (M + block_size - 1) / block_size, tk = (K + block_size - 1) / block_size,
            tn = (N + block_size - 1) / block_size;
  auto with = [&](int r, int c) {
    Shape sh = batch;
    sh.push_back(r);
    sh.push_back(c);
    return sh;
  };
  a = broadcast_to(a, with(M, K), s);
  b = broadcast_to(b, with(K, N), s);
  std::vector<array> inputs{a, b};
  // A mask broadcast to (batch..., rows, cols) in `dtype`; 1-d operands drop a block axis.
  auto prepare = [&](array m, const char* which, int rows, int cols, std::vector<int> expand,
                     Dtype dtype) {
    if (m.dtype() != bool_ && !is_floating_point(m.dtype()) && !is_integral(m.dtype())) {
      fail("block_masked_mm",
           std::string(which) + " must be boolean or real; got " + dtype_name(m.dtype()) + ".");
    }
    if (!expand.empty()) m = expand_dims(m, expand, s);
    Shape target = with(rows, cols);
    try {
      if (broadcast_shapes(m.shape(), target) != target) throw std::invalid_argument("");
    } catch (const std::invalid_argument&) {
      fail("block_masked_mm", std::string(which) + " with shape " + shape_to_string(m.shape()) +
                                  " does not broadcast to the block shape " +
                                  shape_to_string(target) + " (block size " +
                                  std::to_string(block_size) + ").");
    }
    return broadcast_to(astype(m, dtype, s), target, s);
  };
  if (mask_out) {
    std::vector<int> ex;
    if (in_a == 1) ex.push_back(-2);
    if (in_b == 1) ex.push_back(-1);
    Dtype dt = mask_out->dtype() == bool_ ? bool_ : t;
    inputs.push_back(prepare(*mask_out, "mask_out", tm, tn, ex, dt));
  }
  bool operand_masks = mask_lhs || mask_rhs;
  if (operand_masks) {
    array ml = mask_lhs.value_or(array(true)), mr = mask_rhs.value_or(array(true));
    Dtype dt = ml.dtype() == bool_ && mr.dtype() == bool_ ? bool_ : t;
    inputs.push_back(
        prepare(ml, "mask_lhs", tm, tk, in_a == 1 ? std::vector<int>{-2} : std::vector<int>{}, dt));
    inputs.push_back(
        prepare(mr, "mask_rhs", tk, tn, in_b == 1 ? std::vector<int>{-1} : std::vector<int>{}, dt));
  }
  array out = detail::make<BlockMaskedMM>(with(M, N), t, std::move(inputs), to_stream(s),
                                          block_size, mask_out.has_value(), operand_masks);
  std::vector<int> squeeze_axes;
  if (in_a == 1) squeeze_axes.push_back(out.ndim() - 2);
  if (in_b == 1) squeeze_axes.push_back(out.ndim() - 1);
  return squeeze_axes.empty() ? out : squeeze(out, squeeze_axes, s);
}

array segmented_mm(array a, array b, array segments, StreamOrDevice s) {
  if (a.ndim() != 2 || b.ndim() != 2) {
    fail("segmented_mm", "a and b must be matrices; got shapes " + shape_to_string(a.shape()) +
                             " and " + shape_to_string(b.shape()) + ".");
  }
  if (segments.ndim() == 0 || segments.shape(-1) != 2) {
    fail("segmented_mm",
         "segments must have shape (..., 2); got " + shape_to_string(segments.shape()) + ".");
  }
  if (!is_integral(segments.dtype())) {
    fail("segmented_mm", "segments must be integers; got " + dtype_name(segments.dtype()) + ".");
  }
  check_mm_operands(a, b, "segmented_mm", s);
  const int K = a.shape(1);
  // mask[..., k] = start <= k < end, applied to a's columns: one masked matmul per segment.
  array seg = astype(segments, int32, s);
  int last = seg.ndim() - 1;
  array start = take(seg, 0, last, s), end = take(seg, 1, last, s);
  array k = arange(0, K, s);
  array mask = logical_and(greater_equal(k, expand_dims(start, -1, s), s),
                           less(k, expand_dims(end, -1, s), s), s);
  array masked = multiply(a, expand_dims(astype(mask, a.dtype(), s), -2, s), s);
  return matmul(masked, b, s);
}

}  // namespace tandem
