// Compile-time schemas (schema.hpp) and restore from memory without heap (memory_restore.hpp):
// schema keys equal the runtime writer's keys, matching against a TF-written checkpoint's schema,
// a no-allocation restore checked with a counting operator new, and the error statuses.
// The compile-fail side lives in tests/compile_fail/run.sh.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "bundle_craft.hpp"
#include "bundle_test_util.hpp"
#include "tfckpt/checkpoint.hpp"
#include "tfckpt/memory_restore.hpp"
#include "tfckpt/schema.hpp"

using tfckpt_test::read_file;
using tfckpt_test::temp_dir;

// Counting replacement of the global operator new, active only while `counting` is set (the rest
// of the suite allocates as usual). Pairs with free() in the replaced operator delete.
namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  std::abort();  // no exceptions in the suite: out of memory is fatal
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace sc {

struct dense {
  tfckpt::fixed<float, 3, 2> kernel;
  std::array<float, 2> bias{};
};
struct mlp {
  dense l0;
  std::array<dense, 2> blocks;
};
TFCKPT_NAMES(mlp, (l0, "layer_with_weights-0", "layer-0"))
struct state {
  mlp model;
  std::int64_t step = 0;
  double odd_name = 0;  // renamed to a name with "." and "/" to exercise escaping
};
TFCKPT_NAMES(state, (odd_name, "a.b/c"))

struct dyn {
  std::vector<float> v;
  tfckpt::tensor t;
  std::optional<float> maybe;
};

}  // namespace sc

TEST_CASE("schema: paths and keys are sorted and escaped like the runtime writer's") {
  constexpr auto s = tfckpt::schema_v<sc::state>;
  static_assert(s.size() == 8);
  static_assert(s[0].path == "a..b.Sc" && s[0].key == "a..b.Sc/.ATTRIBUTES/VARIABLE_VALUE");
  static_assert(s[0].dtype == tfckpt::dtype::float64 && s[0].rank == 0);
  CHECK(s[1].key == "model/blocks/0/bias/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(s[6].path == "model/layer_with_weights-0/kernel");
  CHECK(s[6].rank == 2);
  CHECK(s[6].dims[0] == 3);
  CHECK(s[6].dims[1] == 2);
  CHECK(s[7].path == "step");
  for (std::size_t i = 1; i < s.size(); ++i) CHECK(s[i - 1].key < s[i].key);

  // The runtime writer produces exactly these keys.
  temp_dir dir;
  sc::state st;
  REQUIRE(tfckpt::write(dir / "ck", st));
  auto r = tfckpt::bundle_reader::open(dir / "ck");
  REQUIRE(r);
  std::vector<std::string> written;
  for (const auto& e : r->entries())
    if (e.key != tfckpt::object_graph_key) written.emplace_back(e.key);
  REQUIRE(written.size() == s.size());
  for (std::size_t i = 0; i < s.size(); ++i) CHECK(written[i] == s[i].key);
}

TEST_CASE("schema: dynamic leaves have dynamic shapes and match any length") {
  constexpr auto s = tfckpt::schema_v<sc::dyn>;
  static_assert(s.size() == 3);
  static_assert(s[0].path == "maybe" && s[0].optional);
  static_assert(s[1].path == "t" && s[1].rank == tfckpt::dynamic_rank && s[1].dtype == tfckpt::dtype::invalid);
  static_assert(s[2].path == "v" && s[2].rank == 1 && s[2].dims[0] == tfckpt::dynamic_dim);
  static_assert(!tfckpt::all_leaves_fixed<sc::dyn>());
  static_assert(tfckpt::all_leaves_fixed<sc::state>());
  static constexpr std::array<tfckpt::schema_entry, 2> ck{{
      {"t", "t/.ATTRIBUTES/VARIABLE_VALUE", tfckpt::dtype::int32, 3, {1, 2, 3}},
      {"v", "v/.ATTRIBUTES/VARIABLE_VALUE", tfckpt::dtype::float32, 1, {17}},
  }};
  static_assert(tfckpt::matches<sc::dyn>(ck));  // `maybe` is optional
  static constexpr tfckpt::schema_ref<ck> ck_ref{};
  static_assert(tfckpt::matches<sc::dyn>(ck_ref));
  static constexpr std::array<tfckpt::schema_entry, 1> bad{{
      {"v", "v/.ATTRIBUTES/VARIABLE_VALUE", tfckpt::dtype::float32, 2, {17, 2}},
  }};
  static_assert(!tfckpt::matches_partial<sc::dyn>(bad));  // rank 2 for a vector
  static_assert(tfckpt::matches<sc::state>(tfckpt::schema_v<sc::state>));
  // The same answers at run time (doctest counts these; the static_asserts above count for nothing).
  CHECK(tfckpt::matches<sc::dyn>(ck));
  CHECK_FALSE(tfckpt::matches_partial<sc::dyn>(bad));
}

namespace sc {
// tests/fixtures/keras_adam_legacy without the optimizer slots.
template <std::size_t In, std::size_t Out>
struct layer {
  tfckpt::fixed<float, In, Out> kernel;
  tfckpt::fixed<float, Out> bias;
};
struct seq {
  layer<4, 8> l0;
  layer<8, 3> l1;
};
TFCKPT_NAMES(seq, (l0, "layer_with_weights-0", "layer-0"), (l1, "layer_with_weights-1", "layer-1"))
struct adam {
  std::int64_t iter;
  float beta_1, beta_2, decay, learning_rate;
};
struct keras_root {
  seq model;
  adam optimizer;
  std::int64_t step;
};
struct keras_root_extra {
  seq model;
  adam optimizer;
  std::int64_t step;
  float temperature;
};
struct keras_root_wrong {
  seq model;
  adam optimizer;
  std::int32_t step;  // int64 in the checkpoint
};
}  // namespace sc

#include "../examples/embedded_ckpt_data.hpp"
#include "../examples/embedded_schema.hpp"

static_assert(tfckpt::matches_partial<sc::keras_root>(policy_schema));
static_assert(!tfckpt::matches<sc::keras_root>(std::span<const tfckpt::schema_entry>(policy_schema_entries)));

TEST_CASE("memory restore: a TF-written checkpoint restores with no heap allocation") {
  static sc::keras_root r{};
  allocations = 0;
  counting = true;
  const auto st = tfckpt::restore_from_memory(ckpt_index, {ckpt_data}, r);
  counting = false;
  CHECK(allocations.load() == 0);
  REQUIRE(st);
  CHECK(st->restored == 10);
  CHECK(st->unused == 9);  // 8 Adam slots + save_counter
  CHECK(st->graph_checked);
  CHECK(r.step == 3);
  CHECK(r.optimizer.iter == 3);
  std::uint32_t bits = 0;
  std::memcpy(&bits, &r.model.l0.bias[0], 4);
  CHECK(bits == 0x3b198984u);
}

TEST_CASE("memory restore: its result equals tfckpt::read's") {
  temp_dir dir;
  REQUIRE(tfckpt_test::write_all(dir / "ckpt-1.index", ckpt_index));
  REQUIRE(tfckpt_test::write_all(dir / "ckpt-1.data-00000-of-00001", ckpt_data));
  static sc::keras_root a{}, b{};
  REQUIRE(tfckpt::restore_from_memory(ckpt_index, {ckpt_data}, a));
  auto st = tfckpt::read(dir / "ckpt-1", b);
  REQUIRE(st);
  CHECK(std::memcmp(&a.model, &b.model, sizeof a.model) == 0);
  CHECK(a.step == b.step);
  CHECK(a.optimizer.iter == b.optimizer.iter);
}

TEST_CASE("memory restore: errors name the variable and never allocate") {
  static sc::keras_root_wrong w{};
  allocations = 0;
  counting = true;
  auto st = tfckpt::restore_from_memory(ckpt_index, {ckpt_data}, w);
  counting = false;
  CHECK(allocations.load() == 0);
  CHECK(st.error().code == tfckpt::errc::dtype_mismatch);
  CHECK(st.error().key == "step");

  // Wrong number of shards.
  static sc::keras_root r{};
  st = tfckpt::restore_from_memory(ckpt_index, {ckpt_data, ckpt_data}, r);
  CHECK(st.error().code == tfckpt::errc::invalid_argument);

  // A flipped byte in a record fails its checksum; in the index, the block's.
  std::string data(ckpt_data);
  const auto& kernel_key = "model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE";
  auto reader = tfckpt::bundle_reader::open_memory(ckpt_index, {ckpt_data});
  REQUIRE(reader);
  const auto* e = reader->find(kernel_key);
  REQUIRE(e != nullptr);
  data[static_cast<std::size_t>(e->info.offset)] ^= 1;
  st = tfckpt::restore_from_memory(ckpt_index, {std::string_view(data)}, r);
  CHECK(st.error().code == tfckpt::errc::checksum_mismatch);
  CHECK(st.error().key == "model/layer_with_weights-0/kernel");
  std::string index(ckpt_index);
  index[10] ^= 1;
  st = tfckpt::restore_from_memory(std::string_view(index), {ckpt_data}, r);
  CHECK(st.error().code == tfckpt::errc::checksum_mismatch);
  CHECK(st.error().offset != tfckpt::no_offset);

  // Truncated and empty inputs.
  st = tfckpt::restore_from_memory(ckpt_index.substr(0, 20), {ckpt_data}, r);
  CHECK(st.error().code == tfckpt::errc::corruption);
  st = tfckpt::restore_from_memory(ckpt_index, {ckpt_data.substr(0, 100)}, r);
  CHECK_FALSE(st);
}

TEST_CASE("memory restore: a variable missing from the checkpoint is not_found") {
  static sc::keras_root_extra x{};
  const auto st = tfckpt::restore_from_memory(ckpt_index, {ckpt_data}, x);
  CHECK(st.error().code == tfckpt::errc::not_found);
  CHECK(st.error().key == "temperature");
}

TEST_CASE("memory restore: our own writer's output restores and the graph check agrees") {
  temp_dir dir;
  sc::state in;
  for (std::size_t i = 0; i < 6; ++i) in.model.l0.kernel[i] = static_cast<float>(i) + 0.5f;
  in.model.blocks[1].bias = {7.f, 8.f};
  in.step = 42;
  in.odd_name = 2.5;
  tfckpt::checkpoint<sc::state> ck(in);
  auto path = ck.save(dir / "ckpt");
  REQUIRE(path);
  const std::string index = read_file(*path + ".index");
  const std::string data = read_file(*path + ".data-00000-of-00001");
  static sc::state out;
  const auto st = tfckpt::restore_from_memory(index, {data}, out);
  REQUIRE(st);
  CHECK(st->graph_checked);
  CHECK(st->unused == 1);  // save_counter
  CHECK(out.model.l0.kernel == in.model.l0.kernel);
  CHECK(out.model.blocks[1].bias == in.model.blocks[1].bias);
  CHECK(out.step == 42);
  CHECK(out.odd_name == 2.5);
}
