// Objects whose attribute name differs from their bundle key (docs/format.md §9.3, §12): a tf.data
// iterator records attribute `ITERATOR` with checkpoint_key `iterator/.ATTRIBUTES/ITERATOR`, but
// its value is stored under `iterator/.ATTRIBUTES/ITERATOR_STATE` (TF cuts the first key after
// `.ATTRIBUTES/` and appends the object's own tensor names). A struct without the iterator
// restores everything else; assert_consumed names the iterator node and its real bundle key.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tfckpt/checkpoint.hpp"

namespace gi {

struct step_only {  // tests/fixtures/variant: tf.train.Checkpoint(iterator=iter(ds), step=int64).write
  std::int64_t step = 0;
};

struct dense {
  tfckpt::fixed<float, 1, 5> kernel;
  std::array<float, 5> bias;
};
struct net_t {
  dense l1;
};
struct legacy_adam {
  std::int64_t iter = 0;
  float beta_1 = 0, beta_2 = 0, decay = 0, learning_rate = 0;
  tfckpt::slot_table slots{"m", "v"};
};
struct manager_state {  // $TFCKPT_CORPUS_DIR/tf2_checkpointmanager_iterator_variant (TF 2.6)
  net_t net;
  legacy_adam optimizer;
  std::int32_t step = 0;
};

struct with_iterator_leaf {  // a variable where the checkpoint has the iterator
  tfckpt::tensor iterator;
  std::int64_t step = 0;
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace gi

TEST_CASE("graph iterator: the variant fixture restores the rest; assert_consumed names the iterator") {
  gi::step_only s;
  auto st = tfckpt::read(TFCKPT_FIXTURES_DIR "/variant/ckpt", s);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  st->expect_partial();
  CHECK(s.step == 2);
  CHECK(st->assert_existing_objects_matched());
  CHECK(st->assert_nontrivial_match());
  const std::vector<std::string> unresolved{"iterator"};
  CHECK(st->unresolved_nodes == unresolved);
  // The key the bundle really holds, not the graph's `iterator/.ATTRIBUTES/ITERATOR`.
  const std::vector<std::string> unused{"iterator/.ATTRIBUTES/ITERATOR_STATE"};
  CHECK(st->unused_values == unused);
  auto consumed = st->assert_consumed();
  REQUIRE_FALSE(consumed);
  CHECK(consumed.error().message.find("iterator/.ATTRIBUTES/ITERATOR_STATE") != std::string::npos);
  CHECK(consumed.error().message.find("checkpoint objects matched to nothing (1):\n    iterator") != std::string::npos);
}

TEST_CASE("graph iterator: a CheckpointManager checkpoint with an iterator restores model, optimizer and step") {
  gi::manager_state s;
  tfckpt::checkpoint ck(s);
  auto st = ck.restore(TFCKPT_CORPUS_DIR "/tf2_checkpointmanager_iterator_variant");  // latest: ckpt-40
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  st->expect_partial();
  CHECK_MESSAGE(st->assert_existing_objects_matched(), (st->assert_existing_objects_matched() ? "" : st->assert_existing_objects_matched().error().to_string()));
  CHECK(ck.save_counter() > 0);
  CHECK(s.optimizer.slots.size() == 4);
  CHECK(s.optimizer.iter > 0);
  const std::vector<std::string> unresolved{"iterator"};
  CHECK(st->unresolved_nodes == unresolved);
  const std::vector<std::string> unused{"iterator/.ATTRIBUTES/ITERATOR_STATE"};
  CHECK(st->unused_values == unused);
  CHECK_FALSE(st->assert_consumed());
}

TEST_CASE("graph iterator: a variable bound to the iterator node is an error naming the key, not a crash") {
  // TF reads `iterator/.ATTRIBUTES/VARIABLE_VALUE` for a variable there, which does not exist.
  gi::with_iterator_leaf s;
  auto st = tfckpt::read(TFCKPT_FIXTURES_DIR "/variant/ckpt", s);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == tfckpt::errc::not_found);
  CHECK(st.error().to_string().find("iterator/.ATTRIBUTES/VARIABLE_VALUE") != std::string::npos);
}

TEST_CASE("graph iterator: variables are read via the first attribute's .ATTRIBUTES/ prefix, as TF does") {
  // Rewrite a graph so the variable's recorded key names another tensor under the same prefix:
  // TF still reads `<prefix>VARIABLE_VALUE`, and so do we.
  gi::step_only src{7};
  const std::string prefix = "graph_iterator_prefix/ckpt";
  REQUIRE(tfckpt::write(prefix, src));
  auto r = tfckpt::bundle_reader::open(prefix);
  REQUIRE(r);
  auto g = r->object_graph();
  REQUIRE(g);
  REQUIRE(g->nodes.size() == 2);
  g->nodes[1].attributes.at(0).checkpoint_key = "step/.ATTRIBUTES/SOMETHING_ELSE";
  gi::step_only dst;
  auto tree = tfckpt::reflect::make_tree(dst);
  auto st = tfckpt::graph::restore_tree(tree, *r, *g);
  REQUIRE(st);
  CHECK(dst.step == 7);
  CHECK(st->assert_consumed());
  // A key without `.ATTRIBUTES/` cannot be restored (TF raises); we return an error.
  g->nodes[1].attributes.at(0).checkpoint_key = "step";
  auto bad = tfckpt::graph::restore_tree(tree, *r, *g);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == tfckpt::errc::corruption);
}
