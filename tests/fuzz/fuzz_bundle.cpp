// Fuzz target: a whole checkpoint held in memory. Input layout: uint32 LE index length, the
// index bytes, then data shards as [uint32 LE length][bytes]... (missing shards are empty; the
// last shard takes the rest). The number of shards comes from the index header (at most 8).
// Runs bundle_reader::open_memory, reads every entry (checksums off, to get past them), verifies
// (checksums on) and decodes the object graph.
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "tfckpt/bundle_reader.hpp"

using namespace tfckpt;

namespace {
int shard_count(std::string_view index) {
  auto t = detail::table_reader::open(index);
  if (!t) return 1;
  auto it = t->make_iterator();
  if (!it.seek_to_first() || !it.valid() || !it.key().empty()) return 1;
  auto h = decode_bundle_header(it.value());
  if (!h || h->num_shards < 1 || h->num_shards > 8) return 1;
  return h->num_shards;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = tfckpt_fuzz::as_view(data, size);
  const auto index_len = tfckpt_fuzz::take<std::uint32_t>(in);
  const std::string_view index = in.substr(0, std::min<std::size_t>(index_len, in.size()));
  in.remove_prefix(index.size());
  const int n = shard_count(index);
  std::vector<std::string_view> shards;
  for (int s = 0; s < n; ++s) {
    if (s == n - 1) {
      shards.push_back(in);
      break;
    }
    const auto len = tfckpt_fuzz::take<std::uint32_t>(in);
    shards.push_back(in.substr(0, std::min<std::size_t>(len, in.size())));
    in.remove_prefix(shards.back().size());
  }
  read_options opts;
  opts.verify_checksums = false;
  opts.max_tensor_bytes = std::uint64_t{1} << 24;
  opts.max_total_bytes = std::uint64_t{1} << 26;
  opts.max_entries = 100000;
  opts.graph.max_nodes = 4096;
  opts.graph.max_edges = 16384;
  auto r = bundle_reader::open_memory(index, shards, opts);
  if (!r) {
    (void)r.error().to_string();
    return 0;
  }
  for (const entry& e : r->entries()) {
    auto t = r->read(e.key);
    if (t) {
      TFCKPT_FUZZ_CHECK(t->dtype() == e.info.dtype);
      TFCKPT_FUZZ_CHECK(t->shape() == e.info.shape);
    } else {
      (void)t.error().to_string();
    }
    if (is_fixed_size(e.info.dtype) && num_elements(e.info.shape) >= 0 &&
        static_cast<std::uint64_t>(num_elements(e.info.shape)) * dtype_size(e.info.dtype) <= (1u << 20)) {
      std::vector<std::byte> buf(static_cast<std::size_t>(num_elements(e.info.shape)) * dtype_size(e.info.dtype));
      auto ok = r->read_into(e.key, e.info.dtype, buf);
      if (ok && t) TFCKPT_FUZZ_CHECK(std::equal(buf.begin(), buf.end(), t->bytes().begin(), t->bytes().end()));
    }
  }
  for (const entry& e : r->slice_parts()) (void)r->read(e.key);
  (void)r->verify();
  if (r->has_object_graph()) (void)r->object_graph();
  return 0;
}
