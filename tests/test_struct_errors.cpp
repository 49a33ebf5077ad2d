// Issue #13: errors a user can act on. A restore reports every dtype/shape mismatch at once; an
// unresolved checkpoint value names the field to declare (C++ type, dtype, shape), a near-miss
// struct path ("did you mean"), and that a node several edges reach is shared. TFCKPT_NAMES on
// class templates with several parameters (the type in parentheses).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <tfckpt/tfckpt.hpp>

namespace struct_errors {

// tests/fixtures/keras_sgd: model/layer_with_weights-{0,1}/{kernel,bias} ([4,8], [8], [8,3], [3]),
// optimizer/_iterations (also _variables/0), ..., step (int64).
struct dense_bad {
  tfckpt::fixed<float, 4, 9> kernel;  // [4,8] stored
  tfckpt::fixed<float, 7> bias;       // [8] stored
};
struct model_bad {
  dense_bad l0;
};
TFCKPT_NAMES(model_bad, (l0, "layer_with_weights-0"))
struct state_bad {
  model_bad model;
  std::int32_t step = 0;  // int64 stored
};

struct dense_ok {
  tfckpt::tensor_of<float> kernel;
  tfckpt::tensor_of<float> bias;
};
template <class A, class B>
struct two_layers {
  A first;
  B second;
};
template <class A, class B>
TFCKPT_NAMES((two_layers<A, B>), (first, "layer_with_weights-0", "layer-0"), (second, "layer_with_weights-1", "layer-1"))

struct state_partial {
  two_layers<dense_ok, dense_ok> model;
  std::int64_t stpe = 0;  // the checkpoint says `step`
};

const std::string sgd = std::string(TFCKPT_FIXTURES_DIR) + "/keras_sgd";

}  // namespace struct_errors

TEST_CASE("struct errors: a restore reports every dtype and shape mismatch at once") {
  using namespace struct_errors;
  state_bad s;
  auto st = tfckpt::read(sgd, s);
  REQUIRE_FALSE(st);
  const std::string m = st.error().to_string();
  INFO(m);
  CHECK(m.find("3 values do not match the struct") != std::string::npos);
  CHECK(m.find("model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE") != std::string::npos);
  CHECK(m.find("shape [4,8] in checkpoint, [4,9] in struct") != std::string::npos);
  CHECK(m.find("shape [8] in checkpoint, [7] in struct") != std::string::npos);
  CHECK(m.find("dtype int64 in checkpoint, int32 in struct") != std::string::npos);
}

TEST_CASE("struct errors: unresolved values name the field to declare, did you mean, shared nodes") {
  using namespace struct_errors;
  state_partial s;
  auto st = tfckpt::read(sgd, s);
  REQUIRE(st);
  CHECK(s.model.first.kernel.shape() == tfckpt::shape_t{4, 8});  // the template's TFCKPT_NAMES applied
  CHECK(s.model.second.bias.shape() == tfckpt::shape_t{3});
  auto ok = st->assert_consumed();
  REQUIRE_FALSE(ok);
  const std::string m = ok.error().to_string();
  INFO(m);
  CHECK(m.find("to fix") != std::string::npos);
  CHECK(m.find("save_counter: restore with tfckpt::restore()") != std::string::npos);
  CHECK(m.find("step: declare `std::int64_t step` (int64 [])") != std::string::npos);
  CHECK(m.find("did you mean struct field 'stpe'") != std::string::npos);
  CHECK(m.find("optimizer/_variables/1: declare `tfckpt::fixed<float, 4, 8> (or tfckpt::tensor_of<float>) 1`") !=
        std::string::npos);
  // optimizer/_iterations is also optimizer/_variables/0: shared.
  CHECK(m.find("optimizer/_iterations: declare `std::int64_t _iterations` (int64 []); this object is shared (2 edges") !=
        std::string::npos);
}

TEST_CASE("struct errors: TFCKPT_NAMES on a class template with several parameters") {
  using namespace struct_errors;
  constexpr auto names = tfckpt::reflect::child_names<two_layers<dense_ok, dense_ok>>().first;
  static_assert(names.size() == 2);
  static_assert(names[0].count == 2 && names[0].names[0] == "layer_with_weights-0" && names[0].names[1] == "layer-0");
  static_assert(names[1].count == 2 && names[1].names[1] == "layer-1");
  CHECK(names[1].names[0] == "layer_with_weights-1");
}
