// Copyright © 2026 Tandem authors.
// The Tandem benchmark suite (DESIGN §7): a fixed registry of cases run on one device, one JSON
// line per case on stdout (progress and notes go to stderr).
//
//   tandem_bench [--device cpu|gpu] [--size cpu|full] [--filter SUBSTR] [--repeats N]
//                [--warmup N] [--threads N] [--budget SECONDS] [--scaling] [--list]
//
// Every case builds its inputs once, runs a warm-up (the first warm-up result is checked against a
// plain host reference, so a fast wrong kernel cannot look good), then times `repeats` runs of
// "build the graph + eval + synchronize" with std::chrono::steady_clock and reports the median.
// A case that cannot run in this build or on this device throws `Unsupported` and prints
// "status":"unsupported" with the reason. The cases live in bench_elementwise.cpp,
// bench_products.cpp and bench_training.cpp (shared pieces: bench_common.h).
//
// --size cpu (the default on the CPU) runs the same cases on shapes sized for a laptop; their names
// get the suffix "_cpu" and the "shape" field says what was run.
// --scaling runs the elementwise and reduction cases with 1 thread and with all threads.
#include "bench_common.h"

#include <thread>

namespace tandem_bench {
namespace {

// ============================== options ==============================

struct Options {
  tx::Device device{tx::Device::cpu};
  bool full = false;
  std::string filter;
  int repeats = -1;  // -1: per-device default
  int warmup = -1;
  int threads = 0;       // 0: leave the pool as it is
  double budget_s = -1;  // stop timing a case after this many seconds (at least 3 runs)
  bool scaling = false;
  bool list = false;
};

[[noreturn]] void usage(const std::string& err) {
  if (!err.empty()) std::cerr << "tandem_bench: " << err << "\n";
  std::cerr << "usage: tandem_bench [--device cpu|gpu] [--size cpu|full] [--filter SUBSTR]\n"
               "                    [--repeats N] [--warmup N] [--threads N] [--budget SECONDS]\n"
               "                    [--scaling] [--list]\n";
  std::exit(2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  std::string size;
  bool device_gpu = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      auto eq = a.find('=');
      if (eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    auto key = a.substr(0, a.find('='));
    if (key == "--device") {
      std::string v = value();
      if (v != "cpu" && v != "gpu") usage("--device must be cpu or gpu, got '" + v + "'");
      device_gpu = v == "gpu";
    } else if (key == "--size") {
      size = value();
      if (size != "cpu" && size != "full") usage("--size must be cpu or full, got '" + size + "'");
    } else if (key == "--filter") {
      o.filter = value();
    } else if (key == "--repeats") {
      o.repeats = std::atoi(value().c_str());
      if (o.repeats < 1) usage("--repeats must be at least 1");
    } else if (key == "--warmup") {
      o.warmup = std::atoi(value().c_str());
      if (o.warmup < 1) usage("--warmup must be at least 1 (the first run is checked)");
    } else if (key == "--threads") {
      o.threads = std::atoi(value().c_str());
      if (o.threads < 1) usage("--threads must be at least 1");
    } else if (key == "--budget") {
      o.budget_s = std::atof(value().c_str());
    } else if (a == "--scaling") {
      o.scaling = true;
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "-h" || a == "--help") {
      usage("");
    } else {
      usage("unknown argument '" + a + "'");
    }
  }
  o.device = device_gpu ? tx::Device(tx::Device::gpu) : tx::Device(tx::Device::cpu);
  o.full = size.empty() ? device_gpu : size == "full";
  if (o.repeats < 0) o.repeats = device_gpu ? 30 : 10;
  if (o.warmup < 0) o.warmup = device_gpu ? 5 : 1;
  if (o.budget_s < 0) o.budget_s = device_gpu ? 10.0 : 2.0;
  return o;
}

// ============================== JSON output ==============================

std::string json_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    switch (c) {
      case '"':
        r += "\\\"";
        break;
      case '\\':
        r += "\\\\";
        break;
      case '\n':
        r += "\\n";
        break;
      case '\t':
        r += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          r += buf;
        } else {
          r += c;
        }
    }
  }
  return r;
}

// Builds one flat JSON object, keys in insertion order.
class JsonLine {
 public:
  JsonLine& str(const std::string& k, const std::string& v) {
    std::string quoted(1, '"');
    quoted += json_escape(v);
    quoted += '"';
    return raw(k, quoted);
  }
  JsonLine& num(const std::string& k, double v, int digits = 4) {
    if (!std::isfinite(v)) return raw(k, "null");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return raw(k, buf);
  }
  JsonLine& integer(const std::string& k, long long v) { return raw(k, std::to_string(v)); }
  JsonLine& dims(const std::string& k, const Dims& d) {
    std::string s = "[";
    for (size_t i = 0; i < d.size(); ++i) {
      if (i) s += ',';
      s += std::to_string(d[i]);
    }
    return raw(k, s + "]");
  }
  std::string done() const { return "{" + body_ + "}"; }

 private:
  JsonLine& raw(const std::string& k, const std::string& v) {
    if (!body_.empty()) body_ += ", ";
    body_ += '"';  // piece by piece: GCC 12 warns (-Wrestrict, falsely) on "\"" + std::string
    body_ += json_escape(k);
    body_ += "\": ";
    body_ += v;
    return *this;
  }
  std::string body_;
};

// ============================== the registry ==============================

std::vector<Case> make_cases() {
  std::vector<Case> c;
  add_elementwise_cases(c);
  add_product_cases(c);
  add_training_cases(c);
  return c;
}

// ============================== the runner ==============================

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Timing {
  double median_ms = NAN, min_ms = NAN;
  int reps = 0;
};

// One step: build the graph, evaluate it, wait for the device. Returns the outputs.
std::vector<array> run_step(Bench& b) {
  auto outs = b.step();
  tx::eval(outs);
  tx::synchronize();
  return outs;
}

Timing summarize(std::vector<double> ts) {
  std::sort(ts.begin(), ts.end());
  Timing t;
  t.reps = static_cast<int>(ts.size());
  size_t m = ts.size() / 2;
  t.median_ms = ts.size() % 2 ? ts[m] : 0.5 * (ts[m - 1] + ts[m]);
  t.min_ms = ts.front();
  return t;
}

// Times `repeats` steps (fewer once the budget is spent and 3 are done). With `thread_counts`,
// each repetition runs once per thread count, interleaved, so that drifting background load on
// a shared machine affects every count alike; returns one Timing per count.
std::vector<Timing> time_steps(Bench& b, const Options& o, const std::vector<int>& thread_counts) {
  size_t k = std::max<size_t>(thread_counts.size(), 1);
  std::vector<std::vector<double>> ts(k);
  double start = now_ms();
  for (int r = 0; r < o.repeats; ++r) {
    for (size_t i = 0; i < k; ++i) {
      if (!thread_counts.empty()) tx::cpu::set_num_threads(thread_counts[i]);
      double t0 = now_ms();
      auto outs = run_step(b);
      double t1 = now_ms();
      outs.clear();  // freed outside the timed region
      ts[i].push_back(t1 - t0);
    }
    if (r + 1 >= 3 && now_ms() - start > o.budget_s * 1e3 * k) break;
  }
  std::vector<Timing> out;
  for (auto& v : ts)
    out.push_back(summarize(std::move(v)));
  return out;
}

Timing time_steps(Bench& b, const Options& o) {
  return time_steps(b, o, {})[0];
}

std::string device_name(const tx::Device& d) {
  return d.type == tx::Device::cpu ? "cpu" : "gpu";
}

struct Reporter {
  const Options& o;
  int failures = 0;

  JsonLine head(const Case& c, const Dims& shape, const std::string& name) const {
    JsonLine j;
    j.str("name", name).str("device", device_name(o.device)).str("dtype", c.dtype);
    j.dims("shape", shape);
    return j;
  }

  void emit(const JsonLine& j) const {
    std::cout << j.done() << "\n";
    std::cout.flush();
  }

  void add_timing(JsonLine& j, const Bench& b, const Timing& t, int threads) const {
    j.num("median_ms", t.median_ms).num("min_ms", t.min_ms).integer("reps", t.reps);
    j.integer("warmup", o.warmup).integer("threads", threads);
    if (b.bytes > 0) j.num("gbps", b.bytes / (t.median_ms * 1e6), 2);
    if (b.flops > 0) j.num("tflops", b.flops / (t.median_ms * 1e9), 4);
    if (b.ops_per_step > 0) j.num("us_per_op", t.median_ms * 1e3 / b.ops_per_step, 3);
    if (b.tokens > 0) j.num("tokens_per_s", b.tokens / (t.median_ms * 1e-3), 1);
  }
};

// Builds the case and runs warm-up + check. Returns false (after reporting) when it cannot be
// timed.
bool prepare(const Case& c, const Dims& shape, const std::string& name, Reporter& rep, Bench& b,
             Check& chk) {
  try {
    b = c.make(shape);
    for (int w = 0; w < rep.o.warmup; ++w) {
      auto outs = run_step(b);
      if (w == 0) chk = b.check(outs);
    }
    return true;
  } catch (const Unsupported& u) {
    rep.emit(rep.head(c, shape, name).str("status", "unsupported").str("reason", u.reason));
  } catch (const std::exception& e) {
    ++rep.failures;
    rep.emit(rep.head(c, shape, name).str("status", "error").str("reason", e.what()));
  }
  return false;
}

// The 1-minute load average (Linux), to say how busy the machine was; NaN when unknown.
double load_average() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (!f) return NAN;
  double v = NAN;
  if (std::fscanf(f, "%lf", &v) != 1) v = NAN;
  std::fclose(f);
  return v;
}

// A case with a direct baseline: warm the baseline up and check it, then time Tandem's step and
// the baseline alternately (so background load hits both alike). Returns {tandem, baseline}.
std::pair<Timing, Timing> time_with_baseline(Bench& b, const Options& o, Check& chk) {
  auto settle = [&] {
    if (b.baseline_settle_ms > 0)
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(b.baseline_settle_ms));
  };
  for (int w = 0; w < o.warmup; ++w)
    b.baseline();
  settle();
  if (b.baseline_check) {
    Check bc = b.baseline_check();
    chk.ok = chk.ok && bc.ok;
    chk.detail += "; baseline: " + bc.detail;
  }
  std::vector<double> ts, tb;
  double start = now_ms();
  for (int r = 0; r < o.repeats; ++r) {
    double t0 = now_ms();
    auto outs = run_step(b);
    double t1 = now_ms();
    outs.clear();
    double t2 = now_ms();
    b.baseline();
    double t3 = now_ms();
    ts.push_back(t1 - t0);
    tb.push_back(t3 - t2);
    settle();
    if (r + 1 >= 3 && now_ms() - start > o.budget_s * 2e3 + r * b.baseline_settle_ms) break;
  }
  return {summarize(std::move(ts)), summarize(std::move(tb))};
}

void run_case(const Case& c, Reporter& rep) {
  const Options& o = rep.o;
  const Dims& shape = o.full ? c.full : c.cpu;
  std::string name = c.name + (o.full ? "" : "_cpu");
  std::cerr << "[tandem_bench] " << name << " ..." << std::endl;
  Bench b;
  Check chk;
  if (!prepare(c, shape, name, rep, b, chk)) return;
  try {
    double load0 = load_average();
    Timing t, tb;
    if (b.baseline && o.device.type == tx::Device::cpu) {
      std::tie(t, tb) = time_with_baseline(b, o, chk);
    } else {
      t = time_steps(b, o);
    }
    if (chk.ok && b.final_check) {
      Check fc = b.final_check();
      chk.ok = fc.ok;
      chk.detail += "; " + fc.detail;
    }
    auto j = rep.head(c, shape, name);
    j.str("status", chk.ok ? "ok" : "check_failed");
    rep.add_timing(j, b, t, tx::cpu::num_threads());
    if (tb.reps > 0) {
      j.str("baseline", b.baseline_name).num("baseline_median_ms", tb.median_ms);
      j.num("baseline_min_ms", tb.min_ms);
      if (b.flops > 0) {
        j.num("gflops", b.flops / (t.median_ms * 1e6), 1);
        j.num("baseline_gflops", b.flops / (tb.median_ms * 1e6), 1);
      }
      // Tandem's rate as a fraction of the baseline's (1.0 = as fast).
      j.num("ratio_vs_baseline", tb.median_ms / t.median_ms, 3);
      j.num("ratio_vs_baseline_min", tb.min_ms / t.min_ms, 3);
    }
    j.num("loadavg_1m_before", load0, 2).num("loadavg_1m_after", load_average(), 2);
    j.str("check", chk.ok ? "pass" : "FAIL").str("check_detail", chk.detail);
    if (!b.note.empty()) j.str("note", b.note);
    if (!chk.ok) ++rep.failures;
    rep.emit(j);
  } catch (const std::exception& e) {
    ++rep.failures;
    rep.emit(rep.head(c, shape, name).str("status", "error").str("reason", e.what()));
  }
  tx::clear_cache();
}

// Thread scaling: the same case with 1 thread and with `all` threads.
void run_scaling(const Case& c, Reporter& rep, int all) {
  const Options& o = rep.o;
  const Dims& shape = o.full ? c.full : c.cpu;
  std::string name = c.name + (o.full ? "" : "_cpu");
  std::cerr << "[tandem_bench] scaling " << name << " ..." << std::endl;
  Bench b;
  Check chk;
  tx::cpu::set_num_threads(all);
  if (!prepare(c, shape, name, rep, b, chk)) return;
  if (!chk.ok) ++rep.failures;
  std::vector<int> counts{1};
  if (all != 1) counts.push_back(all);
  try {
    for (int threads : counts) {  // one untimed run per count: the pool's threads start
      tx::cpu::set_num_threads(threads);
      run_step(b);
    }
    auto times = time_steps(b, o, counts);
    for (size_t i = 0; i < counts.size(); ++i) {
      auto j = rep.head(c, shape, name);
      j.str("status", chk.ok ? "ok" : "check_failed").str("mode", "scaling");
      rep.add_timing(j, b, times[i], counts[i]);
      if (i > 0) {
        j.num("speedup_vs_1_thread", times[0].median_ms / times[i].median_ms, 2);
        // Ratio of the fastest runs: less sensitive to other work on a shared machine.
        j.num("speedup_of_min", times[0].min_ms / times[i].min_ms, 2);
      }
      j.str("check", chk.ok ? "pass" : "FAIL");
      rep.emit(j);
    }
  } catch (const std::exception& e) {
    ++rep.failures;
    rep.emit(rep.head(c, shape, name).str("status", "error").str("reason", e.what()));
  }
  tx::cpu::set_num_threads(all);
  tx::clear_cache();
}

}  // namespace

int bench_main(int argc, char** argv) {
  Options o = parse_args(argc, argv);
  auto cases = make_cases();
  if (o.list) {
    for (auto& c : cases)
      std::cout << c.name << (c.scaling ? "  (scaling)" : "") << "\n";
    return 0;
  }
  if (o.device.type == tx::Device::gpu && !tx::is_available(o.device)) {
    std::cerr << "tandem_bench: --device gpu, but no GPU is available to this build of Tandem "
                 "(built without CUDA, or no device present).\n";
    return 2;
  }
  tx::set_default_device(o.device);
  if (o.threads > 0) tx::cpu::set_num_threads(o.threads);
  const int all_threads = tx::cpu::num_threads();
  std::cerr << "[tandem_bench] device " << device_name(o.device) << ", "
            << (o.full ? "full" : "cpu") << "-sized shapes, " << all_threads
            << " CPU thread(s), repeats " << o.repeats << ", warm-up " << o.warmup << ", budget "
            << o.budget_s << " s per case" << std::endl;

  Reporter rep{o};
  int run = 0;
  for (auto& c : cases) {
    std::string name = c.name + (o.full ? "" : "_cpu");
    if (!o.filter.empty() && name.find(o.filter) == std::string::npos) continue;
    if (o.scaling && !c.scaling) continue;
    ++run;
    if (o.scaling) {
      run_scaling(c, rep, all_threads);
    } else {
      run_case(c, rep);
    }
  }
  if (run == 0) {
    std::cerr << "tandem_bench: no case matches filter '" << o.filter << "'\n";
    return 2;
  }
  if (rep.failures) std::cerr << "tandem_bench: " << rep.failures << " case(s) failed\n";
  return rep.failures ? 1 : 0;
}

}  // namespace tandem_bench

int main(int argc, char** argv) {
  return tandem_bench::bench_main(argc, argv);
}
