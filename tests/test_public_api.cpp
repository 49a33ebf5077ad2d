// The public API of issue #12 ("one shape per concept", "public versus internal"): checked tensor
// factories, the one restore outcome of both restore paths, the one spelling of a compile-time
// schema, the public file API (atomic_file, mapped_file) and write_object_tree, which the CLI's
// `import` is built on.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bundle_test_util.hpp"
#include "tfckpt/bundle/reader.hpp"
#include "tfckpt/checkpoint.hpp"
#include "tfckpt/file.hpp"
#include "tfckpt/memory_restore.hpp"
#include "tfckpt/object_tree.hpp"
#include "tfckpt/schema.hpp"

using tfckpt::dtype;
using tfckpt::errc;
using tfckpt::tensor;
using tfckpt_test::read_file;
using tfckpt_test::temp_dir;

// ---- tensor: checked factories ----------------------------------------------------------------

TEST_CASE("public api: tensor::zeros is shaped and zero-filled, and refuses invalid shapes") {
  auto t = tensor::zeros(dtype::float32, {2, 3});
  REQUIRE(t);
  CHECK(t->shape() == tfckpt::shape_t{2, 3});
  CHECK(t->bytes().size() == 24);
  const auto values = t->values<float>();  // a named result: the span must not outlive it
  REQUIRE(values);
  CHECK(values->size() == 6);
  for (float x : *values) CHECK(x == 0.0f);
  auto s = tensor::zeros(dtype::string, {2});
  REQUIRE(s);
  CHECK(s->strings() == std::vector<std::string>{"", ""});

  auto negative = tensor::zeros(dtype::float32, {2, -1});
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code == errc::invalid_argument);
  CHECK(negative.error().message == "tensor::zeros: invalid shape [2,-1]");
  auto overflow = tensor::zeros(dtype::float32, {std::int64_t{1} << 40, std::int64_t{1} << 40});
  REQUIRE_FALSE(overflow);
  CHECK(overflow.error().code == errc::invalid_argument);
  const tfckpt::shape_t deep(tfckpt::max_rank + 1, 1);
  auto too_deep = tensor::zeros(dtype::float32, deep);
  REQUIRE_FALSE(too_deep);
  CHECK(too_deep.error().code == errc::invalid_argument);
  auto untyped = tensor::zeros(dtype::invalid, {1});
  REQUIRE_FALSE(untyped);
  CHECK(untyped.error().message == "tensor::zeros: dtype invalid");
}

TEST_CASE("public api: tensor::from_strings takes exactly one string per element") {
  auto ok = tensor::from_strings({2}, {"a", "b"});
  REQUIRE(ok);
  CHECK(ok->dtype() == dtype::string);
  CHECK(ok->strings() == std::vector<std::string>{"a", "b"});
  auto few = tensor::from_strings({2, 2}, {"a", "b", "c"});  // no empty fill
  REQUIRE_FALSE(few);
  CHECK(few.error().code == errc::invalid_argument);
  CHECK(few.error().message == "tensor::from_strings: 3 values given for shape [2,2] (4 elements)");
  auto many = tensor::from_strings({}, {"a", "b"});  // a scalar: no truncation
  REQUIRE_FALSE(many);
  CHECK(many.error().message == "tensor::from_strings: 2 values given for shape [] (1 elements)");
  auto bad_shape = tensor::from_strings({-2}, {});
  REQUIRE_FALSE(bad_shape);
  CHECK(bad_shape.error().code == errc::invalid_argument);
  auto fixed = tensor::from_strings({1}, {"x"}, dtype::float32);
  REQUIRE_FALSE(fixed);
  CHECK(fixed.error().message == "tensor::from_strings: dtype float32 is not string or variant");
  auto variant = tensor::from_strings({1}, {"serialized"}, dtype::variant);
  REQUIRE(variant);
  CHECK(variant->dtype() == dtype::variant);
}

// ---- the one restore outcome ------------------------------------------------------------------

namespace papi {
struct small {
  std::array<float, 3> w{};
  std::int64_t step = 0;
};
struct large {
  std::array<float, 3> w{};
  std::int64_t step = 0;
  double extra = 0;
};
}  // namespace papi

TEST_CASE("public api: restore_from_memory and restore report the same restore_status counts") {
  temp_dir dir;
  papi::large in;
  in.w = {1.5f, 2.5f, 3.5f};
  in.step = 9;
  in.extra = 4.0;
  REQUIRE(tfckpt::write(dir / "ckpt", in));
  const std::string index = read_file(dir / "ckpt.index");
  const std::string data = read_file(dir / "ckpt.data-00000-of-00001");

  papi::small a, b;
  const tfckpt::result<tfckpt::restore_status, tfckpt::static_error> mem = tfckpt::restore_from_memory(index, {data}, a);
  const tfckpt::result<tfckpt::restore_status> heap = tfckpt::read(dir / "ckpt", b);
  REQUIRE(mem);
  REQUIRE(heap);
  CHECK(a.w == in.w);
  CHECK(b.w == in.w);
  CHECK(mem->restored == 2);
  CHECK(heap->restored == 2);
  CHECK(mem->unused == 1);  // `extra`
  CHECK(heap->unused == 1);
  CHECK(heap->unused_values == std::vector<std::string>{"extra/.ATTRIBUTES/VARIABLE_VALUE"});
  CHECK(mem->unused_values.empty());  // the allocation-free path keeps counts only
  CHECK(mem->graph_checked);
  CHECK(heap->graph_checked);
  CHECK(mem->matched_nodes == heap->matched_nodes);
  // The same checks on both: everything of the struct restored, not everything consumed.
  CHECK(mem->assert_existing_objects_matched());
  CHECK(heap->assert_existing_objects_matched());
  CHECK(mem->assert_nontrivial_match());
  const auto mem_consumed = mem->assert_consumed();
  REQUIRE_FALSE(mem_consumed);
  CHECK(mem_consumed.error().code == errc::unmatched);
  CHECK(mem_consumed.error().message.find("checkpoint values never read: 1 (not listed)") != std::string::npos);
  CHECK_FALSE(heap->assert_consumed());
}

TEST_CASE("public api: restore_from_memory's static_error has error's names and converts to it") {
  temp_dir dir;
  papi::small in;
  REQUIRE(tfckpt::write(dir / "ckpt", in));
  const std::string index = read_file(dir / "ckpt.index");
  const std::string data = read_file(dir / "ckpt.data-00000-of-00001");
  papi::large out;  // `extra` is not in the checkpoint
  const auto st = tfckpt::restore_from_memory(index, {data}, out);
  REQUIRE_FALSE(st);
  const tfckpt::static_error& e = st.error();
  CHECK(e.code == errc::not_found);
  CHECK(std::string(e.message) == "variable not in the checkpoint");
  CHECK(e.key == "extra");
  const tfckpt::error full = e.to_error();
  CHECK(full.code == errc::not_found);
  CHECK(full.key == "extra");
  CHECK(full.to_string() == "key 'extra': variable not in the checkpoint [not_found]");
  CHECK(e.to_string() == full.to_string());
}

// ---- the one spelling of a compile-time schema ----------------------------------------------

// schema_v<T> serves as a constant (static_assert, array bound), a range and a template argument.
static_assert(tfckpt::schema_v<papi::large>.size() == 3);
static_assert(tfckpt::schema_v<papi::large>[0].key == "extra/.ATTRIBUTES/VARIABLE_VALUE");
static_assert(tfckpt::matches<papi::large>(tfckpt::schema_v<papi::large>));
static_assert(tfckpt::matches_partial<papi::small>(tfckpt::schema_v<papi::large>));
static_assert(!tfckpt::matches<papi::small>(std::span<const tfckpt::schema_entry>(
    tfckpt::schema_v<papi::large>.begin(), tfckpt::schema_v<papi::large>.end())));
template <const auto& Schema>
constexpr std::size_t count_float32() {
  std::size_t n = 0;
  for (const auto& e : Schema)
    if (e.dtype == dtype::float32) ++n;
  return n;
}
static_assert(count_float32<tfckpt::schema_v<papi::large>>() == 1);

TEST_CASE("public api: schema_v<T> lists the keys the writer uses") {
  std::array<std::string_view, tfckpt::schema_v<papi::small>.size()> keys{};
  std::size_t i = 0;
  for (const auto& e : tfckpt::schema_v<papi::small>) keys[i++] = e.key;
  CHECK(keys == std::array<std::string_view, 2>{"step/.ATTRIBUTES/VARIABLE_VALUE", "w/.ATTRIBUTES/VARIABLE_VALUE"});
}

// ---- public file API --------------------------------------------------------------------------

TEST_CASE("public api: atomic_file appears only on commit, and an abandoned one leaves nothing") {
  temp_dir dir;
  const std::string path = dir / "out.bin";
  {
    auto f = tfckpt::atomic_file::create(path);
    REQUIRE(f);
    REQUIRE(f->append("hello "));
    REQUIRE(f->append("world"));
    CHECK(f->size() == 11);
    CHECK_FALSE(std::filesystem::exists(path));  // still under its temporary name
    REQUIRE(f->commit());
    CHECK_FALSE(f->commit());  // once
  }
  CHECK(read_file(path) == "hello world");
  {
    auto f = tfckpt::atomic_file::create(path);
    REQUIRE(f);
    REQUIRE(f->append("torn"));
  }  // abandoned: the old file stays, no temporary file is left
  CHECK(read_file(path) == "hello world");
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "")) files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 1);
  auto missing = tfckpt::atomic_file::create(dir / "no/such/dir/out.bin");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);

  auto m = tfckpt::mapped_file::open(path);
  REQUIRE(m);
  CHECK(m->bytes() == "hello world");
  auto small_limit = tfckpt::mapped_file::open(path, 4);
  REQUIRE_FALSE(small_limit);
  CHECK(small_limit.error().code == errc::limit_exceeded);
  REQUIRE(tfckpt::atomic_write_file(path, "replaced"));
  CHECK(read_file(path) == "replaced");
}

// ---- write_object_tree ------------------------------------------------------------------------

namespace papi {
struct dense {
  std::array<float, 3> kernel{};
};
struct model {
  dense layer;
};
struct root {
  model net;
  tfckpt::tensor names;  // untyped: takes the stored dtype and shape
};
}  // namespace papi

TEST_CASE("public api: write_object_tree writes a checkpoint a matching struct restores") {
  temp_dir dir;
  const float kernel[] = {0.5f, -1.0f, 2.0f};
  const std::vector<std::string> names = {"a", "b.c"};
  std::vector<tfckpt::tree_variable> vars(2);
  vars[0].path = {"net", "layer", "kernel"};
  vars[0].dtype = dtype::float32;
  vars[0].shape = {3};
  vars[0].bytes = {reinterpret_cast<const char*>(kernel), sizeof kernel};
  vars[1].path = {"names"};
  vars[1].dtype = dtype::string;
  vars[1].shape = {2};
  vars[1].strings = names;
  std::vector<std::size_t> saved;
  auto w = tfckpt::bundle_writer::create(dir / "ckpt");
  REQUIRE(w);
  REQUIRE(tfckpt::write_object_tree(*w, vars, {}, [&](std::size_t i) { saved.push_back(i); }));
  REQUIRE(w->finish());
  CHECK(saved.size() == 2);

  papi::root r;
  auto st = tfckpt::read(dir / "ckpt", r);
  REQUIRE(st);
  CHECK(st->assert_consumed());
  CHECK(r.net.layer.kernel == std::array<float, 3>{0.5f, -1.0f, 2.0f});
  CHECK(r.names.dtype() == dtype::string);
  CHECK(r.names.strings() == names);
}

TEST_CASE("public api: write_object_tree writes slot tables and refuses what cannot be a tree") {
  temp_dir dir;
  const float v[] = {1.0f, 2.0f};
  tfckpt::tree_variable var;
  var.path = {"model", "w"};
  var.dtype = dtype::float32;
  var.shape = {2};
  var.bytes = {reinterpret_cast<const char*>(v), sizeof v};
  std::vector<tfckpt::tree_slots> slots(1);
  slots[0].optimizer = {"optimizer"};
  slots[0].table.set("model/w", "m", tensor::from_values<float>({2}, std::span<const float>(v)).value());
  {
    auto w = tfckpt::bundle_writer::create(dir / "slots");
    REQUIRE(w);
    REQUIRE(tfckpt::write_object_tree(*w, std::span<const tfckpt::tree_variable>(&var, 1), slots));
    REQUIRE(w->finish());
    auto r = tfckpt::bundle_reader::open(dir / "slots");
    REQUIRE(r);
    CHECK(r->find("model/w/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE") != nullptr);
    CHECK(r->find("model/w/.ATTRIBUTES/VARIABLE_VALUE") != nullptr);
  }
  auto refused = [&](std::vector<tfckpt::tree_variable> vars, std::span<const tfckpt::tree_slots> s = {}) {
    auto w = tfckpt::bundle_writer::create(dir / "bad");
    REQUIRE(w);
    auto r = tfckpt::write_object_tree(*w, vars, s);
    REQUIRE_FALSE(r);
    return r.error();
  };
  CHECK(refused({var, var}).message == "write_object_tree: two variables at one object path");
  auto short_bytes = var;
  short_bytes.bytes = short_bytes.bytes.substr(0, 4);
  const auto e = refused({short_bytes});
  CHECK(e.message == "write_object_tree: 4 bytes given for shape [2] of float32");
  CHECK(e.key == "model/w");
  auto empty_name = var;
  empty_name.path = {"model", ""};
  CHECK(refused({empty_name}).code == errc::invalid_argument);
  auto no_path = var;
  no_path.path.clear();
  CHECK(refused({no_path}).code == errc::invalid_argument);
  std::vector<tfckpt::tree_slots> orphan(1);
  orphan[0].optimizer = {"optimizer"};
  orphan[0].table.set("model/not_there", "m", tensor::zeros(dtype::float32, {2}).value());
  CHECK(refused({var}, orphan).code == errc::invalid_argument);
}
