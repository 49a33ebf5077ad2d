// Fuzz target: restore of structs from a checkpoint held in memory (input layout:
// tfckpt_fuzz::split_checkpoint). Three roots share each input:
//   legacy_state  a tf_keras MLP (tfckpt::fixed / std::array leaves, TFCKPT_NAMES double edges),
//                 the legacy Adam with slot variables (slot_table), a step: the layout of
//                 tests/fixtures/keras_adam_legacy
//   adam_state    the same MLP with keras::adam<> (std::vector<tensor> slots sized by the
//                 restore): tests/fixtures/keras_adam
//   rich_state    that plus a std::vector<float>, std::string, std::vector<std::string>, a
//                 vector and a map of structs, an optional, an untyped tensor: the struct our own
//                 writer produces the seeds for (seed_tool.cpp)
// Each goes through the object-graph restore (open_memory, bind, fill containers, read; then
// every status check, TF's assert_consumed & co.). legacy_state also goes through the heap-free
// restore_from_memory, which parses the index by itself: when it succeeds, every value it
// restored must equal what bundle_reader reads under the same key. Checksums are off in both, so
// mutations get past them (fuzz_bundle covers checking them).
#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "tfckpt/memory_restore.hpp"

#include "restore_types.hpp"

namespace tfckpt_fuzz_restore {

// The object-graph restore of one root, with every check a caller would make.
template <class Root>
void restore_graph(const tfckpt::bundle_reader& r) {
  Root root{};
  std::int64_t counter = 0;
  auto st = tfckpt::detail::restore_from_reader(r, root, &counter);
  if (!st) {
    (void)st.error().to_string();
    return;
  }
  auto consumed = st->assert_consumed();
  auto matched = st->assert_existing_objects_matched();
  auto nontrivial = st->assert_nontrivial_match();
  if (!consumed) (void)consumed.error().to_string();
  if (!matched) (void)matched.error().to_string();
  if (!nontrivial) (void)nontrivial.error().to_string();
  // assert_consumed is the strictest check: it implies the other two's conditions.
  if (consumed) TFCKPT_FUZZ_CHECK(static_cast<bool>(matched));
  TFCKPT_FUZZ_CHECK(st->complete() == static_cast<bool>(consumed));
  TFCKPT_FUZZ_CHECK(static_cast<bool>(matched) == st->unmatched_objects.empty());
}

void restore_memory(const tfckpt::bundle_reader* r, const tfckpt_fuzz::memory_checkpoint& c) {
  using namespace tfckpt;
  static legacy_state root{};  // large: not on the stack, and restore_from_memory never allocates
  root = legacy_state{};
  memory_restore_options mo;
  mo.verify_checksums = false;
  const auto st = [&] {
    switch (c.shards.size()) {  // restore_from_memory takes an initializer_list
      case 1: return restore_from_memory(c.index, {c.shards[0]}, root, mo);
      case 2: return restore_from_memory(c.index, {c.shards[0], c.shards[1]}, root, mo);
      default: return restore_from_memory(c.index, {c.shards[0], c.shards[1], c.shards[2]}, root, mo);
    }
  }();
  if (!st) {
    TFCKPT_FUZZ_CHECK(st.error().message != nullptr && st.error().code != errc::ok);
    return;
  }
  constexpr auto schema = schema_v<legacy_state>;
  TFCKPT_FUZZ_CHECK(st->restored == schema.size());
  if (r == nullptr) return;
  void* leaves[schema.size()];
  std::size_t n = 0;
  detail::collect_leaves(root, leaves, n);
  TFCKPT_FUZZ_CHECK(n == schema.size());
  for (const auto& e : schema) {
    auto t = r->read(e.key);
    // bundle_reader may still refuse what the heap-free path accepted only for reasons it checks
    // and restore_from_memory does not (limits); never a different value.
    if (!t) {
      TFCKPT_FUZZ_CHECK(t.error().code == errc::limit_exceeded);
      continue;
    }
    const auto bytes = t->bytes();
    TFCKPT_FUZZ_CHECK(t->dtype() == e.dtype);
    TFCKPT_FUZZ_CHECK(bytes.empty() || std::memcmp(bytes.data(), leaves[e.leaf], bytes.size()) == 0);
  }
}

}  // namespace tfckpt_fuzz_restore

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tfckpt_fuzz_restore;
  const tfckpt_fuzz::memory_checkpoint c = tfckpt_fuzz::split_checkpoint(tfckpt_fuzz::as_view(data, size));
  tfckpt::read_options opts = tfckpt_fuzz::bounded_read_options();
  opts.verify_checksums = false;  // to get past them: restore, not checksumming, is fuzzed here
  auto r = tfckpt::bundle_reader::open_memory(c.index, c.shards, opts);
  if (r) {
    restore_graph<legacy_state>(*r);
    restore_graph<adam_state>(*r);
    restore_graph<rich_state>(*r);
  } else {
    (void)r.error().to_string();
  }
  if (c.shards.size() <= 3) restore_memory(r ? &*r : nullptr, c);
  return 0;
}
