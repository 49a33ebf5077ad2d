// write_cases OUTDIR: writes bundles with tfckpt's bundle_writer (and merge_bundles) into OUTDIR
// and describes them in OUTDIR/manifest.json for tests/interop/tf_reads_ours.py, which checks that
// TensorFlow reads every value back byte for byte and, for "tf_identical" cases, that our .index
// and .data files equal what tf.raw_ops.SaveV2 writes for the same tensors in the same order.
//
// Manifest: {"cases": [{"name", "prefix" (absolute), "num_shards", "tf_identical",
//                       "tensors": [{"key", "dtype", "shape", "data_hex" | "strings_hex"}]}]}
// Exit status 0 on success, 1 if anything could not be written.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <tfckpt/bundle/merge.hpp>
#include <tfckpt/bundle/reader.hpp>
#include <tfckpt/bundle/writer.hpp>
#include <vector>

namespace {

using tfckpt::dtype;
using tfckpt::shape_t;
using tfckpt::tensor;

std::string to_hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

struct named {
  std::string key;
  tensor value;
};

nlohmann::json describe(const named& n) {
  nlohmann::json j;
  j["key"] = n.key;
  j["dtype"] = std::string(tfckpt::dtype_name(n.value.dtype()));
  j["shape"] = n.value.shape();
  if (n.value.dtype() == dtype::string) {
    nlohmann::json hexes = nlohmann::json::array();
    for (const auto& s : n.value.strings()) hexes.push_back(to_hex(s));
    j["strings_hex"] = hexes;
  } else {
    j["data_hex"] = to_hex(n.value.byte_view());
  }
  return j;
}

// Deterministic bytes; floats get a few special values (-0.0, NaN payloads, inf, subnormal) in front
// so that nothing along the way canonicalises them.
tensor make(dtype t, shape_t shape, unsigned seed) {
  tensor out = tensor::zeros(t, std::move(shape)).value();
  auto b = out.bytes();
  std::uint32_t x = 0x9e3779b9u * (seed + 7);
  for (auto& c : b) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<std::byte>(t == dtype::bool_ ? (x >> 16) & 1 : x >> 24);
  }
  auto put = [&](std::size_t i, const void* v, std::size_t n) {
    if ((i + 1) * n <= b.size()) std::memcpy(b.data() + i * n, v, n);
  };
  if (t == dtype::float32) {
    const float sp[] = {-0.0f, std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min()};
    for (std::size_t i = 0; i < 3; ++i) put(i, &sp[i], 4);
    const std::uint32_t nan = 0x7fc12345u;
    put(3, &nan, 4);
  } else if (t == dtype::float64) {
    const double sp[] = {-0.0, -std::numeric_limits<double>::infinity()};
    for (std::size_t i = 0; i < 2; ++i) put(i, &sp[i], 8);
    const std::uint64_t nan = 0xfff8000000abcdefull;
    put(2, &nan, 8);
  } else if (t == dtype::float16 || t == dtype::bfloat16) {
    const std::uint16_t sp[] = {0x8000, 0x7e01, 0x0001};
    for (std::size_t i = 0; i < 3; ++i) put(i, &sp[i], 2);
  }
  return out;
}

tensor strs(shape_t shape, std::vector<std::string> v) { return tensor::from_strings(std::move(shape), std::move(v)).value(); }

struct case_t {
  std::string name;
  std::string prefix;
  int num_shards = 1;
  bool tf_identical = false;
  std::vector<named> tensors;  // manifest order
};

bool report(const tfckpt::result<void>& r, const std::string& what) {
  if (!r) std::fprintf(stderr, "write_cases: %s: %s\n", what.c_str(), r.error().to_string().c_str());
  return static_cast<bool>(r);
}

// Writes every tensor of `c` in manifest order (SaveV2 appends records in input order too).
bool write_plain(const case_t& c, const tfckpt::write_options& o, bool round_robin = false) {
  auto w = tfckpt::bundle_writer::create(c.prefix, o);
  if (!w) return report(std::move(w).error(), c.name);
  std::int32_t shard = 0;
  for (const auto& t : c.tensors) {
    const std::int32_t s = round_robin ? shard++ % o.num_shards : tfckpt::bundle_writer::any_shard;
    if (!report(w->add(t.key, t.value, s), c.name + ": " + t.key)) return false;
  }
  return report(w->finish(), c.name);
}

std::vector<named> every_dtype() {
  std::vector<named> v;
  unsigned seed = 0;
  // The dtypes tf_values.py can build from hex, each as a matrix, plus scalars of a few.
  for (dtype t : {dtype::float32, dtype::float64, dtype::float16, dtype::bfloat16, dtype::int8, dtype::int16,
                  dtype::int32, dtype::int64, dtype::uint8, dtype::uint16, dtype::uint32, dtype::uint64,
                  dtype::bool_, dtype::complex64, dtype::complex128}) {
    const std::string n(tfckpt::dtype_name(t));
    v.push_back({n + "/matrix", make(t, {3, 4}, seed++)});
    v.push_back({n + "/scalar", make(t, {}, seed++)});
  }
  v.push_back({"string/vector", strs({3}, {"alpha", "", "\xce\xb2\xce\xb7\xcf\x84\xce\xb1"})});
  v.push_back({"string/scalar", strs({}, {"scalar"})});
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_cases OUTDIR\n");
    return 2;
  }
  std::string out = argv[1];
  if (!tfckpt::detail::is_absolute_path(out)) {
    auto cwd = tfckpt::detail::current_directory();
    if (!cwd) return report(std::move(cwd).error(), "cwd"), 1;
    out = tfckpt::detail::path_join(*cwd, out);
  }
  if (!report(tfckpt::detail::make_directories(out), out)) return 1;
  std::vector<case_t> cases;
  bool ok = true;
  tfckpt::write_options one;
  one.sync = false;

  {  // 1. every dtype, one shard, in an order that is not key order
    case_t c{"every_dtype", out + "/every_dtype/ckpt", 1, true, every_dtype()};
    std::reverse(c.tensors.begin() + 4, c.tensors.end());
    ok &= write_plain(c, one);
    cases.push_back(std::move(c));
  }
  {  // 2. string edge cases
    std::string binary;
    for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
    case_t c{"strings", out + "/strings/ckpt", 1, true, {}};
    c.tensors = {
        {"s/empty_scalar", strs({}, {""})},
        {"s/unicode", strs({2}, {"h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93", "\xf0\x9f\x98\x80\xe6\x97\xa5\xe6\x9c\xac"})},
        {"s/lengths", strs({6}, {std::string(127, 'a'), std::string(128, 'b'), std::string(129, 'c'),
                                 std::string(300, 'd'), std::string(16383, 'e'), std::string(16384, 'f')})},
        {"s/binary", strs({}, {binary})},
        {"s/many_empty", strs({2, 3}, {"", "", "", "", "", ""})},
        {"s/zero", strs({0, 2}, {})},
        {"s/long", strs({}, {std::string(70000, 'L')})},
    };
    ok &= write_plain(c, one);
    cases.push_back(std::move(c));
  }
  {  // 3. zero-element tensors
    case_t c{"zero_elements", out + "/zero_elements/ckpt", 1, true, {}};
    c.tensors = {{"z/f32_0", make(dtype::float32, {0}, 1)},
                 {"z/i64_3x0", make(dtype::int64, {3, 0}, 2)},
                 {"z/bool_2x0x3", make(dtype::bool_, {2, 0, 3}, 3)},
                 {"z/bf16_0x5", make(dtype::bfloat16, {0, 5}, 4)},
                 {"z/str_0", strs({0}, {})},
                 {"z/after", make(dtype::int32, {2}, 5)}};
    ok &= write_plain(c, one);
    cases.push_back(std::move(c));
  }
  {  // 4. a tensor over 256 KiB (larger than the index block size; data file only)
    case_t c{"large_tensor", out + "/large_tensor/ckpt", 1, true, {}};
    c.tensors = {{"big", make(dtype::float32, {300, 300}, 11)}, {"small", make(dtype::int32, {3}, 12)}};
    ok &= write_plain(c, one);
    cases.push_back(std::move(c));
  }
  {  // 5. 5000 scalar variables: the index needs more than one data block
    case_t c{"many_variables", out + "/many_variables/model.ckpt", 1, true, {}};
    char key[128];
    for (int i = 0; i < 5000; ++i) {
      std::snprintf(key, sizeof key, "model/block_%05d/self_attention/query_projection/kernel_weights", i);
      c.tensors.push_back({key, make(dtype::float32, {}, static_cast<unsigned>(i))});
    }
    ok &= write_plain(c, one);
    cases.push_back(std::move(c));
  }
  {  // 6. three shards, round-robin placement
    case_t c{"three_shards", out + "/three_shards/ckpt", 3, false, {}};
    for (int i = 0; i < 7; ++i)
      c.tensors.push_back({"w" + std::to_string(i), make(i % 2 ? dtype::int64 : dtype::float32, {i + 1, 3}, 20u + static_cast<unsigned>(i))});
    c.tensors.push_back({"names", strs({2}, {"x", "yy"})});
    tfckpt::write_options o = one;
    o.num_shards = 3;
    ok &= write_plain(c, o, /*round_robin=*/true);
    cases.push_back(std::move(c));
  }
  {  // 7. data_alignment 64: records padded so float32/float64 zero-copy views are aligned
    case_t c{"aligned_64", out + "/aligned_64/ckpt", 1, false, {}};
    c.tensors = {{"a", make(dtype::float32, {3}, 30)}, {"b", make(dtype::int8, {5}, 31)},
                 {"c", strs({2}, {"p", std::string(200, 'q')})}, {"d", make(dtype::complex128, {2, 2}, 32)},
                 {"e", make(dtype::float64, {7}, 33)}, {"f", make(dtype::float32, {5, 3}, 34)}};
    tfckpt::write_options o = one;
    o.data_alignment = 64;
    ok &= write_plain(c, o);
    // The bundle TensorFlow is about to read is one our views map without copying.
    auto r = tfckpt::bundle_reader::open(c.prefix);
    ok &= report(r ? tfckpt::result<void>{} : r.error(), c.name + " reopen");
    if (r) {
      for (const char* k : {"a", "f"}) {
        auto v = r->view<float>(k);
        auto t = r->read(k);
        ok &= report(v ? tfckpt::result<void>{} : v.error(), c.name + " view<float> " + k);
        ok &= v && t && std::memcmp(v->data(), t->bytes().data(), v->size_bytes()) == 0;
      }
      auto v = r->view<double>("e");
      auto t = r->read("e");
      ok &= report(v ? tfckpt::result<void>{} : v.error(), c.name + " view<double> e");
      ok &= v && t && std::memcmp(v->data(), t->bytes().data(), v->size_bytes()) == 0;
    }
    cases.push_back(std::move(c));
  }
  {  // 8. a partitioned tensor (TF must assemble the full value), plus a plain one
    case_t c{"partitioned", out + "/partitioned/ckpt", 1, false, {}};
    const shape_t full = {10, 4};
    const tensor whole = make(dtype::float32, full, 40);
    const tensor ids = make(dtype::int64, {7}, 41);
    c.tensors = {{"embedding", whole}, {"ids", ids}, {"plain", make(dtype::float64, {}, 42)}};
    auto w = tfckpt::bundle_writer::create(c.prefix, one);
    if (!w) return report(std::move(w).error(), c.name), 1;
    for (const char* spec : {"0,4:-", "4,3:-", "7,3:0,2", "7,3:2,2"}) {
      const auto s = *tfckpt::parse_tensor_slice(spec);
      ok &= report(w->add_slice("embedding", dtype::float32, full, s, tfckpt::extract_slice(s, full, 4, whole.byte_view())),
                   c.name + " embedding " + spec);
    }
    for (const char* spec : {"0,4", "4,3"}) {
      const auto s = *tfckpt::parse_tensor_slice(spec);
      ok &= report(w->add_slice("ids", dtype::int64, {7}, s, tfckpt::extract_slice(s, {7}, 8, ids.byte_view())),
                   c.name + " ids " + spec);
    }
    ok &= report(w->add("plain", c.tensors[2].value), c.name);
    ok &= report(w->finish(), c.name);
    cases.push_back(std::move(c));
  }
  {  // 9. three writers merged into one bundle (MergeV2Checkpoints); one partitioned tensor spans two
    case_t c{"merged", out + "/merged/ckpt", 3, false, {}};
    const shape_t full = {6, 2};
    const tensor part = make(dtype::float64, full, 50);
    std::vector<std::string> inputs;
    for (int i = 0; i < 3; ++i) {
      const std::string p = out + "/merged/tmp/part-" + std::to_string(i);
      inputs.push_back(p);
      auto w = tfckpt::bundle_writer::create(p, one);
      if (!w) return report(std::move(w).error(), c.name), 1;
      for (int j = 0; j < 3; ++j) {
        named n{"layer" + std::to_string(i) + "/v" + std::to_string(j), make(j == 2 ? dtype::int32 : dtype::float32, {j + 2}, 60u + static_cast<unsigned>(3 * i + j))};
        ok &= report(w->add(n.key, n.value), c.name);
        c.tensors.push_back(std::move(n));
      }
      if (i != 1) {
        const auto s = *tfckpt::parse_tensor_slice(i == 0 ? "0,3:-" : "3,3:-");
        ok &= report(w->add_slice("shared", dtype::float64, full, s, tfckpt::extract_slice(s, full, 8, part.byte_view())),
                     c.name);
      }
      ok &= report(w->finish(), c.name);
    }
    c.tensors.push_back({"shared", part});
    tfckpt::merge_options mo;
    mo.sync = false;
    ok &= report(tfckpt::merge_bundles(inputs, c.prefix, mo), c.name);
    cases.push_back(std::move(c));
  }
  {  // 10. two shards filled by two threads (add_many), aligned, a large record among small ones
    case_t c{"parallel_two_shards", out + "/parallel_two_shards/ckpt", 2, false, {}};
    c.tensors = {{"big", make(dtype::float32, {9 << 18}, 70)}, {"f64", make(dtype::float64, {5, 3}, 71)},
                 {"i8", make(dtype::int8, {11}, 72)}, {"c64", make(dtype::complex64, {4}, 73)},
                 {"bf16", make(dtype::bfloat16, {2, 3}, 74)}};
    tfckpt::write_options o = one;
    o.num_shards = 2;
    o.threads = 2;
    o.data_alignment = 64;
    std::vector<tfckpt::bundle_writer::request> batch;
    for (const auto& t : c.tensors) {
      batch.push_back({t.key, t.value.dtype(), t.value.shape(), t.value.byte_view()});
    }
    auto w = tfckpt::bundle_writer::create(c.prefix, o);
    if (!w) return report(std::move(w).error(), c.name), 1;
    ok &= report(w->add_many(batch), c.name);
    ok &= report(w->finish(), c.name);
    cases.push_back(std::move(c));
  }

  nlohmann::json manifest;
  manifest["cases"] = nlohmann::json::array();
  for (const auto& c : cases) {
    nlohmann::json j;
    j["name"] = c.name;
    j["prefix"] = c.prefix;
    j["num_shards"] = c.num_shards;
    j["tf_identical"] = c.tf_identical;
    j["tensors"] = nlohmann::json::array();
    for (const auto& t : c.tensors) j["tensors"].push_back(describe(t));
    manifest["cases"].push_back(std::move(j));
  }
  ok &= report(tfckpt::detail::atomic_write_file(out + "/manifest.json", manifest.dump(1) + "\n"), "manifest");
  std::printf("write_cases: %zu cases in %s%s\n", cases.size(), out.c_str(), ok ? "" : " (with errors)");
  return ok ? 0 : 1;
}
