// Key naming of the graph layer (docs/format.md §9.3), checked against TF's escape_local_name examples.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tfckpt/graph/keys.hpp"

using namespace tfckpt::graph;

TEST_CASE("graph keys: local names escape '.' before '/'") {
  CHECK(escape_local_name("a.b") == "a..b");
  CHECK(escape_local_name("a/b") == "a.Sb");
  CHECK(escape_local_name(".x/") == "..x.S");
  CHECK(escape_local_name("layer_with_weights-0") == "layer_with_weights-0");
  CHECK(escape_local_name("") == "");
}

TEST_CASE("graph keys: object paths join escaped names and the root is empty") {
  const std::vector<std::string> names{"model", "a/b", "c.d"};
  CHECK(object_path(names) == "model/a.Sb/c..d");
  CHECK(object_path(std::vector<std::string>{}) == "");
  CHECK(child_path("", "model") == "model");
  CHECK(child_path("model", "x/y") == "model/x.Sy");
}

TEST_CASE("graph keys: variable and slot keys follow TF's layout") {
  CHECK(variable_key("model/layer_with_weights-0/kernel") ==
        "model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(variable_key(slot_variable_path("model/layer_with_weights-0/kernel", "optimizer", "m")) ==
        "model/layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(slot_variable_path("v", "opt", "a/b") == "v/.OPTIMIZER_SLOT/opt/a.Sb");
}

TEST_CASE("graph keys: an attribute name is escaped a second time in the key (TF quirk)") {
  // SerializedTensor.name holds escape("a.b") = "a..b"; the key escapes that again.
  CHECK(attribute_key("x", escape_local_name("a.b")) == "x/.ATTRIBUTES/a....b");
  CHECK(path_of_key("model/w/.ATTRIBUTES/VARIABLE_VALUE") == "model/w");
  CHECK(path_of_key("no_marker") == "no_marker");
}
