// A plain aggregate with a C-array field: Boost.PFR cannot reflect it (brace elision makes it count
// 13 fields here), so the visitor stops with one readable static_assert instead of PFR's errors.
// expect: plain aggregate has a C-array field, which Boost.PFR cannot reflect; use std::array or tfckpt::fixed
#include <tfckpt/checkpoint.hpp>

namespace cf {
struct layer {
  float w[4][3];
  float b;
};
struct root {
  layer l;
};
}  // namespace cf

int main() {
  cf::root r{};
  return tfckpt::write("unused/ckpt", r) ? 0 : 1;
}
