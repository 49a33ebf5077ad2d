// Crash-safety driver for tests/crash/kill_test.sh.
//   saver_loop DIR           save DIR/ckpt-N forever (N continues after the state file's latest)
//   saver_loop --verify DIR  check that the checkpoint the state file names opens, verifies and
//                            holds the values of its N; prints "ok N" (or "empty" before the
//                            first state file) and exits 0, else prints the error and exits 1.
// Each checkpoint: "step" (int64 scalar N) and "w" (int32[1M], w[i] = N * 7919 + i, 4 MB), written
// with bundle_writer (temp files, fsync, rename), then the state file is replaced atomically
// (update_checkpoint_state), then checkpoints older than the last 3 are deleted: the order a
// CheckpointManager with max_to_keep=3 must follow so a kill at any moment leaves the state file
// naming a complete checkpoint.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tfckpt/bundle/reader.hpp"
#include "tfckpt/bundle/writer.hpp"
#include "tfckpt/format/state_file.hpp"

using namespace tfckpt;

namespace {
constexpr std::size_t kValues = 1 << 20;
constexpr int kKeep = 3;

std::int32_t value_at(std::int64_t n, std::size_t i) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(n * 7919 + static_cast<std::int64_t>(i)));
}

// "ckpt-N" (or ".../ckpt-N") -> N, or -1.
std::int64_t number_of(const std::string& path) {
  const std::string base = detail::path_basename(path);
  if (base.rfind("ckpt-", 0) != 0) return -1;
  auto n = detail::parse_int64(base.substr(5));
  return n ? *n : -1;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "saver_loop: %s\n", what.c_str());
  return 1;
}

int verify(const std::string& dir) {
  if (!detail::file_exists(detail::path_join(dir, "checkpoint"))) {
    std::printf("empty\n");
    return 0;
  }
  auto st = get_checkpoint_state(dir);
  if (!st) return fail(st.error().to_string());
  const std::int64_t n = number_of(st->model_checkpoint_path);
  if (n < 0) return fail("unexpected checkpoint name " + st->model_checkpoint_path);
  auto r = bundle_reader::open(dir);
  if (!r) return fail(r.error().to_string());
  if (r->prefix() != st->model_checkpoint_path) return fail("opened " + r->prefix());
  auto sum = r->verify();
  if (!sum) return fail(sum.error().to_string());
  auto step = r->read("step");
  if (!step) return fail(step.error().to_string());
  auto step_values = step->values<std::int64_t>();
  if (!step_values || step_values->size() != 1 || (*step_values)[0] != n)
    return fail("step does not match " + std::to_string(n));
  std::vector<std::int32_t> w(kValues);
  if (auto ok = r->read_into<std::int32_t>("w", w); !ok) return fail(ok.error().to_string());
  for (std::size_t i = 0; i < kValues; ++i)
    if (w[i] != value_at(n, i)) return fail("w[" + std::to_string(i) + "] does not match N=" + std::to_string(n));
  // Every checkpoint the state file still lists must exist (deletion never runs ahead of it).
  for (const auto& p : st->all_model_checkpoint_paths)
    if (!detail::file_exists(p + ".index")) return fail("listed checkpoint " + p + " is missing");
  std::printf("ok %lld\n", static_cast<long long>(n));
  return 0;
}

int save_forever(const std::string& dir) {
  if (auto ok = detail::make_directories(dir); !ok) return fail(ok.error().to_string());
  // Temporaries of a killed predecessor are garbage (the only writer in DIR is us).
  if (auto names = detail::list_directory(dir))
    for (const auto& name : *names)
      if (name.find(".tmp") != std::string::npos) (void)detail::remove_file(detail::path_join(dir, name));
  std::int64_t n = 0;
  std::vector<std::string> kept;  // relative names, oldest first
  if (detail::file_exists(detail::path_join(dir, "checkpoint"))) {
    auto st = get_checkpoint_state(dir);
    if (!st) return fail(st.error().to_string());
    n = number_of(st->model_checkpoint_path);
    for (const auto& p : st->all_model_checkpoint_paths) kept.push_back(detail::path_basename(p));
  }
  // Checkpoints the state file no longer lists (a kill between the state update and the
  // deletion) are deleted now, again only after the state file stopped naming them.
  if (auto names = detail::list_directory(dir))
    for (const auto& file : *names) {
      const std::string prefix = file.substr(0, file.find('.'));
      if (number_of(prefix) >= 0 && number_of(prefix) < n &&
          std::find(kept.begin(), kept.end(), prefix) == kept.end())
        (void)detail::remove_file(detail::path_join(dir, file));
    }
  std::vector<std::int32_t> w(kValues);
  for (;;) {
    ++n;
    const std::string name = "ckpt-" + std::to_string(n);
    for (std::size_t i = 0; i < kValues; ++i) w[i] = value_at(n, i);
    auto wr = bundle_writer::create(detail::path_join(dir, name));
    if (!wr) return fail(wr.error().to_string());
    const std::vector<std::int64_t> step = {n};
    if (auto ok = wr->add<std::int64_t>("step", {}, step); !ok) return fail(ok.error().to_string());
    if (auto ok = wr->add<std::int32_t>("w", {static_cast<std::int64_t>(kValues)}, w); !ok)
      return fail(ok.error().to_string());
    if (auto ok = wr->finish(); !ok) return fail(ok.error().to_string());
    kept.push_back(name);
    std::vector<std::string> drop;
    while (kept.size() > kKeep) {
      drop.push_back(kept.front());
      kept.erase(kept.begin());
    }
    // Paths as TF's update_checkpoint_state takes them: as the caller names them (under DIR),
    // rewritten relative to DIR in the file (a bare name under a relative DIR would be taken as
    // relative to the working directory, as TF does).
    checkpoint_state st;
    st.model_checkpoint_path = detail::path_join(dir, name);
    for (const auto& k : kept) st.all_model_checkpoint_paths.push_back(detail::path_join(dir, k));
    if (auto ok = update_checkpoint_state(dir, st); !ok) return fail(ok.error().to_string());
    // Only after the state file no longer lists them.
    for (const auto& d : drop) {
      (void)detail::remove_file(detail::path_join(dir, d + ".index"));
      (void)detail::remove_file(detail::path_join(dir, data_filename(d, 0, 1)));
    }
  }
}
}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--verify") return verify(argv[2]);
  if (argc == 2) return save_forever(argv[1]);
  std::fprintf(stderr, "usage: saver_loop DIR | saver_loop --verify DIR\n");
  return 2;
}
