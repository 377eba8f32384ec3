// Copyright © 2026 Tandem authors.
// Fashion-MNIST for the examples: the IDX files of the Debian package dataset-fashion-mnist
// (/usr/share/datasets/fashion-mnist, gzipped or not) as float32 images in [0, 1] and int32
// labels, and the progress bar the training loops print.
#pragma once

#include <tandem/tandem.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace fashion_mnist {

inline const char* kDefaultDir = "/usr/share/datasets/fashion-mnist";

struct Dataset {
  tandem::array images;  // (N, 28, 28, 1) float32 in [0, 1]
  tandem::array labels;  // (N,) int32
  int n;
};

/// The path of `name` (with ".gz" or without) in `dir`; a clear error when neither exists.
inline std::string find_file(const std::string& dir, const std::string& name) {
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

/// The "train" or "t10k" split, its first `limit` images when limit > 0, evaluated.
inline Dataset load(const std::string& dir, const std::string& split, int limit = 0) {
  namespace tx = tandem;
  tx::array img = tx::data::load_idx(find_file(dir, split + "-images-idx3-ubyte"));  // (N, 28, 28)
  tx::array lab = tx::data::load_idx(find_file(dir, split + "-labels-idx1-ubyte"));  // (N,)
  int n = img.shape(0);
  if (limit > 0) n = std::min(n, limit);
  tx::array raw = tx::reshape(tx::slice(img, {0, 0, 0}, {n, 28, 28}), {n, 28, 28, 1});
  tx::array images = tx::astype(raw, tx::float32) / 255.0f;
  tx::array labels = tx::astype(tx::slice(lab, {0}, {n}), tx::int32);
  tx::eval(images, labels);
  return {images, labels, n};
}

/// One refreshing line: epoch, a bar, samples done, running loss and accuracy, throughput.
inline void progress(int epoch, int epochs, int done, int total, double loss, double acc,
                     double rate) {
  const int width = 30;
  int filled = total ? width * done / total : width;
  std::printf("\repoch %d/%d [%s%s] %5d/%d  loss %.4f  acc %.3f  %6.0f samples/s", epoch, epochs,
              std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done,
              total, loss, acc, rate);
  std::fflush(stdout);
}

}  // namespace fashion_mnist
