// Fuzz target: TrackableObjectGraph decoding with small limits; a decoded graph must re-encode
// canonically, and the graph layer's traversals must handle it (ids are validated).
#include <string>

#include "fuzz_common.hpp"
#include "tfckpt/graph/restore.hpp"
#include "tfckpt/format/object_graph_proto.hpp"

using namespace tfckpt;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = tfckpt_fuzz::as_view(data, size);
  object_graph_limits lim;
  lim.max_nodes = 4096;
  lim.max_edges = 16384;
  auto g = decode_object_graph(in, lim);
  if (!g) return 0;
  const std::string enc = encode_object_graph(*g);
  auto g2 = decode_object_graph(enc, lim);
  TFCKPT_FUZZ_CHECK(g2);
  TFCKPT_FUZZ_CHECK(g2->nodes.size() == g->nodes.size());
  TFCKPT_FUZZ_CHECK(encode_object_graph(*g2) == enc);
  auto paths = detail::saved_paths(*g);
  TFCKPT_FUZZ_CHECK(paths.size() == g->nodes.size());
  return 0;
}
