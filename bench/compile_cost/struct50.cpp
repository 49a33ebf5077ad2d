// Compile-cost case of `tfckpt struct` (issue #13): the header generated for a 50-layer Keras 3
// Sequential + Adam (struct50.hpp, by make_struct50.py), restored and saved. bench/run times it
// against struct50_baseline.cpp, the same variables without tfckpt.
#include <cstdio>
#include <memory>
#include <string>

#include "struct50.hpp"

int main(int argc, char**) {
  auto s = std::make_unique<bench50::checkpoint_state>();
  const std::string prefix = "struct50_" + std::to_string(argc);
  if (auto w = tfckpt::write(prefix, *s); !w) return std::puts(w.error().to_string().c_str()), 1;
  auto st = tfckpt::read(prefix, *s);
  if (!st) return std::puts(st.error().to_string().c_str()), 1;
  if (auto ok = st->assert_consumed(); !ok) return std::puts(ok.error().to_string().c_str()), 1;
  return 0;
}
