// The CLI's object-graph logic (tools/object_roles.hpp, tools/edit.hpp): optimizer state by the
// graph, filter's graph rewrite and keys, rename, stats. TensorFlow checks of the same commands:
// tests/interop/test_cli_edit_interop.py; the command line itself: tests/cli/test_cli_contract.sh.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/bundle/writer.hpp>

#include "../tools/edit.hpp"
#include "bundle_test_util.hpp"

using tfckpt::bundle_reader;
using tfckpt::dtype;
using tfckpt::tensor;
using tfckpt::trackable_object_graph;
using namespace tfckpt_test;
namespace cv = tfckpt_convert;
namespace ed = tfckpt_edit;

namespace {

const std::string k3_kernel = "optimizer/_trainable_variables/0/.ATTRIBUTES/VARIABLE_VALUE";
const std::string k3_moment = "optimizer/_variables/1/.ATTRIBUTES/VARIABLE_VALUE";
const std::string k3_iter = "optimizer/_iterations/.ATTRIBUTES/VARIABLE_VALUE";
const std::string k3_counter = "save_counter/.ATTRIBUTES/VARIABLE_VALUE";

tfckpt::trackable_object node(std::vector<std::pair<std::string, int>> children, std::string key = {}) {
  tfckpt::trackable_object n;
  for (auto& [name, id] : children) n.children.push_back({id, name});
  if (!key.empty()) n.attributes.push_back({"VARIABLE_VALUE", "v", key, false});
  return n;
}

// The shape of a Keras 3 Checkpoint(model=, optimizer=) graph: the optimizer is reached from the
// root and from the model; the model's kernel is also optimizer/_trainable_variables/0, the
// shorter path, so TF keys it there.
trackable_object_graph keras3_graph() {
  trackable_object_graph g;
  g.nodes.push_back(node({{"optimizer", 1}, {"model", 2}, {"save_counter", 8}}));  // 0 root
  g.nodes.push_back(node({{"_trainable_variables", 3}, {"_variables", 4}, {"_iterations", 7}}));  // 1
  g.nodes.push_back(node({{"_functional", 5}, {"optimizer", 1}}));  // 2 model
  g.nodes.push_back(node({{"0", 6}}));  // 3 optimizer/_trainable_variables
  g.nodes.push_back(node({{"0", 7}, {"1", 9}}));  // 4 optimizer/_variables
  g.nodes.push_back(node({{"dense", 10}}));  // 5 model/_functional
  g.nodes.push_back(node({}, k3_kernel));  // 6 the kernel
  g.nodes.push_back(node({}, k3_iter));  // 7 iterations
  g.nodes.push_back(node({}, k3_counter));  // 8 save_counter
  g.nodes.push_back(node({}, k3_moment));  // 9 a moment
  g.nodes.push_back(node({{"kernel", 6}}));  // 10 model/_functional/dense
  return g;
}

}  // namespace

TEST_CASE("object_roles: Keras 3 model weights keyed under the optimizer stay the model's") {
  const auto r = cv::classify_objects(keras3_graph());
  CHECK(r.optimizer[1]);
  CHECK_FALSE(r.optimizer[2]);
  CHECK(r.optimizer_keys == std::unordered_set<std::string>{k3_moment, k3_iter});
  REQUIRE(r.model_key.count(k3_kernel) == 1);
  CHECK(r.model_key.at(k3_kernel) == "model/_functional/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(r.model_path[6] == "model/_functional/dense/kernel");
}

TEST_CASE("object_roles: TF-written tf_keras fixtures agree with the key prefixes") {
  for (const char* name : {"keras_adam_legacy/ckpt-1", "keras_adam/ckpt-1", "keras_sgd/ckpt-1"}) {
    auto r = bundle_reader::open(std::string(TFCKPT_FIXTURES_DIR) + "/" + name);
    REQUIRE(r);
    cv::selection sel;
    sel.no_optimizer = true;
    REQUIRE(sel.prepare(*r));
    CHECK(sel.by_graph);
    std::size_t model = 0;
    for (const auto& e : r->entries()) {
      const bool by_key = e.key.find("/.OPTIMIZER_SLOT/") != std::string::npos || e.key.rfind("optimizer/", 0) == 0 ||
                          e.key.rfind("save_counter", 0) == 0 || e.key == tfckpt::object_graph_key;
      CHECK_MESSAGE(sel.selects(e.key) == !by_key, name << ": " << e.key);
      model += sel.selects(e.key);
    }
    CHECK(model >= 4);
  }
}

TEST_CASE("filter --no-optimizer: optimizer objects leave the graph, keys follow the model path") {
  temp_dir dir;
  const std::string prefix = dir / "k3/ckpt";
  {
    auto w = tfckpt::bundle_writer::create(prefix);
    REQUIRE(w);
    const float k[] = {1, 2, 3, 4};
    REQUIRE(w->add(k3_kernel, tfckpt::shape_t{2, 2}, std::span<const float>(k)));
    REQUIRE(w->add(k3_moment, tfckpt::shape_t{2, 2}, std::span<const float>(k)));
    const std::int64_t one[] = {1};
    REQUIRE(w->add(k3_iter, tfckpt::shape_t{}, std::span<const std::int64_t>(one)));
    REQUIRE(w->add(k3_counter, tfckpt::shape_t{}, std::span<const std::int64_t>(one)));
    const std::vector<std::string> proto{tfckpt::encode_object_graph(keras3_graph())};
    REQUIRE(w->add_strings(tfckpt::object_graph_key, {}, std::span<const std::string>(proto)));
    REQUIRE(w->finish());
  }
  auto r = bundle_reader::open(prefix);
  REQUIRE(r);
  ed::filter_options o;
  o.keep.no_optimizer = true;
  auto p = ed::plan_filter(*r, o);
  REQUIRE(p);
  CHECK(p->keys == std::map<std::string, std::string>{
                       {k3_kernel, "model/_functional/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE"},
                       {k3_counter, k3_counter}});
  CHECK(std::set<std::string>(p->dropped.begin(), p->dropped.end()) == std::set<std::string>{k3_moment, k3_iter});
  REQUIRE(p->graph);
  const auto& g = *p->graph;
  CHECK(g.nodes.size() == 6);  // root, model, _functional, dense, kernel, save_counter
  for (const auto& n : g.nodes)
    for (const auto& c : n.children) {
      CHECK(c.local_name != "optimizer");
      CHECK(c.node_id >= 0);
      CHECK(static_cast<std::size_t>(c.node_id) < g.nodes.size());
    }
  // Written and read back: the graph names exactly the kept keys.
  auto b = ed::write_copy(*r, p->keys, &g, dir / "slim/ckpt");
  REQUIRE(b);
  auto s = bundle_reader::open(dir / "slim/ckpt");
  REQUIRE(s);
  CHECK(s->entries().size() == 3);
  auto sg = s->object_graph();
  REQUIRE(sg);
  std::set<std::string> graph_keys;
  for (const auto& n : sg->nodes)
    for (const auto& a : n.attributes) graph_keys.insert(a.checkpoint_key);
  CHECK(graph_keys == std::set<std::string>{"model/_functional/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE", k3_counter});
  auto t = s->read("model/_functional/dense/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  REQUIRE(t);
  CHECK(t->dtype() == dtype::float32);

  // Everything dropped is an error of run_filter; the plan itself is empty.
  ed::filter_options none;
  none.drop = std::regex(".");
  auto q = ed::plan_filter(*r, none);
  REQUIRE(q);
  CHECK(q->keys.empty());
}

TEST_CASE("rename: the tree edge is renamed and keys follow; moving under another parent is refused") {
  auto r = bundle_reader::open(std::string(TFCKPT_FIXTURES_DIR) + "/keras_adam_legacy/ckpt-1");
  REQUIRE(r);
  std::vector<ed::rename_rule> rules{{std::regex("^model/layer_with_weights-0"), "model/first"}};
  std::optional<trackable_object_graph> g;
  auto keys = ed::plan_rename(*r, rules, g);
  REQUIRE(keys);
  REQUIRE(g);
  bool kernel = false, slot = false;
  for (const auto& [from, to] : *keys) {
    kernel |= to == "model/first/kernel/.ATTRIBUTES/VARIABLE_VALUE";
    slot |= to.rfind("model/first/kernel/.OPTIMIZER_SLOT/optimizer/", 0) == 0;
    CHECK(to.find("layer_with_weights-0/") == std::string::npos);
  }
  CHECK(kernel);
  CHECK(slot);
  std::vector<ed::rename_rule> move{{std::regex("^model/layer_with_weights-0$"), "elsewhere/x"}};
  std::optional<trackable_object_graph> g2;
  auto bad = ed::plan_rename(*r, move, g2);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == tfckpt::errc::invalid_argument);
}

TEST_CASE("stats: finite min/max/mean/std, NaN/Inf counts, zero fraction; integers exact") {
  const float v[] = {0.0f, 1.0f, NAN, INFINITY, 3.0f, 0.0f};
  const auto t = *tensor::from_values<float>({6}, v);
  const auto s = ed::compute_stats(t);
  CHECK(s.nan == 1);
  CHECK(s.inf == 1);
  CHECK(s.finite == 4);
  CHECK(s.min == 0.0);
  CHECK(s.max == 3.0);
  CHECK(s.mean == doctest::Approx(1.0));
  CHECK(std::sqrt(s.m2 / 4) == doctest::Approx(std::sqrt(1.5)));
  CHECK(s.zeros == 2);
  const std::int64_t big[] = {INT64_MIN, INT64_MAX};
  const auto big_t = *tensor::from_values<std::int64_t>({2}, big);
  const auto j = ed::stats_json("k", big_t, ed::compute_stats(big_t));
  CHECK(j["min"].get<std::int64_t>() == INT64_MIN);
  CHECK(j["max"].get<std::int64_t>() == INT64_MAX);
  CHECK(j["zero_fraction"].get<double>() == 0.0);
}
