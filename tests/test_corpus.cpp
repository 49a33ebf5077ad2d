// bundle_reader against every real TensorFlow-written checkpoint in the shared corpus, checked
// against expected_entries.json (written by an independent pure-Python reader): entries, lookup,
// values (head elements), verify(); the legacy V1 file is rejected as unsupported.
#include <doctest/doctest.h>

#include <complex>
#include <cstdint>
#include <string>
#include <tfckpt/bundle/reader.hpp>
#include <vector>

#include "bundle_test_util.hpp"

using tfckpt::errc;
using namespace tfckpt_test;

namespace {

const std::string corpus_dir = TFCKPT_CORPUS_DIR;

// Python's "first 80 characters" of a UTF-8 string: 80 code points, not bytes.
std::string utf8_prefix(std::string_view s, std::size_t code_points) {
  std::size_t n = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) {
      if (n == code_points) break;
      ++n;
    }
  }
  return std::string(s.substr(0, i));
}

// Element i of a fixed-size tensor as the double / integer the Python reader printed.
template <class T>
T elem(const tfckpt::tensor& t, std::size_t i) {
  T v{};
  std::memcpy(&v, t.bytes().data() + i * sizeof(T), sizeof(T));
  return v;
}

void check_head(const tfckpt::tensor& t, const nlohmann::json& head, const std::string& key) {
  INFO("key " << key);
  if (head.is_string()) {
    REQUIRE(t.dtype() == tfckpt::dtype::string);
    REQUIRE(!t.strings().empty());
    CHECK(utf8_prefix(t.strings()[0], 80) == head.get<std::string>());
    return;
  }
  REQUIRE(head.is_array());
  REQUIRE(static_cast<std::int64_t>(head.size()) <= t.num_elements());
  for (std::size_t i = 0; i < head.size(); ++i) {
    const auto& h = head[i];
    switch (t.dtype()) {
      case tfckpt::dtype::float32: CHECK(static_cast<double>(elem<float>(t, i)) == h.get<double>()); break;
      case tfckpt::dtype::float64: CHECK(elem<double>(t, i) == h.get<double>()); break;
      case tfckpt::dtype::int32: CHECK(elem<std::int32_t>(t, i) == h.get<std::int64_t>()); break;
      case tfckpt::dtype::int64: CHECK(elem<std::int64_t>(t, i) == h.get<std::int64_t>()); break;
      case tfckpt::dtype::bool_: CHECK((elem<std::uint8_t>(t, i) != 0) == h.get<bool>()); break;
      default: FAIL("head values for dtype " << tfckpt::dtype_name(t.dtype()) << " not handled by this test");
    }
  }
}

void check_prefix(const std::string& folder, const std::string& prefix_name, const nlohmann::json& want) {
  const std::string path = corpus_dir + "/" + folder + "/" + prefix_name;
  INFO("checkpoint " << path);
  auto r = tfckpt::bundle_reader::open(path);
  REQUIRE_MESSAGE(r, (r ? "" : r.error().to_string()));
  const auto& meta = want["meta"];
  CHECK(r->header().num_shards == meta["num_shards"].get<int>());
  CHECK(static_cast<int>(r->header().endian) == meta["endianness"].get<int>());
  CHECK(r->header().version.producer == meta["version_producer"].get<int>());
  CHECK(r->slice_parts().empty());  // no partitioned tensors in the corpus

  const auto& entries = want["entries"];
  REQUIRE(r->entries().size() == entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& w = entries[i];
    const std::string key = w["key"].get<std::string>();
    INFO("entry " << i << " key " << key);
    const tfckpt::entry& e = r->entries()[i];
    CHECK(e.key == key);
    const tfckpt::entry* f = r->find(key);
    REQUIRE(f != nullptr);
    CHECK(f == &e);
    const auto dt = tfckpt::dtype_from_name(w["dtype"].get<std::string>());
    REQUIRE(dt.has_value());
    CHECK(e.info.dtype == *dt);
    CHECK(e.info.shape == w["shape"].get<std::vector<std::int64_t>>());
    CHECK(e.info.shard_id == w["shard"].get<int>());
    CHECK(e.info.offset == w["offset"].get<std::int64_t>());
    CHECK(e.info.size == w["size"].get<std::int64_t>());
    CHECK(e.info.crc32c == w["crc32c_masked"].get<std::uint32_t>());
    CHECK(e.info.slices.empty());

    auto t = r->read(key);
    REQUIRE_MESSAGE(t, (t ? "" : t.error().to_string()));
    CHECK(t->dtype() == *dt);
    CHECK(t->shape() == e.info.shape);
    if (t->dtype() == tfckpt::dtype::string || t->dtype() == tfckpt::dtype::variant)
      CHECK(static_cast<std::int64_t>(t->strings().size()) == t->num_elements());
    else
      CHECK(static_cast<std::int64_t>(t->bytes().size()) == e.info.size);
    if (w.contains("head")) check_head(*t, w["head"], key);
  }
  auto v = r->verify();
  REQUIRE_MESSAGE(v, (v ? "" : v.error().to_string()));
  CHECK(v->tensors == entries.size());
  if (r->has_object_graph()) {
    auto g = r->object_graph();
    CHECK_MESSAGE(g, (g ? "" : g.error().to_string()));
  }
  // Opening by the .index path and by the first data file finds the same bundle.
  for (const std::string& alt : {path + ".index", r->data_path(0)}) {
    auto r2 = tfckpt::bundle_reader::open(alt);
    REQUIRE_MESSAGE(r2, (r2 ? "" : r2.error().to_string()));
    CHECK(r2->entries().size() == r->entries().size());
  }
}

}  // namespace

TEST_CASE("corpus: every checkpoint matches expected_entries.json and verifies") {
  const auto doc = load_json(corpus_dir + "/expected_entries.json");
  REQUIRE(doc.is_object());
  int checked = 0;
  for (const auto& [folder, prefixes] : doc.items()) {
    if (folder.empty() || folder[0] == '_' || folder == "legacy_v1_tensorslice_not_v2") continue;
    for (const auto& [prefix_name, want] : prefixes.items()) {
      SUBCASE((folder + "/" + prefix_name).c_str()) { check_prefix(folder, prefix_name, want); }
      ++checked;
    }
  }
  CHECK(checked >= 20);
}

TEST_CASE("corpus: a checkpoint directory opens its latest checkpoint from the state file") {
  auto r = tfckpt::bundle_reader::open(corpus_dir + "/tf1_estimator_model_dir_3ckpts");
  REQUIRE_MESSAGE(r, (r ? "" : r.error().to_string()));
  CHECK(tfckpt::detail::path_basename(r->prefix()) == "model.ckpt-1000");
  auto r2 = tfckpt::bundle_reader::open(corpus_dir + "/tf2_keras_weights_prefix_named_checkpoint");
  REQUIRE_MESSAGE(r2, (r2 ? "" : r2.error().to_string()));
  CHECK(tfckpt::detail::path_basename(r2->prefix()) == "checkpoint");
}

TEST_CASE("corpus: the legacy V1 TensorSlice checkpoint is rejected as unsupported, naming V1") {
  const std::string dir = corpus_dir + "/legacy_v1_tensorslice_not_v2";
  for (const std::string& p : {dir, dir + "/export-00000-of-00001", dir + "/export"}) {
    INFO("path " << p);
    auto r = tfckpt::bundle_reader::open(p);
    REQUIRE(!r);
    CHECK(r.error().code == errc::unsupported);
    CHECK(r.error().to_string().find("V1") != std::string::npos);
    CHECK(r.error().to_string().find("export-00000-of-00001") != std::string::npos);
  }
  // Handed over as memory bytes (as if it were an index), it is still refused, not misread.
  const std::string bytes = read_file(dir + "/export-00000-of-00001");
  auto m = tfckpt::bundle_reader::open_memory(bytes, {});
  REQUIRE(!m);
  CHECK(m.error().code == errc::unsupported);
  CHECK(m.error().to_string().find("V1") != std::string::npos);
}

TEST_CASE("corpus: a missing key is not_found and names the key") {
  auto r = tfckpt::bundle_reader::open(corpus_dir + "/tf1_saver_three_vars/model-three-variables.ckpt");
  REQUIRE(r);
  auto t = r->read("no/such/key");
  REQUIRE(!t);
  CHECK(t.error().code == errc::not_found);
  CHECK(t.error().key == "no/such/key");
  CHECK(r->find("no/such/key") == nullptr);
}
