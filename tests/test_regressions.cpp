// Replays every input under tests/regressions/<target>/ (inputs that once crashed a fuzz target,
// or broke one of its invariants) through that target's code. Under ASan+UBSan this is the
// regression test for each fuzzer finding; a broken invariant aborts the test binary.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "bundle_craft.hpp"
#include "bundle_test_util.hpp"
#include "tfckpt/format/snappy.hpp"

// Each target's entry point under its own name (the snappy target needs libsnappy: its inputs
// are replayed through our decoder alone, below).
#define LLVMFuzzerTestOneInput fuzz_table_one
#include "fuzz/fuzz_table.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_bundle_entry_one
#include "fuzz/fuzz_bundle_entry.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_object_graph_one
#include "fuzz/fuzz_object_graph.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_string_record_one
#include "fuzz/fuzz_string_record.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_state_file_one
#include "fuzz/fuzz_state_file.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_bundle_one
#include "fuzz/fuzz_bundle.cpp"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_restore_one
#include "fuzz/fuzz_restore.cpp"
#undef LLVMFuzzerTestOneInput

#ifndef TFCKPT_FIXTURES_DIR
#define TFCKPT_FIXTURES_DIR "tests/fixtures"
#endif

namespace {
using entry_point = int (*)(const std::uint8_t*, std::size_t);

int snappy_one(const std::uint8_t* data, std::size_t size) {
  (void)tfckpt::detail::snappy_uncompress(tfckpt_fuzz::as_view(data, size), std::size_t{1} << 24);
  return 0;
}

// Replays every file of tests/fuzz/corpus/<target>/ (the fuzzer's seeds and what it kept) and,
// when the target has recorded findings, of tests/regressions/<target>/. Each directory must
// exist and hold at least one input: a missing or empty one fails the test instead of letting it
// pass with nothing replayed. Returns how many inputs were replayed.
enum class findings { none, recorded };
std::size_t replay(const std::string& target, entry_point fn, findings f = findings::none) {
  const std::filesystem::path tests_dir = std::filesystem::path(TFCKPT_FIXTURES_DIR) / "..";
  std::vector<std::filesystem::path> dirs = {tests_dir / "fuzz" / "corpus" / target};
  if (f == findings::recorded) dirs.push_back(tests_dir / "regressions" / target);
  std::size_t replayed = 0;
  for (const auto& dir : dirs) {
    INFO("input directory " << dir.string());
    REQUIRE(std::filesystem::is_directory(dir));
    std::vector<std::string> files;
    for (const std::string& name : tfckpt_test::list_files(dir.string()))
      if (std::filesystem::is_regular_file(dir / name)) files.push_back((dir / name).string());
    CHECK(!files.empty());
    for (const auto& file : files) {
      INFO("replaying " << file);
      const std::string bytes = tfckpt_test::read_file(file);
      CHECK(fn(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()) == 0);
    }
    replayed += files.size();
  }
  return replayed;
}
}  // namespace

// Each replay is a "no crash" test: the targets return 0 for every input and abort on a broken
// invariant, so their value is in running under ASan+UBSan (scripts/test.sh asan).
TEST_CASE("regressions: fuzz_table inputs replay without crashing") {
  const std::size_t replayed = replay("fuzz_table", fuzz_table_one);
  CHECK(replayed >= 1);
}
TEST_CASE("regressions: fuzz_snappy inputs replay without crashing") {
  const std::size_t replayed = replay("fuzz_snappy", snappy_one);
  CHECK(replayed >= 1);
}
TEST_CASE("regressions: fuzz_object_graph inputs replay without crashing") {
  const std::size_t replayed = replay("fuzz_object_graph", fuzz_object_graph_one);
  CHECK(replayed >= 1);
}
TEST_CASE("regressions: fuzz_string_record inputs replay without crashing") {
  const std::size_t replayed = replay("fuzz_string_record", fuzz_string_record_one);
  CHECK(replayed >= 1);
}
TEST_CASE("regressions: fuzz_state_file inputs replay without crashing") {
  const std::size_t replayed = replay("fuzz_state_file", fuzz_state_file_one);
  CHECK(replayed >= 1);
}

TEST_CASE("regressions: fuzz_bundle_entry inputs replay without crashing") {
  // header_num_shards_zero: an explicit `num_shards: 0` header broke the round-trip invariant.
  const std::size_t replayed = replay("fuzz_bundle_entry", fuzz_bundle_entry_one, findings::recorded);
  CHECK(replayed >= 2);
}

TEST_CASE("regressions: fuzz_bundle inputs replay without crashing") {
  // zero_element_memcpy_null: reading a zero-element tensor called memcpy(nullptr, p, 0) (UBSan).
  const std::size_t replayed = replay("fuzz_bundle", fuzz_bundle_one, findings::recorded);
  CHECK(replayed >= 2);
}

TEST_CASE("regressions: a zero-element tensor reads back empty") {
  using namespace tfckpt;
  const std::string index = craft::make_index({{"z", craft::make_entry(dtype::float32, {0, 3}, 0, 0, 0, detail::crc32c_mask(0))}});
  auto r = bundle_reader::open_memory(index, {""});
  REQUIRE(r);
  auto t = r->read("z");
  REQUIRE(t);
  CHECK(t->bytes().empty());
  CHECK(t->shape() == shape_t{0, 3});
  CHECK(r->verify());
}

TEST_CASE("regressions: fuzz_restore inputs replay without crashing") {
  // vector_leaf_2p40_floats: a std::vector<float> field resized to the 2^40 elements the index
  // declared before the reader checked the entry (ASan: allocation-size-too-big).
  const std::size_t replayed = replay("fuzz_restore", fuzz_restore_one, findings::recorded);
  CHECK(replayed >= 2);
}

TEST_CASE("regressions: a std::vector leaf declared with 2^40 elements is an error, not an allocation") {
  using namespace tfckpt;
  const std::string bytes = tfckpt_test::read_file(std::string(TFCKPT_FIXTURES_DIR) +
                                              "/../regressions/fuzz_restore/vector_leaf_2p40_floats");
  const tfckpt_fuzz::memory_checkpoint c = tfckpt_fuzz::split_checkpoint(bytes);
  auto r = bundle_reader::open_memory(c.index, c.shards);
  REQUIRE(r);
  tfckpt_fuzz_restore::rich_state s;
  s.history = {1, 2};
  auto st = detail::restore_from_reader(*r, s, nullptr);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::limit_exceeded);
  CHECK(st.error().message == "tensor of 4398046511104 bytes exceeds max_tensor_bytes");
  CHECK(st.error().key == "history/.ATTRIBUTES/VARIABLE_VALUE");
  CHECK(s.history == std::vector<float>{1, 2});  // untouched by the failed restore
  // Under the default 1 TiB max_tensor_bytes but far beyond the 85-byte data file: corruption.
  read_options big;
  big.max_tensor_bytes = std::uint64_t{1} << 50;
  big.max_total_bytes = std::uint64_t{1} << 50;
  auto r2 = bundle_reader::open_memory(c.index, c.shards, big);
  REQUIRE(r2);
  auto st2 = detail::restore_from_reader(*r2, s, nullptr);
  REQUIRE_FALSE(st2);
  CHECK(st2.error().code == errc::corruption);
  CHECK(st2.error().message.find("shorter than its entries claim") != std::string::npos);
}

// A named namespace: PFR derives field names through an extern object, which clang rejects
// for a type with internal linkage (-Wundefined-internal).
namespace regressions_typed_leaf {
struct typed_leaf_root {
  tfckpt::tensor_of<float> w;
};
}  // namespace regressions_typed_leaf
using regressions_typed_leaf::typed_leaf_root;

TEST_CASE("regressions: a tensor_of leaf declared with 2^41 bytes is an error, not an allocation") {
  using namespace tfckpt;
  // A real checkpoint of the struct, then its index rewritten so `w` declares [2^39] floats
  // (2 TiB, size consistent with the shape: over the default 1 TiB limit) while the data file keeps its 8 bytes.
  tfckpt_test::temp_dir dir;
  typed_leaf_root s;
  auto w = tensor_of<float>::from_values(shape_t{2}, std::vector<float>{1.5f, 2.5f});
  REQUIRE(w);
  s.w = std::move(*w);
  checkpoint ck(s);
  auto written = ck.write(dir.path() + "/ckpt");
  REQUIRE(written);
  auto real = bundle_reader::open(*written);
  REQUIRE(real);
  const std::string key = "w/.ATTRIBUTES/VARIABLE_VALUE";
  std::vector<std::pair<std::string, bundle_entry>> entries;
  for (const auto& e : real->entries()) {
    bundle_entry info = e.info.to_bundle_entry();
    if (e.key == key) {
      info.shape = {std::int64_t{1} << 39};
      info.size = std::int64_t{1} << 41;
    }
    entries.emplace_back(e.key, info);
  }
  const std::string index = craft::make_index(entries, real->header());
  const std::string data = tfckpt_test::read_file(real->data_path(0));

  auto r = bundle_reader::open_memory(index, {data});
  REQUIRE(r);
  typed_leaf_root into;
  auto st = detail::restore_from_reader(*r, into, nullptr);
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::limit_exceeded);
  CHECK(st.error().key == key);
  CHECK_FALSE(into.w.has_shape());  // untouched by the failed restore

  read_options big;
  big.max_tensor_bytes = std::uint64_t{1} << 50;
  big.max_total_bytes = std::uint64_t{1} << 50;
  auto r2 = bundle_reader::open_memory(index, {data}, big);
  REQUIRE(r2);
  auto st2 = detail::restore_from_reader(*r2, into, nullptr);
  REQUIRE_FALSE(st2);
  CHECK(st2.error().code == errc::corruption);
  CHECK(st2.error().message.find("shorter than its entries claim") != std::string::npos);
  CHECK_FALSE(into.w.has_shape());
}
