// Compile-cost baseline: the struct with only <vector> and <string>, filled and summed so the
// optimizer has comparable work. Compare with with_tfckpt.cpp.
#include <string>
#include <vector>

#include "model.hpp"

int main(int argc, char**) {
  bench::model m;
  m.w0.assign(4, 1.0f);
  std::string name = "model" + std::to_string(argc);
  return static_cast<int>(m.w0.size() + name.size());
}
