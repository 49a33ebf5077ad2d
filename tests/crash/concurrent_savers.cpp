// Concurrency driver for tests/crash/concurrent_test.sh: processes saving into ONE directory at
// once, and a reader opening what the state file names while they do.
//   concurrent_savers save DIR OWNER SECONDS   a checkpoint_manager (checkpoint_name OWNER,
//        max_to_keep 3) saves DIR/OWNER-N for SECONDS; every 4th step it also writes the prefix
//        DIR/shared, which every saver writes (same prefix, different contents). At the end it
//        checks that every checkpoint its manager still keeps verifies and holds its own values.
//        Before the first save it creates DIR/ready.OWNER and waits for DIR/go, so that no
//        manager recovers another's list from the state file (TF semantics would then make it
//        manage, and delete, the other's checkpoints).
//   concurrent_savers read DIR SECONDS         repeatedly: parse the state file, open the
//        checkpoint it names (bundle_reader::open(DIR)), verify every checksum, restore the struct
//        with assert_consumed and check its values belong to that checkpoint (owner and step from
//        the name; per owner, steps never go back).
//   concurrent_savers check PREFIX             PREFIX opens, verifies and is self-consistent.
// A checkpoint is self-consistent when its `owner` and `step` match its name (for DIR/shared:
// each other) and w[i] == value_at(owner, step, i) for all i: a torn or mixed checkpoint (one
// writer's .index over another's .data) fails a checksum or this check.
// The one failure a reader may see without anything being wrong: the checkpoint the state file
// named was deleted by max_to_keep before the reader opened it, because meanwhile the state file
// moved on (three saves later). That is counted as "superseded" and retried; a not_found while the
// state file still names the same checkpoint is a failure.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tfckpt/checkpoint.hpp"
#include "tfckpt/checkpoint_manager.hpp"

namespace concurrent_savers {

struct state {
  std::int64_t step = 0;
  std::string owner;
  std::vector<std::int32_t> w;
};

constexpr std::size_t kValues = 1 << 18;  // 1 MiB per checkpoint

std::int32_t value_at(const std::string& owner, std::int64_t step, std::size_t i) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : owner) h = (h ^ c) * 16777619u;
  return static_cast<std::int32_t>(h + static_cast<std::uint32_t>(step) * 7919u + static_cast<std::uint32_t>(i));
}

void fill(state& s) {
  s.w.resize(kValues);
  for (std::size_t i = 0; i < kValues; ++i) s.w[i] = value_at(s.owner, s.step, i);
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int fail(const std::string& what) {
  std::fprintf(stderr, "concurrent_savers: FAILED: %s\n", what.c_str());
  return 1;
}

// "DIR/OWNER-N" -> (OWNER, N); N = -1 if the name has no number.
std::pair<std::string, std::int64_t> split_name(const std::string& prefix) {
  const std::string base = tfckpt::detail::path_basename(prefix);
  const auto dash = base.rfind('-');
  if (dash == std::string::npos) return {base, -1};
  auto n = tfckpt::detail::parse_int64(base.substr(dash + 1));
  return {base.substr(0, dash), n ? *n : -1};
}

// Opens `path` (a prefix, or a directory: its state file), verifies it, restores a state with
// assert_consumed and checks its values. `name_owner`/`name_step`: what the name says ("" / -1
// for DIR/shared, where owner and step only need to agree with w); `from_name`: take them from
// the name of the checkpoint opened (a directory resolves through its state file).
tfckpt::result<state> load_checked(const std::string& path, std::string name_owner, std::int64_t name_step,
                                   bool from_name = false) {
  auto r = tfckpt::bundle_reader::open(path);
  if (!r) return std::move(r).error();
  if (from_name) std::tie(name_owner, name_step) = split_name(r->prefix());
  if (auto v = r->verify(); !v) return std::move(v).error();
  state s;
  auto st = tfckpt::detail::restore_from_reader(*r, s, nullptr);
  if (!st) return std::move(st).error();
  // save() outputs carry save_counter, write() outputs do not: both are fine here.
  if (auto ok = st->assert_existing_objects_matched(); !ok) return std::move(ok).error();
  const std::string where = " in " + r->prefix();
  if (!name_owner.empty() && s.owner != name_owner)
    return tfckpt::make_error(tfckpt::errc::corruption, "owner '" + s.owner + "'" + where);
  if (name_step >= 0 && s.step != name_step)
    return tfckpt::make_error(tfckpt::errc::corruption, "step " + std::to_string(s.step) + where);
  if (s.w.size() != kValues) return tfckpt::make_error(tfckpt::errc::corruption, "w has the wrong size" + where);
  for (std::size_t i = 0; i < kValues; ++i)
    if (s.w[i] != value_at(s.owner, s.step, i))
      return tfckpt::make_error(tfckpt::errc::corruption, "w[" + std::to_string(i) + "] does not belong to " +
                                                              s.owner + " step " + std::to_string(s.step) + where);
  return s;
}

int save(const std::string& dir, const std::string& owner, double seconds) {
  if (auto ok = tfckpt::detail::make_directories(dir); !ok) return fail(ok.error().to_string());
  tfckpt::checkpoint_manager mgr(dir, {.max_to_keep = 3, .checkpoint_name = owner});
  if (auto ok = mgr.status(); !ok) return fail(ok.error().to_string());
  if (auto ok = tfckpt::detail::atomic_write_file(tfckpt::detail::path_join(dir, "ready." + owner), ""); !ok)
    return fail(ok.error().to_string());
  while (!tfckpt::detail::file_exists(tfckpt::detail::path_join(dir, "go")))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  state s;
  s.owner = owner;
  const double end = now() + seconds;
  std::int64_t shared_writes = 0;
  while (now() < end) {
    ++s.step;
    fill(s);
    auto p = mgr.save(s, s.step);
    if (!p) return fail(owner + ": save: " + p.error().to_string());
    if (s.step % 4 == 0) {
      auto q = tfckpt::write(tfckpt::detail::path_join(dir, "shared"), s);
      if (!q) return fail(owner + ": write shared: " + q.error().to_string());
      ++shared_writes;
    }
  }
  // The other saver deletes only checkpoints its own manager made: all of ours are intact.
  for (const auto& c : mgr.checkpoints()) {
    const auto [o, n] = split_name(c);
    auto got = load_checked(c, owner, n);
    if (!got) return fail(owner + ": own checkpoint " + c + ": " + got.error().to_string());
  }
  std::printf("saver %s: %lld saves, %lld writes of the shared prefix, %zu kept checkpoints verified\n",
              owner.c_str(), static_cast<long long>(s.step), static_cast<long long>(shared_writes),
              mgr.checkpoints().size());
  return 0;
}

int read(const std::string& dir, double seconds) {
  const double end = now() + seconds;
  std::map<std::string, std::int64_t> last;  // per owner: the newest step seen
  long long reads = 0, superseded = 0, empty = 0;
  while (now() < end) {
    auto st = tfckpt::get_checkpoint_state(dir);
    if (!st) {
      if (st.error().code == tfckpt::errc::not_found) {  // before the first save
        ++empty;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      return fail("state file: " + st.error().to_string());
    }
    const std::string named = st->model_checkpoint_path;
    if (split_name(named).second < 0) return fail("the state file names '" + named + "'");
    // Through the state file again (it may have moved on since): the values must match the name
    // of whatever checkpoint the reader opened.
    auto got = load_checked(dir, "", -1, /*from_name=*/true);
    if (!got) {
      auto again = tfckpt::get_checkpoint_state(dir);
      if (got.error().code == tfckpt::errc::not_found && again && again->model_checkpoint_path != named) {
        ++superseded;
        continue;
      }
      return fail("reading " + named + ": " + got.error().to_string());
    }
    const std::string& owner = got->owner;
    if (got->step < last[owner])
      return fail(owner + " went back from step " + std::to_string(last[owner]) + " to " + std::to_string(got->step));
    last[owner] = got->step;
    ++reads;
  }
  std::printf("reader: %lld consistent checkpoints read and verified, %lld superseded while opening, "
              "%lld polls before the first state file; newest steps:",
              reads, superseded, empty);
  for (const auto& [o, n] : last) std::printf(" %s=%lld", o.c_str(), static_cast<long long>(n));
  std::printf("\n");
  if (reads == 0) return fail("the reader never saw a checkpoint");
  return 0;
}

int check(const std::string& prefix) {
  auto got = load_checked(prefix, "", -1);
  if (!got) return fail(prefix + ": " + got.error().to_string());
  std::printf("%s: consistent (%s step %lld)\n", prefix.c_str(), got->owner.c_str(), static_cast<long long>(got->step));
  return 0;
}

}  // namespace concurrent_savers

int main(int argc, char** argv) {
  using namespace concurrent_savers;
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 4 && a[0] == "save") return save(a[1], a[2], std::strtod(a[3].c_str(), nullptr));
  if (a.size() == 3 && a[0] == "read") return read(a[1], std::strtod(a[2].c_str(), nullptr));
  if (a.size() == 2 && a[0] == "check") return check(a[1]);
  std::fprintf(stderr, "usage: concurrent_savers save DIR OWNER SECONDS | read DIR SECONDS | check PREFIX\n");
  return 2;
}
