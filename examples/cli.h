// Copyright © 2026 Tandem authors.
// Command-line options shared by the examples: each example declares its options (flag, the
// variable it sets, a help line), and parse() fills them from argv, checking every value.
//
//   cli::Parser p("tandem_train_cnn", "Train a small CNN on Fashion-MNIST.");
//   p.device();                                   // --device cpu|gpu
//   p.option("--epochs", epochs, "N", "passes over the training set");
//   if (auto code = p.parse(argc, argv)) return *code;   // --help, or a bad flag: exit code
#pragma once

#include <tandem/tandem.h>

#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace cli {

class Parser {
 public:
  Parser(std::string program, std::string about)
      : program_(std::move(program)), about_(std::move(about)) {}

  /// --device cpu|gpu: sets the default device (TANDEM_DEVICE does the same from the
  /// environment; the flag wins).
  Parser& device() {
    return add("--device", "cpu|gpu", "where to run (default: TANDEM_DEVICE, else the GPU if any)",
               [](const std::string& flag, const std::string& v) {
                 if (v == "cpu") {
                   tandem::set_default_device(tandem::Device(tandem::Device::cpu));
                 } else if (v == "gpu") {
                   tandem::set_default_device(tandem::Device(tandem::Device::gpu));
                 } else {
                   throw std::invalid_argument(flag + " must be cpu or gpu, not '" + v + "'");
                 }
               });
  }
  Parser& option(const std::string& flag, int& target, const std::string& meta,
                 const std::string& help) {
    return add(flag, meta, with_default(help, std::to_string(target)),
               [&target](const std::string& f, const std::string& v) {
                 target = static_cast<int>(parse_integer(f, v, INT32_MIN, INT32_MAX));
               });
  }
  Parser& option(const std::string& flag, uint64_t& target, const std::string& meta,
                 const std::string& help) {
    return add(flag, meta, with_default(help, std::to_string(target)),
               [&target](const std::string& f, const std::string& v) {
                 target = static_cast<uint64_t>(parse_integer(f, v, 0, INT64_MAX));
               });
  }
  Parser& option(const std::string& flag, float& target, const std::string& meta,
                 const std::string& help) {
    std::ostringstream def;
    def << target;
    return add(flag, meta, with_default(help, def.str()),
               [&target](const std::string& f, const std::string& v) {
                 size_t used = 0;
                 float x = 0;
                 try {
                   x = std::stof(v, &used);
                 } catch (const std::exception&) {
                   used = 0;
                 }
                 if (used == 0 || used != v.size())
                   throw std::invalid_argument(f + " expects a number, not '" + v + "'");
                 target = x;
               });
  }
  Parser& option(const std::string& flag, std::string& target, const std::string& meta,
                 const std::string& help) {
    return add(flag, meta, with_default(help, target),
               [&target](const std::string&, const std::string& v) { target = v; });
  }
  /// A flag that may be given several times; each value is appended.
  Parser& option(const std::string& flag, std::vector<std::string>& target, const std::string& meta,
                 const std::string& help) {
    return add(flag, meta, help,
               [&target](const std::string&, const std::string& v) { target.push_back(v); });
  }

  /// Fill the options from argv. Returns an exit code when the program should stop: 0 after
  /// --help (usage on stdout), 2 after an unknown flag (usage on stderr). A flag without its
  /// value or with a malformed one throws std::invalid_argument naming the flag.
  std::optional<int> parse(int argc, char** argv) const {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--help" || a == "-h") {
        usage(std::cout);
        return 0;
      }
      const Option* opt = nullptr;
      for (const auto& o : options_)
        if (o.flag == a) opt = &o;
      if (!opt) {
        std::cerr << program_ << ": unknown option '" << a << "'\n";
        usage(std::cerr);
        return 2;
      }
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value (" + opt->meta + ")");
      opt->set(a, argv[++i]);
    }
    return std::nullopt;
  }

  void usage(std::ostream& os) const {
    os << "usage: " << program_ << " [options]\n" << about_ << "\n\noptions:\n";
    size_t width = 0;
    for (const auto& o : options_)
      width = std::max(width, o.flag.size() + 1 + o.meta.size());
    for (const auto& o : options_) {
      std::string head = o.flag + " " + o.meta;
      os << "  " << head << std::string(width - head.size() + 2, ' ') << o.help << "\n";
    }
    os << "  --help" << std::string(width > 4 ? width - 4 : 2, ' ') << "this text\n";
  }

 private:
  using Setter = std::function<void(const std::string& flag, const std::string& value)>;
  struct Option {
    std::string flag, meta, help;
    Setter set;
  };

  Parser& add(std::string flag, std::string meta, std::string help, Setter set) {
    options_.push_back({std::move(flag), std::move(meta), std::move(help), std::move(set)});
    return *this;
  }
  static std::string with_default(const std::string& help, const std::string& def) {
    return def.empty() ? help : help + " (default " + def + ")";
  }
  static int64_t parse_integer(const std::string& flag, const std::string& v, int64_t lo,
                               int64_t hi) {
    size_t used = 0;
    long long x = 0;
    try {
      x = std::stoll(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != v.size())
      throw std::invalid_argument(flag + " expects an integer, not '" + v + "'");
    if (x < lo || x > hi) throw std::invalid_argument(flag + " is out of range: " + v);
    return x;
  }

  std::string program_, about_;
  std::vector<Option> options_;
};

}  // namespace cli
