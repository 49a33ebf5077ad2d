// Fuzz target: BundleEntryProto and BundleHeaderProto decoding; anything decoded must re-encode
// to bytes that decode to the same message and re-encode identically (canonical form). The fast
// decoder for TF's own layout must never accept what the general decoder reads differently.
#include <string>

#include "fuzz_common.hpp"
#include "tfckpt/format/bundle_proto.hpp"

using namespace tfckpt;

namespace {
bool same(const bundle_entry& a, const bundle_entry& b) {
  return a.dtype == b.dtype && a.shape == b.shape && a.shard_id == b.shard_id && a.offset == b.offset &&
         a.size == b.size && a.crc32c == b.crc32c && a.slices == b.slices;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = tfckpt_fuzz::as_view(data, size);
  if (bundle_entry fast; detail::decode_canonical_entry(in, fast)) {
    bundle_entry general;
    TFCKPT_FUZZ_CHECK(detail::decode_general_entry(in, general));
    TFCKPT_FUZZ_CHECK(same(fast, general));
  }
  if (auto e = decode_bundle_entry(in)) {
    const std::string enc = encode_bundle_entry(*e);
    auto e2 = decode_bundle_entry(enc);
    TFCKPT_FUZZ_CHECK(e2);
    TFCKPT_FUZZ_CHECK(same(*e, *e2));
    TFCKPT_FUZZ_CHECK(encode_bundle_entry(*e2) == enc);
    (void)num_elements(e->shape);
    for (const auto& s : e->slices)
      if (s.rank() > 0 && check_slice(s, e->shape)) {  // rank-0 keys are invalid (TF agrees)
        const std::string key = encode_tensor_name_slice("k", s);
        auto back = decode_tensor_name_slice(key);
        TFCKPT_FUZZ_CHECK(back && back->second.rank() == s.rank());
      }
    (void)slices_cover(e->slices, e->shape);
    // What the reader demands (TF's rules): a partition is covering and overlap-free.
    if (check_slice_partition(e->slices, e->shape)) {
      TFCKPT_FUZZ_CHECK(slices_cover(e->slices, e->shape));
      TFCKPT_FUZZ_CHECK(!slices_overlap(e->slices, e->shape));
    }
  }
  // An explicit `num_shards: 0` is not re-encoded (proto3 omits zeros) and an absent num_shards
  // decodes as 1 (the reader checks for the field separately), so such headers cannot round-trip.
  if (auto h = decode_bundle_header(in); h && h->num_shards != 0) {
    const std::string enc = encode_bundle_header(*h);
    auto h2 = decode_bundle_header(enc);
    TFCKPT_FUZZ_CHECK(h2);
    TFCKPT_FUZZ_CHECK(h2->num_shards == h->num_shards && h2->endian == h->endian &&
                      h2->version.producer == h->version.producer &&
                      h2->version.min_consumer == h->version.min_consumer &&
                      h2->version.bad_consumers == h->version.bad_consumers);
    TFCKPT_FUZZ_CHECK(encode_bundle_header(*h2) == enc);
  }
  return 0;
}
