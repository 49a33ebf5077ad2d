// Fuzz target: a whole checkpoint held in memory (input layout: tfckpt_fuzz::split_checkpoint).
// Runs bundle_reader::open_memory, reads every entry (checksums off, to get past them), verifies
// (checksums on) and decodes the object graph.
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "tfckpt/bundle_reader.hpp"

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
