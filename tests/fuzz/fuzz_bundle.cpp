// Fuzz target: a whole checkpoint held in memory (input layout: tfckpt_fuzz::split_checkpoint).
// Runs bundle_reader::open_memory, reads every entry (checksums off, to get past them), alone and
// all at once with read_many_into (which must agree), verifies (checksums on) and decodes the
// object graph.
#include <span>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "tfckpt/bundle/reader.hpp"

using namespace tfckpt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [index, shards] = tfckpt_fuzz::split_checkpoint(tfckpt_fuzz::as_view(data, size));
  read_options opts = tfckpt_fuzz::bounded_read_options();
  opts.verify_checksums = false;
  auto r = bundle_reader::open_memory(index, shards, opts);
  if (!r) {
    (void)r.error().to_string();
    return 0;
  }
  // read_many_into reads neighbouring small records as runs: it must agree with one read_into
  // per entry (all succeed exactly when each alone does, with the same bytes).
  std::vector<bundle_reader::read_request> batch;
  std::vector<std::vector<std::byte>> many, single;
  bool every_single_ok = true;
  std::uint64_t batch_bytes = 0;
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
      if (batch_bytes + buf.size() <= (8u << 20) && batch.size() < 4096) {
        batch_bytes += buf.size();
        every_single_ok = every_single_ok && static_cast<bool>(ok);
        many.emplace_back(buf.size(), std::byte{0x5a});
        single.push_back(std::move(buf));
        batch.push_back({e.key, e.info.dtype, {}});
      }
    }
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].dst = std::span<std::byte>(many[i]);
  auto all = r->read_many_into(batch);
  if (!all) (void)all.error().to_string();
  TFCKPT_FUZZ_CHECK(static_cast<bool>(all) == every_single_ok);
  if (all)
    for (std::size_t i = 0; i < batch.size(); ++i) TFCKPT_FUZZ_CHECK(many[i] == single[i]);
  for (const entry& e : r->slice_parts()) (void)r->read(e.key);
  (void)r->verify();
  if (r->has_object_graph()) (void)r->object_graph();
  return 0;
}
