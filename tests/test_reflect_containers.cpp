// Restore fills containers to the checkpoint's shape (docs/format.md §9.4: TF lists are nodes with
// children "0".."n-1", dicts nodes with one child per key): std::vector<S> is resized, a
// std::map<std::string,S> gets the saved keys, a std::optional<S> is engaged when the saved
// object has that child. std::array keeps its size; what does not fit is reported.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/describe/class.hpp>

#include "tfckpt/checkpoint.hpp"

namespace rc {

struct layer {
  float w = 0;
  std::vector<float> b;  // a variable (leaf), not a list
};
struct block {
  std::vector<layer> parts;
};
struct model {
  std::vector<layer> layers;
  std::map<std::string, layer> heads;
  std::optional<layer> extra;
  std::optional<layer> absent;
  std::vector<block> blocks;  // lists inside lists: filled over several rounds
};

model source() {
  model m;
  m.layers = {layer{1.5f, {1, 2}}, layer{2.5f, {3}}, layer{3.5f, {}}};
  m.heads["alpha"] = layer{10, {4, 5, 6}};
  m.heads["beta/x"] = layer{11, {7}};  // escaped in keys: beta.Sx
  m.extra = layer{12, {8}};
  m.blocks.resize(2);
  m.blocks[0].parts = {layer{20, {}}};
  m.blocks[1].parts = {layer{21, {}}, layer{22, {9}}};
  return m;
}

std::string write_source(const std::string& prefix) {
  model m = source();
  auto p = tfckpt::write(prefix, m);
  REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
  return *p;
}

std::string why(const tfckpt::result<void>& r) { return r ? std::string() : r.error().to_string(); }

}  // namespace rc

TEST_CASE("reflect containers: restore sizes vectors, fills maps and engages optionals from the checkpoint") {
  const auto path = rc::write_source("reflect_containers_fill/ckpt");
  rc::model m;  // everything empty
  auto st = tfckpt::read(path, m);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK_MESSAGE(st->assert_consumed(), rc::why(st->assert_consumed()));
  REQUIRE(m.layers.size() == 3);
  CHECK(m.layers[0].w == 1.5f);
  CHECK(m.layers[0].b == std::vector<float>{1, 2});
  CHECK(m.layers[2].w == 3.5f);
  CHECK(m.layers[2].b.empty());
  REQUIRE(m.heads.size() == 2);
  CHECK(m.heads.at("alpha").b == std::vector<float>{4, 5, 6});
  CHECK(m.heads.at("beta/x").w == 11);
  REQUIRE(m.extra);
  CHECK(m.extra->w == 12);
  CHECK_FALSE(m.absent);
  REQUIRE(m.blocks.size() == 2);
  REQUIRE(m.blocks[1].parts.size() == 2);
  CHECK(m.blocks[1].parts[1].b == std::vector<float>{9});
  CHECK(m.blocks[0].parts.at(0).w == 20);
}

TEST_CASE("reflect containers: a longer vector shrinks to the checkpoint's list length") {
  const auto path = rc::write_source("reflect_containers_shrink/ckpt");
  rc::model m;
  m.layers.resize(7);
  auto st = tfckpt::read(path, m);
  REQUIRE(st);
  CHECK(m.layers.size() == 3);
  CHECK(st->assert_consumed());
}

TEST_CASE("reflect containers: map keys the checkpoint lacks stay and are reported; engaged optionals too") {
  const auto path = rc::write_source("reflect_containers_extra_live/ckpt");
  rc::model m;
  m.heads["gamma"] = rc::layer{1, {1}};
  m.absent = rc::layer{2, {2}};
  auto st = tfckpt::read(path, m);
  REQUIRE(st);
  CHECK(m.heads.size() == 3);
  CHECK(m.heads.at("alpha").w == 10);
  const std::vector<std::string> unmatched{"heads/gamma/w", "heads/gamma/b", "absent/w", "absent/b"};
  std::vector<std::string> got = st->unmatched_objects;
  std::sort(got.begin(), got.end());
  std::vector<std::string> want = unmatched;
  std::sort(want.begin(), want.end());
  CHECK(got == want);
  CHECK(st->unresolved_nodes.empty());
  CHECK(st->unused_values.empty());
  CHECK_FALSE(st->assert_existing_objects_matched());
  CHECK_FALSE(st->assert_consumed());
  CHECK(st->assert_nontrivial_match());
}

namespace rc {
struct fixed_model {  // same names, but room for only two layers and no blocks/heads/optionals
  std::array<layer, 2> layers;
};
struct long_model {
  std::array<layer, 4> layers;
};
// g++ 12 crashes (ICE) in Boost 1.81 PFR's field counting for an aggregate whose only field is a
// std::array of structs; annotated types do not need PFR.
BOOST_DESCRIBE_STRUCT(fixed_model, (), (layers))
BOOST_DESCRIBE_STRUCT(long_model, (), (layers))
struct only_layers {
  std::vector<layer> layers;
};
}  // namespace rc

TEST_CASE("reflect containers: a std::array with fewer elements restores those and reports the rest") {
  const auto path = rc::write_source("reflect_containers_array/ckpt");
  rc::fixed_model m;
  auto st = tfckpt::read(path, m);
  REQUIRE(st);
  CHECK(m.layers[0].w == 1.5f);
  CHECK(m.layers[1].b == std::vector<float>{3});
  // expect_partial: the struct got everything it asked for.
  st->expect_partial();
  CHECK_MESSAGE(st->assert_existing_objects_matched(), rc::why(st->assert_existing_objects_matched()));
  CHECK(st->assert_nontrivial_match());
  // assert_consumed names what the checkpoint has beyond the array.
  auto consumed = st->assert_consumed();
  REQUIRE_FALSE(consumed);
  const std::string& msg = consumed.error().message;
  CHECK(msg.find("layers/2/w/.ATTRIBUTES/VARIABLE_VALUE") != std::string::npos);
  CHECK(msg.find("heads/beta.Sx/w") != std::string::npos);
  CHECK(msg.find("blocks/1/parts/1/b") != std::string::npos);
  CHECK(std::find(st->unresolved_nodes.begin(), st->unresolved_nodes.end(), "layers/2/w") != st->unresolved_nodes.end());
  CHECK(st->unmatched_objects.empty());
}

TEST_CASE("reflect containers: a std::array with more elements than the checkpoint reports the missing ones") {
  const auto path = rc::write_source("reflect_containers_array_long/ckpt");
  rc::long_model m;
  auto st = tfckpt::read(path, m);
  REQUIRE(st);
  CHECK(m.layers[2].w == 3.5f);
  const std::vector<std::string> unmatched{"layers/3/w", "layers/3/b"};
  CHECK(st->unmatched_objects == unmatched);
  CHECK_FALSE(st->assert_existing_objects_matched());
}

TEST_CASE("reflect containers: a saved list with a gap fills up to the gap") {
  // Edited graph: the list node has children "0" and "2" only.
  const auto path = rc::write_source("reflect_containers_gap/ckpt");
  auto r = tfckpt::bundle_reader::open(path);
  REQUIRE(r);
  auto g = r->object_graph();
  REQUIRE(g);
  tfckpt::trackable_object* list = nullptr;
  for (auto& c : g->nodes[0].children)
    if (c.local_name == "layers") list = &g->nodes[static_cast<std::size_t>(c.node_id)];
  REQUIRE(list);
  list->children.erase(list->children.begin() + 1);  // drop "1"
  rc::only_layers m;
  auto tree = tfckpt::reflect::make_tree(m);
  for (int round = 0; round < 4 && tfckpt::graph::fill_containers(tree, *g); ++round) tree = tfckpt::reflect::make_tree(m);
  CHECK(m.layers.size() == 1);
}
