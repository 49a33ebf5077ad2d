// tfckpt::attribute<"NAME", T>: a struct field bound to an attribute of the struct's own object
// (tf.data's ITERATOR_STATE, tf_keras's OBJECT_CONFIG_JSON), not to a child. Bind against the
// TensorFlow-written variant fixture, a missing attribute, a wrong dtype, several attributes on
// one object through write then read (keys and object graph as TF records them), hints, deferred
// rounds and write_object_tree.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bundle_test_util.hpp"
#include "tfckpt/checkpoint.hpp"
#include "tfckpt/object_tree.hpp"

namespace ra {

using state_t = tfckpt::attribute<"ITERATOR_STATE", tfckpt::tensor>;

struct iterator_t {
  state_t state;
};
struct with_iterator {  // tests/fixtures/variant: tf.train.Checkpoint(iterator=iter(ds), step=int64).write
  iterator_t iterator;
  std::int64_t step = 0;
};

struct wrong_name_t {
  tfckpt::attribute<"NOT_THERE", tfckpt::tensor> state;
};
struct with_wrong_name {
  wrong_name_t iterator;
  std::int64_t step = 0;
};

struct recorded_name_t {
  tfckpt::attribute<"ITERATOR", tfckpt::tensor> state;
};
struct with_recorded_name {
  recorded_name_t iterator;
  std::int64_t step = 0;
};

struct string_iterator_t {
  tfckpt::attribute<"ITERATOR_STATE", std::string> state;
};
struct with_string_iterator {
  string_iterator_t iterator;
  std::int64_t step = 0;
};

struct empty_iterator_t {};
struct with_empty_iterator {
  empty_iterator_t iterator;
  std::int64_t step = 0;
};

// An object with two attributes of its own and a child variable; one name needs escaping.
struct layer_t {
  tfckpt::attribute<"OBJECT_CONFIG_JSON", std::string> config;
  tfckpt::attribute<"a.b/c", tfckpt::fixed<float, 2>> odd;
  tfckpt::fixed<float, 3> kernel;
};
struct with_layer {
  layer_t layer;
};

struct twice_t {
  tfckpt::attribute<"SAME", std::int64_t> a;
  tfckpt::attribute<"SAME", std::int64_t> b;
};
struct with_twice {
  twice_t x;
};

struct step_only {
  std::int64_t step = 0;
};

struct with_optional_iterator {  // deferred: the iterator object exists only in the second round
  std::optional<iterator_t> iterator;
  std::int64_t step = 0;
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}
bool any_contains(const std::vector<std::string>& v, const std::string& s) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& x) { return x.find(s) != std::string::npos; });
}

const tfckpt::trackable_object* node_at(const tfckpt::trackable_object_graph& g, const std::string& child) {
  for (const auto& c : g.nodes.at(0).children)
    if (c.local_name == child) return &g.nodes.at(static_cast<std::size_t>(c.node_id));
  return nullptr;
}

}  // namespace ra

TEST_CASE("attribute: binds the iterator state of a TensorFlow checkpoint; assert_consumed passes") {
  ra::with_iterator s;
  auto st = tfckpt::read(TFCKPT_FIXTURES_DIR "/variant/ckpt", s);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(s.step == 2);
  CHECK(s.iterator.state.value.dtype() == tfckpt::dtype::variant);
  CHECK(s.iterator.state.value.shape() == tfckpt::shape_t{2});
  REQUIRE(s.iterator.state.value.strings().size() == 2);
  CHECK(!s.iterator.state.value.strings()[0].empty());
  CHECK(st->restored == 2);
}

TEST_CASE("attribute: written back under the same key with an object graph entry naming it") {
  ra::with_iterator s;
  REQUIRE(tfckpt::read(TFCKPT_FIXTURES_DIR "/variant/ckpt", s));
  tfckpt_test::temp_dir dir;
  auto w = tfckpt::write(dir / "ckpt", s);
  REQUIRE_MESSAGE(w, (w ? "" : w.error().to_string()));
  auto r = tfckpt::bundle_reader::open(dir / "ckpt");
  REQUIRE(r);
  auto t = r->read("iterator/.ATTRIBUTES/ITERATOR_STATE");
  REQUIRE(t);
  CHECK(*t == s.iterator.state.value);
  auto g = r->object_graph();
  REQUIRE(g);
  const auto* it = ra::node_at(*g, "iterator");
  REQUIRE(it != nullptr);
  REQUIRE(it->attributes.size() == 1);
  CHECK(it->attributes[0].name == "ITERATOR_STATE");
  CHECK(it->attributes[0].checkpoint_key == "iterator/.ATTRIBUTES/ITERATOR_STATE");
  CHECK(it->attributes[0].full_name.empty());  // TF leaves it empty for objects that are not variables
  CHECK(it->has_checkpoint_values);

  ra::with_iterator back;
  auto st = tfckpt::read(dir / "ckpt", back);
  REQUIRE(st);
  CHECK(st->assert_consumed());
  CHECK(back.iterator.state.value == s.iterator.state.value);
  CHECK(back.step == 2);
}

TEST_CASE("attribute: a name the saved object lacks is unmatched, not an error; the status names both sides") {
  ra::with_wrong_name s;
  auto st = tfckpt::read(TFCKPT_FIXTURES_DIR "/variant/ckpt", s);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(s.step == 2);
  CHECK(s.iterator.state.value.dtype() == tfckpt::dtype::invalid);  // untouched
  CHECK(ra::contains(st->unmatched_objects, "iterator/.ATTRIBUTES/NOT_THERE"));
  CHECK(ra::contains(st->unused_values, "iterator/.ATTRIBUTES/ITERATOR_STATE"));
  auto existing = st->assert_existing_objects_matched();
  REQUIRE_FALSE(existing);
  CHECK(existing.error().message.find("iterator/.ATTRIBUTES/NOT_THERE") != std::string::npos);
  CHECK_FALSE(st->assert_consumed());
  // The hint gives the field that would hold the stored value.
  CHECK(ra::any_contains(st->hints, "tfckpt::attribute<\"ITERATOR_STATE\", tfckpt::tensor> (variant [2])"));
}

TEST_CASE("attribute: the recorded name of an attribute stored under another key is an error naming the stored one") {
  // `tfckpt graph` shows the iterator's attribute as ITERATOR; the bundle holds ITERATOR_STATE.
  ra::with_recorded_name s;
  auto st = tfckpt::read(TFCKPT_FIXTURES_DIR "/variant/ckpt", s);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == tfckpt::errc::not_found);
  const std::string msg = st.error().to_string();
  CHECK(msg.find("iterator/.ATTRIBUTES/ITERATOR: the object records attribute ITERATOR but the bundle holds no value") !=
        std::string::npos);
  CHECK(msg.find("it stores tfckpt::attribute<\"ITERATOR_STATE\", tfckpt::tensor> (variant [2])") != std::string::npos);
}

TEST_CASE("attribute: a dtype mismatch is an error naming the key and both dtypes") {
  ra::with_string_iterator s;
  auto st = tfckpt::read(TFCKPT_FIXTURES_DIR "/variant/ckpt", s);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == tfckpt::errc::dtype_mismatch);
  const std::string msg = st.error().to_string();
  CHECK(msg.find("iterator/.ATTRIBUTES/ITERATOR_STATE") != std::string::npos);
  CHECK(msg.find("dtype variant in checkpoint, string in struct") != std::string::npos);
}

TEST_CASE("attribute: hints suggest the attribute field for unresolved and for bound objects") {
  SUBCASE("no iterator object at all") {
    ra::step_only s;
    auto st = tfckpt::read(TFCKPT_FIXTURES_DIR "/variant/ckpt", s);
    REQUIRE(st);
    CHECK(ra::contains(st->unresolved_nodes, "iterator"));
    CHECK(ra::any_contains(st->hints, "iterator: not a variable: declare a struct for this object with the field(s) "
                                      "tfckpt::attribute<\"ITERATOR_STATE\", tfckpt::tensor> (variant [2])"));
  }
  SUBCASE("an iterator object without the field") {
    ra::with_empty_iterator s;
    auto st = tfckpt::read(TFCKPT_FIXTURES_DIR "/variant/ckpt", s);
    REQUIRE(st);
    CHECK(st->unresolved_nodes.empty());
    CHECK(ra::contains(st->unused_values, "iterator/.ATTRIBUTES/ITERATOR_STATE"));
    CHECK(ra::any_contains(st->hints, "declare the field(s) tfckpt::attribute<\"ITERATOR_STATE\", tfckpt::tensor> "
                                      "(variant [2]) in the struct of 'iterator'"));
  }
}

TEST_CASE("attribute: several attributes on one object, escaped keys, save then restore") {
  ra::with_layer s;
  s.layer.config.value = R"({"name": "dense"})";
  s.layer.odd.value = {{1.5f, -2.5f}};
  s.layer.kernel = {{1, 2, 3}};
  tfckpt_test::temp_dir dir;
  REQUIRE(tfckpt::write(dir / "ckpt", s));
  auto r = tfckpt::bundle_reader::open(dir / "ckpt");
  REQUIRE(r);
  CHECK(r->find("layer/.ATTRIBUTES/OBJECT_CONFIG_JSON") != nullptr);
  CHECK(r->find("layer/.ATTRIBUTES/a..b.Sc") != nullptr);  // attribute_key escapes the name
  CHECK(r->find("layer/kernel/.ATTRIBUTES/VARIABLE_VALUE") != nullptr);
  auto g = r->object_graph();
  REQUIRE(g);
  const auto* layer = ra::node_at(*g, "layer");
  REQUIRE(layer != nullptr);
  REQUIRE(layer->attributes.size() == 2);  // declaration order
  CHECK(layer->attributes[0].name == "OBJECT_CONFIG_JSON");
  CHECK(layer->attributes[1].name == "a.b/c");
  CHECK(layer->attributes[1].checkpoint_key == "layer/.ATTRIBUTES/a..b.Sc");
  REQUIRE(layer->children.size() == 1);  // the attributes are not children
  CHECK(layer->children[0].local_name == "kernel");

  ra::with_layer back;
  auto st = tfckpt::read(dir / "ckpt", back);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(back.layer.config.value == s.layer.config.value);
  CHECK(back.layer.odd.value == s.layer.odd.value);
  CHECK(back.layer.kernel == s.layer.kernel);
  CHECK(st->restored == 3);
}

TEST_CASE("attribute: two attributes of one name on an object cannot be saved") {
  ra::with_twice s;
  tfckpt_test::temp_dir dir;
  auto w = tfckpt::write(dir / "ckpt", s);
  REQUIRE_FALSE(w);
  CHECK(w.error().code == tfckpt::errc::invalid_argument);
  CHECK(w.error().message.find("two attributes of one object share the name 'SAME'") != std::string::npos);
}

TEST_CASE("attribute: a deferred restore reads the attribute once its object exists") {
  ra::with_optional_iterator s;
  auto p = tfckpt::read_deferred(TFCKPT_FIXTURES_DIR "/variant/ckpt", s);
  REQUIRE_MESSAGE(p, (p ? "" : p.error().to_string()));
  CHECK(s.step == 2);
  CHECK_FALSE(p->status().assert_consumed());
  s.iterator.emplace();
  auto st = p->attach(s);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  auto consumed = st->assert_consumed();
  CHECK_MESSAGE(consumed, (consumed ? "" : consumed.error().to_string()));
  CHECK(s.iterator->state.value.shape() == tfckpt::shape_t{2});
}

TEST_CASE("attribute: write_object_tree saves a named attribute that the struct then restores") {
  ra::with_iterator src;
  REQUIRE(tfckpt::read(TFCKPT_FIXTURES_DIR "/variant/ckpt", src));
  const std::int64_t step = 5;
  std::vector<tfckpt::tree_variable> vars(2);
  vars[0].path = {"iterator"};
  vars[0].attribute = "ITERATOR_STATE";
  vars[0].dtype = tfckpt::dtype::variant;
  vars[0].shape = src.iterator.state.value.shape();
  vars[0].strings = src.iterator.state.value.strings();
  vars[1].path = {"step"};
  vars[1].dtype = tfckpt::dtype::int64;
  vars[1].bytes = {reinterpret_cast<const char*>(&step), sizeof step};
  tfckpt_test::temp_dir dir;
  auto w = tfckpt::bundle_writer::create(dir / "ckpt");
  REQUIRE(w);
  auto ok = tfckpt::write_object_tree(*w, vars);
  REQUIRE_MESSAGE(ok, (ok ? "" : ok.error().to_string()));
  REQUIRE(w->finish());
  ra::with_iterator back;
  auto st = tfckpt::read(dir / "ckpt", back);
  REQUIRE_MESSAGE(st, (st ? "" : st.error().to_string()));
  CHECK(st->assert_consumed());
  CHECK(back.iterator.state.value == src.iterator.state.value);
  CHECK(back.step == 5);
}
