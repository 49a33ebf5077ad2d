// Compile-cost baseline of struct50.cpp: the same 50 layers and Adam slots as plain structs of
// std::vector<float> (struct50_plain.hpp), filled and summed so the optimizer has comparable work.
#include <memory>

#include "struct50_plain.hpp"

int main(int argc, char**) {
  auto s = std::make_unique<bench50::plain_state>();
  float sum = 0;
  for (auto& l : s->layers) {
    for (float& x : l.kernel) x = static_cast<float>(argc);
    for (float x : l.kernel) sum += x;
  }
  for (auto& m : s->optimizer.momentums) m.assign(4, sum);
  return static_cast<int>(s->optimizer.momentums[0].size()) - 4;
}
