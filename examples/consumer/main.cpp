// Copyright © 2026 Tandem authors.
// A minimal program using an installed Tandem: computes y = 2x + 1 on the default device.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

#include <tandem/tandem.h>

int main() {
  std::cout << "tandem " << tandem::version() << " (headers " << TANDEM_VERSION << ")\n";
  std::cout << "default device: " << tandem::default_device() << "\n";

  auto x = tandem::array({1.0f, 2.0f, 3.0f});
  auto y = x * 2.0f + 1.0f;
  std::cout << "y = " << y << "\n";

  const std::vector<float> expected = {3.0f, 5.0f, 7.0f};
  std::vector<float> got = y.to_vector<float>();
  bool ok = got.size() == expected.size();
  for (size_t i = 0; ok && i < got.size(); ++i) ok = std::fabs(got[i] - expected[i]) < 1e-6f;
  // The library and the headers it was compiled against must be the same release.
  ok = ok && std::strcmp(tandem::version(), TANDEM_VERSION) == 0;

  std::cout << (ok ? "consumer: OK" : "consumer: WRONG RESULT") << std::endl;
  return ok ? 0 : 1;
}
