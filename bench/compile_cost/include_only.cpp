// Compile-cost case: only `#include <tfckpt/tfckpt.hpp>`, nothing used (bench/run times this
// against baseline.cpp: what every unit that includes the header pays).
#include <string>
#include <vector>

#include <tfckpt/tfckpt.hpp>

#include "model.hpp"

int main(int argc, char**) {
  bench::model m;
  m.w0.assign(4, 1.0f);
  std::string name = "model" + std::to_string(argc);
  return static_cast<int>(m.w0.size() + name.size());
}
