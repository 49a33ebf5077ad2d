// The graph layer on hand-built live trees: BFS node ids, shared nodes, slot ordering,
// has_checkpoint_values, and a save/restore round trip with its restore status.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tfckpt/graph/restore.hpp"
#include "tfckpt/graph/save.hpp"

using namespace tfckpt;
using namespace tfckpt::graph;

namespace {

struct scalar_io {  // a float variable held in a plain float
  static result<void> save(const void* o, bundle_writer& w, const std::string& key) {
    return w.add(key, dtype::float32, {}, std::string_view(static_cast<const char*>(o), sizeof(float)));
  }
  static result<void> restore(void* o, const bundle_reader& r, const std::string& key, const entry_info&) {
    return r.read_into(key, std::span<float>(static_cast<float*>(o), 1));
  }
  static constexpr variable_io io{&save, &restore};
};

std::size_t add_var(live_tree& t, float& v) {
  const std::size_t i = t.intern(id_of(v)).first;
  t.node(i).value = variable{dtype::float32, {}, shape_rule::exact, &v, &scalar_io::io, {}};
  return i;
}

struct fixture {
  int root_obj = 0, a_obj = 0, b_obj = 0, opt_obj = 0;
  float x = 1.5f, y = -2.0f, z = 3.25f;
  slot_table slots{"m", "v"};

  // root -> a -> {x, y}; root -> b -> {a (shared), z}; root -> opt (slots m, v)
  live_tree tree() {
    live_tree t;
    const auto root = t.intern(id_of(root_obj)).first;
    const auto a = t.intern(id_of(a_obj)).first;
    const auto b = t.intern(id_of(b_obj)).first;
    const auto opt = t.intern(id_of(opt_obj)).first;
    t.add_edge(root, "b", b);
    t.add_edge(root, "a", a);
    t.add_edge(root, "opt", opt);
    t.add_edge(a, "x", add_var(t, x));
    t.add_edge(a, "y", add_var(t, y));
    t.add_edge(b, "alias", a);
    t.add_edge(b, "z", add_var(t, z));
    t.node(opt).slots = &slots;
    return t;
  }
};

tensor scalar(float v) { return tensor::from_values<float>({}, std::span<const float>(&v, 1)).value(); }

}  // namespace

TEST_CASE("graph build: node ids are breadth-first, first edge gives the path, later edges keep the id") {
  fixture f;
  const auto t = f.tree();
  auto g = build_object_graph(t);
  REQUIRE(g);
  const std::vector<std::string> want{"", "b", "a", "opt", "b/z", "a/x", "a/y"};
  CHECK(g->paths == want);
  const auto& b = g->graph.nodes[1];
  REQUIRE(b.children.size() == 2);
  CHECK(b.children[0].node_id == 2);  // alias -> the existing id of `a`
  CHECK(b.children[0].local_name == "alias");
  CHECK(g->graph.nodes[5].attributes.at(0).checkpoint_key == "a/x/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(g->graph.nodes[5].attributes.at(0).name == "VARIABLE_VALUE");
}

TEST_CASE("graph build: slots follow optimizer order, then slot name order, then variable node order") {
  fixture f;
  f.slots.set("a/y", "v", scalar(4));
  f.slots.set("a/x", "v", scalar(5));
  f.slots.set("b/z", "m", scalar(6));
  f.slots.set("a/y", "m", scalar(7));
  auto g = build_object_graph(f.tree());
  REQUIRE(g);
  const auto& refs = g->graph.nodes[3].slot_variables;
  REQUIRE(refs.size() == 4);
  // m: b/z (node 4) then a/y (node 6); v: a/x (node 5) then a/y (node 6)
  CHECK((refs[0].original_variable_node_id == 4 && refs[0].slot_name == "m" && refs[0].slot_variable_node_id == 7));
  CHECK((refs[1].original_variable_node_id == 6 && refs[1].slot_name == "m" && refs[1].slot_variable_node_id == 8));
  CHECK((refs[2].original_variable_node_id == 5 && refs[2].slot_name == "v"));
  CHECK((refs[3].original_variable_node_id == 6 && refs[3].slot_name == "v" && refs[3].slot_variable_node_id == 10));
  CHECK(g->graph.nodes[7].attributes.at(0).checkpoint_key ==
        "b/z/.OPTIMIZER_SLOT/opt/m/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(g->graph.nodes[7].children.empty());
}

TEST_CASE("graph build: has_checkpoint_values is set on every node, false only without values below") {
  fixture f;
  auto g = build_object_graph(f.tree());
  REQUIRE(g);
  for (std::size_t i = 0; i < g->graph.nodes.size(); ++i) REQUIRE(g->graph.nodes[i].has_checkpoint_values);
  CHECK(*g->graph.nodes[0].has_checkpoint_values);
  CHECK_FALSE(*g->graph.nodes[3].has_checkpoint_values);  // optimizer without slots
  // TF writes an explicit false as an empty BoolValue: 2a 00 (seen in tests/fixtures/keras_adam).
  trackable_object_graph one;
  one.nodes.emplace_back().has_checkpoint_values = false;
  CHECK(encode_object_graph(one) == std::string("\x0a\x02\x2a\x00", 4));
}

TEST_CASE("graph build: duplicate local names under one parent are rejected") {
  int root = 0;
  float v = 0;
  live_tree t;
  t.intern(id_of(root));
  const auto c = add_var(t, v);
  t.add_edge(0, "w", c);
  t.add_edge(0, "w", c);
  auto g = build_object_graph(t);
  REQUIRE_FALSE(g);
  CHECK(g.error().message.find("'w'") != std::string::npos);
}

TEST_CASE("graph restore: round trip through a bundle restores values and slots, consumed") {
  const std::string prefix = "graph_build_roundtrip/ckpt";
  fixture src;
  src.slots.set("a/x", "m", scalar(9.5f));
  {
    auto w = bundle_writer::create(prefix, {.sync = false});
    REQUIRE(w);
    REQUIRE(write_tree(src.tree(), *w));
    REQUIRE(w->finish());
  }
  fixture dst;
  dst.x = dst.y = dst.z = 0;
  auto r = bundle_reader::open(prefix);
  REQUIRE(r);
  auto g = r->object_graph();
  REQUIRE(g);
  auto t = dst.tree();
  auto st = restore_tree(t, *r, *g);
  REQUIRE(st);
  CHECK(st->assert_consumed());
  CHECK(dst.x == 1.5f);
  CHECK(dst.y == -2.0f);
  CHECK(dst.z == 3.25f);
  REQUIRE(dst.slots.find("a/x", "m"));
  const auto m = dst.slots.find("a/x", "m")->values<float>();
  REQUIRE(m);
  CHECK((*m)[0] == 9.5f);
}

TEST_CASE("graph restore: the status lists every unmatched object and unused value") {
  const std::string prefix = "graph_build_partial/ckpt";
  fixture src;
  {
    auto w = bundle_writer::create(prefix, {.sync = false});
    REQUIRE(w);
    REQUIRE(write_tree(src.tree(), *w));
    REQUIRE(w->finish());
  }
  // Live tree where `a` is called `c` and b/z is missing, but a new variable b/q exists.
  int root_obj = 0, c_obj = 0, b_obj = 0;
  float x = 0, y = 0, q = 0;
  live_tree t;
  t.intern(id_of(root_obj));
  const auto b = t.intern(id_of(b_obj)).first;
  const auto c = t.intern(id_of(c_obj)).first;
  t.add_edge(0, "b", b);
  t.add_edge(0, "c", c);
  t.add_edge(c, "x", add_var(t, x));
  t.add_edge(c, "y", add_var(t, y));
  t.add_edge(b, "alias", c);
  t.add_edge(b, "q", add_var(t, q));
  auto r = bundle_reader::open(prefix);
  REQUIRE(r);
  auto st = restore_tree(t, *r, *r->object_graph());
  REQUIRE(st);
  // b/alias reaches the saved `a` node, so x and y are restored through it, as TF would.
  CHECK(x == 1.5f);
  const std::vector<std::string> unmatched{"b/q"};
  CHECK(st->unmatched_objects == unmatched);
  const std::vector<std::string> unresolved{"b/z"};
  CHECK(st->unresolved_nodes == unresolved);
  const std::vector<std::string> unused{"b/z/.ATTRIBUTES/VARIABLE_VALUE"};
  CHECK(st->unused_values == unused);
  auto consumed = st->assert_consumed();
  REQUIRE_FALSE(consumed);
  CHECK(consumed.error().message.find("b/q") != std::string::npos);
  CHECK(consumed.error().message.find("b/z/.ATTRIBUTES/VARIABLE_VALUE") != std::string::npos);
  CHECK_FALSE(st->assert_existing_objects_matched());
  CHECK(st->assert_nontrivial_match());
}
