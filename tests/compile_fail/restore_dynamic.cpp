// restore_from_memory needs fixed shapes: a std::vector leaf is rejected with the reason.
// expect: every variable of the struct must have a fixed dtype and a static shape
#include <vector>
#include <tfckpt/memory_restore.hpp>
struct root_dyn {
  std::vector<float> weights;
};
int main() {
  root_dyn r;
  return tfckpt::restore_from_memory(std::string_view{}, {std::string_view{}}, r) ? 0 : 1;
}
