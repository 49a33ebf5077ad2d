// Compile-cost case: tfckpt.hpp included, save and restore instantiated for the 10-field struct
// (bench/run times this against baseline.cpp).
#include <cstdio>

#include <tfckpt/tfckpt.hpp>

#include "model.hpp"

int main(int argc, char**) {
  bench::model m;
  m.w0.assign(4, 1.0f);
  const std::string prefix = "model" + std::to_string(argc);
  if (auto w = tfckpt::write(prefix, m); !w) return std::puts(w.error().to_string().c_str()), 1;
  auto st = tfckpt::restore(prefix, m);
  if (!st) return std::puts(st.error().to_string().c_str()), 1;
  return static_cast<int>(m.w0.size());
}
