// Builds the fuzz seed corpora from real checkpoints (see make_seeds.sh):
//   seed_tool OUT_DIR CHECKPOINT_DIR...
// For every checkpoint (.index) under the given directories it writes small seeds for each
// target into OUT_DIR/<target>/, named by a hash of their contents; also a few synthesized
// bundles (strings, variants, partitioned tensors) written with bundle_writer.
#include <snappy.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "restore_types.hpp"
#include "tfckpt/bundle/reader.hpp"
#include "tfckpt/bundle/writer.hpp"
#include "tfckpt/checkpoint.hpp"

namespace fs = std::filesystem;
using namespace tfckpt;

namespace {
fs::path out_root;
constexpr std::size_t max_seed = 32 * 1024;

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void put_u32(std::string& s, std::uint32_t v) { detail::put_fixed32(s, v); }

void seed(const std::string& target, const std::string& bytes) {
  if (bytes.size() > max_seed) return;
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  char name[32];
  std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
  fs::create_directories(out_root / target);
  std::ofstream(out_root / target / name, std::ios::binary) << bytes;
}

void from_checkpoint(const std::string& prefix) {
  const std::string index = read_all(prefix + ".index");
  seed("fuzz_table", index);
  for (std::size_t off = 0; off < index.size(); off += 4096)
    seed("fuzz_snappy", [&] { std::string c; snappy::Compress(index.data() + off, std::min<std::size_t>(4096, index.size() - off), &c); return c; }());
  auto r = bundle_reader::open(prefix);
  if (!r) {
    std::fprintf(stderr, "skip %s: %s\n", prefix.c_str(), r.error().to_string().c_str());
    return;
  }
  seed("fuzz_bundle_entry", encode_bundle_header(r->header()));
  std::size_t total = index.size();
  std::vector<std::string> shards;
  for (std::int32_t s = 0; s < r->header().num_shards; ++s) {
    shards.push_back(read_all(r->data_path(s)));
    total += shards.back().size();
  }
  if (total + 4 * shards.size() <= max_seed) {
    std::string b;
    put_u32(b, static_cast<std::uint32_t>(index.size()));
    b += index;
    for (std::size_t s = 0; s < shards.size(); ++s) {
      if (s + 1 < shards.size()) put_u32(b, static_cast<std::uint32_t>(shards[s].size()));
      b += shards[s];
    }
    seed("fuzz_bundle", b);
    // Checkpoints with an object graph are what a struct restores from.
    if (r->has_object_graph()) seed("fuzz_restore", b);
  }
  std::set<std::string> entry_seeds;
  auto each = [&](const entry& e) {
    const std::string enc = encode_bundle_entry(e.info.to_bundle_entry());
    if (entry_seeds.size() < 10 && entry_seeds.insert(enc).second) seed("fuzz_bundle_entry", enc);
    if (e.info.dtype == dtype::string || e.info.dtype == dtype::variant) {
      const std::string& data = shards[static_cast<std::size_t>(e.info.shard_id)];
      if (static_cast<std::uint64_t>(e.info.offset + e.info.size) > data.size()) return;
      std::string s;
      detail::put_fixed64(s, static_cast<std::uint64_t>(num_elements(e.info.shape)));
      put_u32(s, e.info.crc32c);
      s += '\x01';
      s += data.substr(static_cast<std::size_t>(e.info.offset), static_cast<std::size_t>(e.info.size));
      seed("fuzz_string_record", s);
      if (e.info.dtype == dtype::variant) seed("fuzz_string_record", s);
    }
    if (is_fixed_size(e.info.dtype) && e.info.size > 0) {
      const std::string& data = shards[static_cast<std::size_t>(e.info.shard_id)];
      if (static_cast<std::uint64_t>(e.info.offset + e.info.size) <= data.size() && e.info.size <= 8192) {
        static int budget = 120;  // thousands of entries would bloat the corpus
        std::string c;
        snappy::Compress(data.data() + e.info.offset, static_cast<std::size_t>(e.info.size), &c);
        if (budget-- > 0) seed("fuzz_snappy", c);
      }
    }
  };
  for (const entry& e : r->entries()) each(e);
  for (const entry& e : r->slice_parts()) each(e);
  if (r->has_object_graph()) {
    if (auto t = r->read(object_graph_key); t && t->strings().size() == 1) seed("fuzz_object_graph", t->strings()[0]);
  }
}

// Small bundles exercising every record kind, written by our own writer.
void synthesized(const fs::path& tmp) {
  fs::create_directories(tmp);
  const std::string prefix = (tmp / "synth").string();
  write_options wo;
  wo.num_shards = 2;
  wo.sync = false;
  auto w = bundle_writer::create(prefix, wo);
  if (!w) return;
  const std::vector<float> f = {1, 2, 3, 4, 5, 6};
  const std::vector<std::string> strs = {"", "a", "hello", std::string(3, '\0')};
  (void)w->add<float>("f", {2, 3}, f);
  (void)w->add_strings("s", {2, 2}, strs);
  (void)w->add_variant("v", {2}, std::vector<std::string>{"x", "yz"});
  tensor_slice top{{{0, 1}, {}}}, bottom{{{1, 1}, {}}};
  (void)w->add_slice("p", dtype::float32, {2, 3}, top, std::string_view(reinterpret_cast<const char*>(f.data()), 12));
  (void)w->add_slice("p", dtype::float32, {2, 3}, bottom, std::string_view(reinterpret_cast<const char*>(f.data() + 3), 12));
  trackable_object_graph g;
  g.nodes.resize(3);
  g.nodes[0].children = {{1, "w"}, {2, "opt"}};
  g.nodes[1].attributes = {{"VARIABLE_VALUE", "w", "w/.ATTRIBUTES/VARIABLE_VALUE", false}};
  g.nodes[2].slot_variables = {{1, "m", 1}};
  (void)w->add_strings(std::string(object_graph_key), {}, std::vector<std::string>{encode_object_graph(g)});
  if (!w->finish()) return;
  from_checkpoint(prefix);
  // fuzz_restore: our writer's checkpoints of the structs it restores (restore_types.hpp), with
  // and without save_counter, one of them in two shards.
  using namespace tfckpt_fuzz_restore;
  write_options one;
  one.sync = false;
  write_options two = one;
  two.num_shards = 2;
  rich_state rich = sample_rich_state();
  legacy_state legacy;
  legacy.optimizer.iter = 3;
  legacy.optimizer.slots.set("model/layer_with_weights-0/bias", "m",
                             tensor::from_values<float>({8}, std::vector<float>(8, 0.125f)).value());
  adam_state adam;
  adam.optimizer.momentums = {tensor::from_values<float>({4, 8}, std::vector<float>(32, 1.0f)).value()};
  adam.optimizer.velocities = adam.optimizer.momentums;
  checkpoint ck(rich);
  std::vector<std::string> written;
  if (auto p = ck.save((tmp / "rich").string(), one)) written.push_back(*p);
  if (auto p = tfckpt::write((tmp / "rich2").string(), rich, two)) written.push_back(*p);
  if (auto p = tfckpt::write((tmp / "legacy").string(), legacy, one)) written.push_back(*p);
  if (auto p = tfckpt::write((tmp / "adam").string(), adam, one)) written.push_back(*p);
  for (const auto& w : written) from_checkpoint(w);
  fs::remove_all(tmp);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: seed_tool OUT_DIR CHECKPOINT_DIR...\n");
    return 2;
  }
  out_root = argv[1];
  for (int i = 2; i < argc; ++i) {
    for (const auto& de : fs::recursive_directory_iterator(argv[i])) {
      const fs::path& p = de.path();
      if (p.filename() == "checkpoint") seed("fuzz_state_file", read_all(p));
      if (p.extension() == ".index") {
        std::string s = p.string();
        from_checkpoint(s.substr(0, s.size() - 6));
      }
    }
  }
  synthesized(out_root / ".synth_tmp");
  // Hand-made state files: escapes, lists, timestamps.
  seed("fuzz_state_file",
       "model_checkpoint_path: \"ckpt-2\"\nall_model_checkpoint_paths: [\"ckpt-1\", 'ckpt-2']\n"
       "all_model_checkpoint_timestamps: 1.5e9\nall_model_checkpoint_timestamps: 1700000000.25\n"
       "last_preserved_timestamp: -inf\n# comment\n");
  seed("fuzz_state_file", "model_checkpoint_path: \"a\\303\\251\\x41\\u00e9\\n\"\n");
  return 0;
}
