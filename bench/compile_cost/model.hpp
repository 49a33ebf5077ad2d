// The 10-field struct both compile-cost translation units define (bench/run measures the
// difference between them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bench {

struct model {
  std::vector<float> w0, w1, w2, w3;
  std::vector<double> b0, b1;
  float learning_rate = 0.1f;
  double momentum = 0.9;
  std::int64_t step = 0;
  std::int32_t epoch = 0;
};

}  // namespace bench
