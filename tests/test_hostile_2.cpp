// Hostile files II (issue #18): small crafted inputs that used to cost minutes, gigabytes, an
// abort or a hang. Each case generates its input here (nothing large in the repository), runs
// the operation in a child process with a generous wall-clock timeout (a hang fails the test
// instead of stalling the suite) and checks the error named and the child's peak RSS growth
// (VmHWM - VmRSS at start, read from /proc/self/status). The bounds are regression guards, not
// benchmarks: 30 s and a few hundred MB where the broken code needed minutes or gigabytes.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "bundle_craft.hpp"
#include "bundle_test_util.hpp"
#include "tfckpt/bundle/reader.hpp"
#include "tfckpt/bundle/writer.hpp"
#include "tfckpt/checkpoint_manager.hpp"
#include "tfckpt/format/slice.hpp"
#include "tfckpt/format/state_file.hpp"
#include "../tools/convert_export.hpp"
#include "../tools/convert_import.hpp"
#include "../tools/npz_format.hpp"

using namespace tfckpt;
using craft::make_entry;
using craft::make_index;

namespace hostile2 {

// What the child reports.
struct outcome {
  bool finished = false;  // false: killed at the timeout (or crashed)
  bool ok = false;
  errc code = errc::ok;
  std::string message;  // error::to_string()
  double seconds = 0;
  long peak_kb = 0;  // peak RSS growth during the operation
};

inline long status_kb(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::size_t n = std::strlen(field);
  while (std::getline(f, line))
    if (line.compare(0, n, field) == 0) return std::atol(line.c_str() + n + 1);
  return -1;
}

// Runs fn() (returning a result<T>) in a forked child; kills it after timeout_s seconds.
template <class F>
outcome bounded(F&& fn, int timeout_s = 30) {
  int fds[2];
  outcome out;
  if (::pipe(fds) != 0) return out;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    {  // reset the peak so VmHWM measures this operation (best effort)
      std::ofstream c("/proc/self/clear_refs");
      c << "5";
    }
    const long start_kb = status_kb("VmRSS:");
    const auto t0 = std::chrono::steady_clock::now();
    auto r = fn();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long peak = status_kb("VmHWM:") - start_kb;
    std::string msg = r ? std::string() : r.error().to_string();
    std::string rec = std::to_string(r ? 1 : 0) + " " + std::to_string(r ? 0 : static_cast<int>(r.error().code)) + " " +
                      std::to_string(secs) + " " + std::to_string(peak) + "\n" + msg;
    for (std::size_t done = 0; done < rec.size();) {
      const ssize_t w = ::write(fds[1], rec.data() + done, rec.size() - done);
      if (w <= 0) break;
      done += static_cast<std::size_t>(w);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string rec;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    rec.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int st = 0;
  if (::waitpid(pid, &st, WNOHANG) == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &st, 0);
  }
  const std::size_t nl = rec.find('\n');
  if (nl == std::string::npos || !WIFEXITED(st)) return out;
  int ok = 0, code = 0;
  if (std::sscanf(rec.c_str(), "%d %d %lf %ld", &ok, &code, &out.seconds, &out.peak_kb) != 4) return out;
  out.finished = true;
  out.ok = ok != 0;
  out.code = static_cast<errc>(code);
  out.message = rec.substr(nl + 1);
  return out;
}

inline void report(const char* what, const outcome& o) {
  MESSAGE(std::string(what) << ": " << (o.finished ? (o.ok ? "ok" : o.message.substr(0, 400)) : std::string("TIMED OUT / CRASHED")) << " ("
               << o.seconds << " s, peak RSS +" << o.peak_kb / 1024 << " MB)");
}

constexpr long mb = 1024;  // in kB

// A file of `size` bytes, sparse (nothing written): reads return zeros.
inline bool sparse_file(const std::string& path, std::uint64_t size) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  const bool ok = ::ftruncate(fd, static_cast<off_t>(size)) == 0;
  ::close(fd);
  return ok;
}

// The masked CRC32C of `n` zero bytes.
inline std::uint32_t zeros_crc(std::uint64_t n) {
  std::string z(std::size_t{1} << 20, '\0');
  std::uint32_t crc = 0;
  for (std::uint64_t done = 0; done < n;) {
    const auto k = static_cast<std::size_t>(std::min<std::uint64_t>(z.size(), n - done));
    crc = detail::crc32c_extend(crc, z.data(), k);
    done += k;
  }
  return detail::crc32c_mask(crc);
}

inline tensor_slice parse_slice(std::string_view s) { return *parse_tensor_slice(s); }

template <class T>
std::string msg(const result<T>& r) {
  return r ? std::string() : r.error().to_string();
}

template <class T>
result<void> as_void(result<T> r) {
  if (!r) return std::move(r).error();
  return {};
}

}  // namespace hostile2

using hostile2::bounded;
using hostile2::mb;
using hostile2::report;

// ---- class 2: limits from physical memory, one copy per read, streamed verify ---------------
TEST_CASE("hostile 2 / class 2: default read limits stay under the machine's physical memory") {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  REQUIRE(pages > 0);
  const std::uint64_t phys = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page);
  const read_options o;
  CHECK(o.max_tensor_bytes <= phys / 2);
  CHECK(o.max_total_bytes <= phys / 2);
  CHECK(o.max_tensor_bytes >= std::min<std::uint64_t>(phys / 2, std::uint64_t{1} << 30));
}

TEST_CASE("hostile 2 / class 2: a record larger than memory on a sparse data file is limit_exceeded, not an abort") {
  tfckpt_test::temp_dir dir;
  REQUIRE(!dir.path().empty());
  // Four times the default limit (so twice the physical memory), rounded to whole floats.
  const std::uint64_t bytes = (detail::default_read_limit() * 4) / 4 * 4;
  const auto n = static_cast<std::int64_t>(bytes / 4);
  REQUIRE(tfckpt_test::write_all(dir / "big.index", make_index({{"w", make_entry(dtype::float32, {n}, 0, static_cast<std::int64_t>(bytes))}})));
  REQUIRE(hostile2::sparse_file(dir / "big.data-00000-of-00001", bytes));
  for (const bool verify : {false, true}) {
    auto o = bounded([&]() -> result<void> {
      auto r = bundle_reader::open(dir / "big");
      if (!r) return std::move(r).error();
      if (verify) return hostile2::as_void(r->verify());
      auto t = r->read("w");
      if (!t) return std::move(t).error();
      return {};
    });
    report(verify ? "verify of a record 2x physical memory" : "read of a record 2x physical memory", o);
    REQUIRE(o.finished);
    CHECK_FALSE(o.ok);
    CHECK(o.code == errc::limit_exceeded);
    CHECK(o.message.find("'w'") != std::string::npos);
    CHECK(o.peak_kb < 300 * mb);
  }
}

TEST_CASE("hostile 2 / class 2: read holds one copy of a record, verify streams it") {
  tfckpt_test::temp_dir dir;
  REQUIRE(!dir.path().empty());
  const std::uint64_t bytes = std::uint64_t{192} << 20;
  const auto n = static_cast<std::int64_t>(bytes / 4);
  REQUIRE(tfckpt_test::write_all(dir / "m.index", make_index({{"w", make_entry(dtype::float32, {n}, 0, static_cast<std::int64_t>(bytes), 0,
                                                                   hostile2::zeros_crc(bytes))}})));
  REQUIRE(hostile2::sparse_file(dir / "m.data-00000-of-00001", bytes));
  auto rd = bounded([&]() -> result<void> {
    auto r = bundle_reader::open(dir / "m");
    if (!r) return std::move(r).error();
    auto t = r->read("w");
    if (!t) return std::move(t).error();
    if (t->bytes().size() != bytes) return make_error(errc::corruption, "wrong size");
    return {};
  });
  report("read of a 192 MiB tensor", rd);
  REQUIRE(rd.finished);
  CHECK_MESSAGE(rd.ok, rd.message);
  CHECK(rd.peak_kb < 300 * mb);  // one copy (192 MiB), not two (384 MiB)
  auto vf = bounded([&]() -> result<void> {
    auto r = bundle_reader::open(dir / "m");
    if (!r) return std::move(r).error();
    auto s = r->verify();
    if (!s) return std::move(s).error();
    if (s->tensors != 1 || s->bytes != bytes) return make_error(errc::corruption, "wrong summary");
    return {};
  });
  report("verify of a 192 MiB tensor", vf);
  REQUIRE(vf.finished);
  CHECK_MESSAGE(vf.ok, vf.message);
  CHECK(vf.peak_kb < 64 * mb);  // streamed through a small buffer
}

// ---- class 3: index entries naming one block again and again --------------------------------
TEST_CASE("hostile 2 / class 3: 100k index entries naming one 4 MiB block are refused at once") {
  using namespace tfckpt::detail;
  // One data block with no entries, its bytes all restart points (4 MiB), then an index naming
  // it 100,000 times: walking it used to read and checksum the block per index entry.
  std::string file;
  std::string data_block;
  const std::uint32_t restarts = (std::uint32_t{4} << 20) / 4;
  for (std::uint32_t i = 0; i < restarts; ++i) put_fixed32(data_block, 0);
  put_fixed32(data_block, restarts);
  craft::append_block(file, data_block);
  const block_handle data{0, data_block.size()};
  block_builder meta;
  const std::string mbytes(meta.finish());
  const block_handle meta_h{file.size(), mbytes.size()};
  craft::append_block(file, mbytes);
  block_builder index(16);
  std::string handle;
  put_block_handle(handle, data);
  char key[16];
  for (int i = 0; i < 100000; ++i) {
    std::snprintf(key, sizeof key, "k%07d", i);
    index.add(key, handle);
  }
  const std::string ib(index.finish());
  const block_handle index_h{file.size(), ib.size()};
  craft::append_block(file, ib);
  const std::size_t footer = file.size();
  put_block_handle(file, meta_h);
  put_block_handle(file, index_h);
  file.resize(footer + table_footer_handles, '\0');
  put_fixed64(file, table_magic);

  auto o = bounded([&]() -> result<void> {
    auto r = bundle_reader::open_memory(file, {std::string_view()});
    if (!r) return std::move(r).error();
    return {};
  });
  report("open of 100k index entries naming one block", o);
  REQUIRE(o.finished);
  CHECK_FALSE(o.ok);
  CHECK(o.code == errc::corruption);
  CHECK(o.message.find("overlap or repeat") != std::string::npos);
  CHECK(o.seconds < 30);
  CHECK(o.peak_kb < 200 * mb);
  // The same through the table reader directly (what `ls` walks).
  auto t = table_reader::open(file);
  REQUIRE_FALSE(t);
  CHECK(t.error().message.find("overlap or repeat") != std::string::npos);
}

TEST_CASE("hostile 2 / class 3: tables written by table_builder still open (blocks in file order)") {
  std::vector<std::pair<std::string, bundle_entry>> entries;
  for (int i = 0; i < 2000; ++i) entries.push_back({"key/" + std::to_string(i), make_entry(dtype::float32, {1}, 0, 4)});
  detail::table_options small;
  small.block_size = 1024;
  const auto index = make_index(entries, {}, small);
  auto t = detail::table_reader::open(index);
  REQUIRE(t);
  CHECK(t->num_data_blocks() > 1);
  CHECK(t->verify_all_blocks());
}

// ---- class 9: FIFOs, and probes reading whole files ----------------------------------------
TEST_CASE("hostile 2 / class 9: a FIFO as .index, as the state file or in a scanned directory is an error, not a hang") {
  tfckpt_test::temp_dir dir;
  REQUIRE(!dir.path().empty());
  REQUIRE(::mkfifo((dir / "f.index").c_str(), 0644) == 0);
  auto a = bounded([&]() -> result<void> { return hostile2::as_void(bundle_reader::open(dir / "f")); });
  report("FIFO as .index", a);
  REQUIRE(a.finished);
  CHECK_FALSE(a.ok);
  CHECK(a.message.find("not a regular file") != std::string::npos);

  tfckpt_test::temp_dir d2;
  REQUIRE(::mkfifo((d2 / "checkpoint").c_str(), 0644) == 0);
  auto b = bounded([&]() -> result<void> { return hostile2::as_void(latest_checkpoint(d2.path())); });
  report("FIFO as the checkpoint state file", b);
  REQUIRE(b.finished);
  CHECK_FALSE(b.ok);
  CHECK(b.message.find("not a regular file") != std::string::npos);
  auto b2 = bounded([&]() -> result<void> { return hostile2::as_void(bundle_reader::open(d2.path())); });
  REQUIRE(b2.finished);
  CHECK_FALSE(b2.ok);

  // No .index: the legacy-V1 probe scans the directory for "x-*" files and must skip FIFOs.
  tfckpt_test::temp_dir d3;
  REQUIRE(::mkfifo((d3 / "x-1").c_str(), 0644) == 0);
  REQUIRE(::mkfifo((d3 / "x").c_str(), 0644) == 0);
  auto c = bounded([&]() -> result<void> { return hostile2::as_void(bundle_reader::open(d3 / "x")); });
  report("FIFOs in a scanned directory", c);
  REQUIRE(c.finished);
  CHECK_FALSE(c.ok);
  CHECK(c.code == errc::not_found);
  auto c2 = bounded([&]() -> result<void> { return hostile2::as_void(bundle_reader::open(d3.path())); });
  REQUIRE(c2.finished);
  CHECK_FALSE(c2.ok);

  // A FIFO as an output path fails instead of waiting for a reader.
  auto w = bounded([&]() -> result<void> { return hostile2::as_void(detail::writable_file::create(d3 / "x")); });
  REQUIRE(w.finished);
  CHECK_FALSE(w.ok);
}

TEST_CASE("hostile 2 / class 9: the legacy-V1 probe reads 8 bytes, not whole files") {
  tfckpt_test::temp_dir dir;
  REQUIRE(!dir.path().empty());
  // Two 1 GiB sparse files next to a missing checkpoint: each used to be read whole.
  REQUIRE(hostile2::sparse_file(dir / "c-1", std::uint64_t{1} << 30));
  REQUIRE(hostile2::sparse_file(dir / "c-2", std::uint64_t{1} << 30));
  auto o = bounded([&]() -> result<void> { return hostile2::as_void(bundle_reader::open(dir / "c")); });
  report("V1 probe over two 1 GiB files", o);
  REQUIRE(o.finished);
  CHECK_FALSE(o.ok);
  CHECK(o.code == errc::not_found);
  CHECK(o.peak_kb < 100 * mb);
}

// ---- class 10: NUL and control characters in paths ------------------------------------------
TEST_CASE("hostile 2 / class 10: a NUL inside a state-file path is refused") {
  tfckpt_test::temp_dir dir;
  REQUIRE(!dir.path().empty());
  REQUIRE(tfckpt_test::write_all(dir / "ckpt.index", make_index({})));
  REQUIRE(tfckpt_test::write_all(dir / "checkpoint", "model_checkpoint_path: \"ckpt\\000/etc/passwd\"\n"));
  auto st = get_checkpoint_state(dir.path());
  REQUIRE_FALSE(st);
  CHECK(st.error().code == errc::corruption);
  CHECK(st.error().message.find("NUL") != std::string::npos);
  CHECK(st.error().to_string().find('\0') == std::string::npos);
  REQUIRE(tfckpt_test::write_all(dir / "checkpoint",
                     "model_checkpoint_path: \"ckpt\"\nall_model_checkpoint_paths: \"a\\000b\"\n"));
  CHECK_FALSE(get_checkpoint_state(dir.path()));
  auto r = bundle_reader::open(dir.path());
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("NUL") != std::string::npos);
  // The reader refuses a path holding a NUL too (open() would stop at it).
  auto f = detail::readable_file::open(std::string(dir / "ckpt.index") + std::string(1, '\0') + "x");
  REQUIRE_FALSE(f);
  CHECK(f.error().code == errc::invalid_argument);
}

TEST_CASE("hostile 2 / class 10: control characters from paths reach messages escaped") {
  tfckpt_test::temp_dir dir;
  REQUIRE(!dir.path().empty());
  REQUIRE(tfckpt_test::write_all(dir / "checkpoint", "model_checkpoint_path: \"evil\\033[2J\\nforged line\"\n"));
  auto r = bundle_reader::open(dir.path());
  REQUIRE_FALSE(r);
  const std::string s = r.error().to_string();
  CHECK(s.find('\033') == std::string::npos);
  CHECK(s.find('\n') == std::string::npos);
  CHECK(s.find("\\x1b") != std::string::npos);
  auto o = bundle_reader::open(dir / "no\033such\rfile");
  REQUIRE_FALSE(o);
  CHECK(o.error().to_string().find('\033') == std::string::npos);
  CHECK(o.error().to_string().find('\r') == std::string::npos);
  // UTF-8 names stay readable.
  auto u = bundle_reader::open(dir / "caf\xc3\xa9");
  REQUIRE_FALSE(u);
  CHECK(u.error().to_string().find("caf\xc3\xa9") != std::string::npos);
}

// ---- class 11: deletions outside the manager's directory, npz member names ------------------
namespace hostile2 {
struct state {
  std::int64_t step = 0;
  std::array<float, 2> w{};
};
}  // namespace hostile2

TEST_CASE("hostile 2 / class 11: the checkpoint manager never deletes outside its directory") {
  tfckpt_test::temp_dir root;
  REQUIRE(!root.path().empty());
  const std::string dir = root / "run";
  REQUIRE(detail::make_directories(dir));
  REQUIRE(detail::make_directories(root / "elsewhere"));
  REQUIRE(tfckpt_test::write_all(root / "victim.index", "precious"));
  REQUIRE(tfckpt_test::write_all(root / "victim.data-00000-of-00001", "precious"));
  REQUIRE(tfckpt_test::write_all(root / "elsewhere/abs.index", "precious"));
  // A state file listing ../victim and an absolute path, both with timestamps (so managed).
  REQUIRE(tfckpt_test::write_all(dir + "/checkpoint", "model_checkpoint_path: \"../victim\"\n"
                                          "all_model_checkpoint_paths: \"../victim\"\n"
                                          "all_model_checkpoint_paths: \"" + root / "elsewhere/abs" + "\"\n"
                                          "all_model_checkpoint_paths: \"../victim\"\n"
                                          "all_model_checkpoint_timestamps: 2.0\n"
                                          "all_model_checkpoint_timestamps: 3.0\n"
                                          "all_model_checkpoint_timestamps: 4.0\n"
                                          "last_preserved_timestamp: 1.0\n"));
  checkpoint_manager mgr(dir, {.max_to_keep = 1});
  REQUIRE(mgr.status());
  hostile2::state s;
  for (int i = 0; i < 3; ++i) {
    s.step = i;
    auto p = mgr.save(s);
    REQUIRE_MESSAGE(p, hostile2::msg(p));
  }
  CHECK(detail::file_exists(root / "victim.index"));
  CHECK(detail::file_exists(root / "victim.data-00000-of-00001"));
  CHECK(detail::file_exists(root / "elsewhere/abs.index"));
  CHECK_FALSE(detail::file_exists(dir + "/ckpt-1.index"));  // its own old checkpoints still go
  CHECK(detail::file_exists(dir + "/ckpt-3.index"));
}

TEST_CASE("hostile 2 / class 11: npz member names cannot escape the extraction directory") {
  using tfckpt_convert::safe_member_name;
  CHECK(safe_member_name("layer/kernel") == "layer/kernel");
  CHECK(safe_member_name("/etc/passwd") == "etc/passwd");
  CHECK(safe_member_name("../../x") == "_../_../x");
  CHECK(safe_member_name("a/./b//c") == "a/_./b/c");
  CHECK(safe_member_name("a\\..\\b") == "a_.._b");
  CHECK(safe_member_name("") == "_");
  CHECK(safe_member_name("/") == "_");
  for (const char* n : {"../x", "/abs", "a/../../b", "..", "."}) {
    const std::string s = safe_member_name(n);
    CAPTURE(s);
    CHECK(s[0] != '/');
    for (std::size_t i = 0; i <= s.size();) {  // no component is "." or ".."
      const std::size_t j = std::min(s.find('/', i), s.size());
      const std::string c = s.substr(i, j - i);
      CHECK(c != "..");
      CHECK(c != ".");
      CHECK(!c.empty());
      i = j + 1;
    }
  }
}

// ---- class 8: partitioned tensors: missing parts and overlapping slices ---------------------
TEST_CASE("hostile 2 / class 8: verify refuses a partitioned tensor with missing parts or overlapping slices") {
  const shape_t shape{10, 4};
  const auto s0 = hostile2::parse_slice("0,5:-"), s1 = hostile2::parse_slice("5,5:-"), s2 = hostile2::parse_slice("3,7:-");
  auto full = [&](std::vector<tensor_slice> slices) {
    auto e = make_entry(dtype::float32, shape, 0, 0);
    e.slices = std::move(slices);
    return e;
  };
  const std::string part_bytes(5 * 4 * 4, '\0');
  const std::uint32_t crc = detail::crc32c_mask(detail::crc32c(part_bytes.data(), part_bytes.size()));
  {  // no parts at all: "all checksums OK" before
    const auto index = make_index({{"t", full({s0, s1})}});
    auto r = bundle_reader::open_memory(index, {std::string_view()});
    REQUIRE(r);
    auto v = r->verify();
    REQUIRE_FALSE(v);
    CHECK(v.error().code == errc::corruption);
    CHECK(v.error().message.find("missing slice") != std::string::npos);
    CHECK(v.error().key == "t");
  }
  {  // both parts present: verifies
    const std::string data = part_bytes + part_bytes;
    const auto index = make_index({{"t", full({s0, s1})},
                                   {encode_tensor_name_slice("t", s0), make_entry(dtype::float32, {5, 4}, 0, 80, 0, crc)},
                                   {encode_tensor_name_slice("t", s1), make_entry(dtype::float32, {5, 4}, 80, 80, 0, crc)}});
    auto r = bundle_reader::open_memory(index, {data});
    REQUIRE(r);
    auto v = r->verify();
    CHECK_MESSAGE(v, hostile2::msg(v));
    auto t = r->read("t");
    CHECK(t);
  }
  {  // overlapping slices (TF: "Overlapping slices"), even with every part present
    const std::string p2(7 * 4 * 4, '\0');
    const std::uint32_t crc2 = detail::crc32c_mask(detail::crc32c(p2.data(), p2.size()));
    const std::string data = part_bytes + p2;
    const auto index = make_index({{"t", full({s0, s2})},
                                   {encode_tensor_name_slice("t", s0), make_entry(dtype::float32, {5, 4}, 0, 80, 0, crc)},
                                   {encode_tensor_name_slice("t", s2), make_entry(dtype::float32, {7, 4}, 80, 112, 0, crc2)}});
    auto r = bundle_reader::open_memory(index, {data});
    REQUIRE(r);
    auto v = r->verify();
    REQUIRE_FALSE(v);
    CHECK(v.error().message.find("Overlapping slices: existing slice = 0,5:-, new slice = 3,7:-") != std::string::npos);
    auto t = r->read("t");
    REQUIRE_FALSE(t);
    CHECK(t.error().message.find("Overlapping slices") != std::string::npos);
  }
}

TEST_CASE("hostile 2 / class 8: check_slice_partition agrees with TF's rules") {
  using hostile2::parse_slice;
  const shape_t shape{10, 20};
  CHECK(check_slice_partition({parse_slice("0,5:-"), parse_slice("5,5:-")}, shape));
  CHECK(check_slice_partition({parse_slice("-:0,10"), parse_slice("-:10,10")}, shape));
  CHECK(check_slice_partition({parse_slice("0,5:0,10"), parse_slice("0,5:10,10"), parse_slice("5,5:-")}, shape));
  auto gap = check_slice_partition({parse_slice("0,5:-"), parse_slice("6,4:-")}, shape);
  REQUIRE_FALSE(gap);
  CHECK(gap.error().message.find("does not have sufficient slices") != std::string::npos);
  auto dup = check_slice_partition({parse_slice("0,5:-"), parse_slice("0,5:-"), parse_slice("5,5:-")}, shape);
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message.find("Overlapping slices") != std::string::npos);
  CHECK_FALSE(check_slice_partition({parse_slice("0,5:-"), parse_slice("5,6:-")}, shape));  // out of bounds
  CHECK(check_slice_partition({}, shape_t{0, 5}));
  CHECK(check_slice_partition({tensor_slice{}}, shape_t{}));
  CHECK_FALSE(check_slice_partition({tensor_slice{}, tensor_slice{}}, shape_t{}));
  CHECK_FALSE(check_slice_partition({}, shape));
}

// ---- class 4: slice coverage by interval arithmetic ----------------------------------------
TEST_CASE("hostile 2 / class 4: 1,000 rank-13 partitioned entries are checked in bounded time") {
  // Every dimension of size 3 cut at a different place by three slices: marking grid cells
  // cost ~0.15 s per entry; interval arithmetic costs microseconds.
  const shape_t shape(13, 3);
  std::vector<tensor_slice> slices(3, tensor_slice::full(13));
  slices[0].extents[0] = {0, 1};
  slices[1].extents[0] = {1, 2};
  slices[2].extents[0] = {1, 1};  // overlaps slices[1]
  for (std::size_t d = 1; d < 13; ++d) slices[2].extents[d] = {static_cast<std::int64_t>(d % 3), 1};
  auto o = bounded([&]() -> result<void> {
    int overlaps = 0;
    for (int i = 0; i < 1000; ++i) {
      auto r = check_slice_partition(slices, shape);
      if (!r && r.error().message.find("Overlapping") != std::string::npos) ++overlaps;
    }
    if (overlaps != 1000) return make_error(errc::corruption, "expected 1000 overlaps, got " + std::to_string(overlaps));
    std::vector<tensor_slice> good(slices.begin(), slices.begin() + 2);
    for (int i = 0; i < 1000; ++i) TFCKPT_TRY(check_slice_partition(good, shape));
    return {};
  });
  report("1000 x rank-13 slice checks", o);
  REQUIRE(o.finished);
  CHECK_MESSAGE(o.ok, o.message);
  CHECK(o.seconds < 30);
}

TEST_CASE("hostile 2 / class 4: 100k slices of one tensor are checked without quadratic work") {
  const std::int64_t n = 100000;
  std::vector<tensor_slice> rows, cols;
  for (std::int64_t i = 0; i < n; ++i) {
    rows.push_back(tensor_slice{{slice_extent{i, 1}, slice_extent{}}});
    cols.push_back(tensor_slice{{slice_extent{}, slice_extent{i, 1}}});
  }
  auto o = bounded([&]() -> result<void> {
    TFCKPT_TRY(check_slice_partition(rows, shape_t{n, 7}));
    return check_slice_partition(cols, shape_t{7, n});  // split along dim 1: swept along dim 1
  });
  report("100k slices along dim 0 and along dim 1", o);
  REQUIRE(o.finished);
  CHECK_MESSAGE(o.ok, o.message);
  CHECK(o.seconds < 30);
  // A 2 x 10000 grid: swept along the dimension with the most distinct starts.
  std::vector<tensor_slice> bad;
  for (std::int64_t i = 0; i < 20000; ++i)
    bad.push_back(tensor_slice{{slice_extent{}, slice_extent{i % 2, 1}, slice_extent{i / 2, 1}}});
  auto b = bounded([&]() -> result<void> { return check_slice_partition(bad, shape_t{3, 2, 10000}); });
  report("20k slices in a 2 x 10000 grid", b);
  REQUIRE(b.finished);
  CHECK_MESSAGE(b.ok, b.message);
  CHECK(b.seconds < 30);
}

// ---- class 7: npz members sharing bytes -----------------------------------------------------
TEST_CASE("hostile 2 / class 7: an npz whose directory names one member 1,000 times is refused") {
  using tfckpt_convert::npz::read_zip;
  auto le = [](std::string& s, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  const std::string data(std::size_t{8} << 20, 'x');
  std::uint32_t crc = 0xffffffffu;  // zip CRC-32
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
  }
  crc ^= 0xffffffffu;
  std::string z;
  const std::string name = "a.npy";
  le(z, 0x04034b50, 4), le(z, 20, 2), le(z, 0, 2), le(z, 0, 2), le(z, 0, 4), le(z, crc, 4);
  le(z, data.size(), 4), le(z, data.size(), 4), le(z, name.size(), 2), le(z, 0, 2);
  z += name;
  z += data;
  const std::size_t cd_at = z.size();
  const int count = 1000;
  for (int i = 0; i < count; ++i) {
    const std::string nm = "m" + std::to_string(i) + ".npy";
    le(z, 0x02014b50, 4), le(z, 20, 2), le(z, 20, 2), le(z, 0, 2), le(z, 0, 2), le(z, 0, 4), le(z, crc, 4);
    le(z, data.size(), 4), le(z, data.size(), 4), le(z, nm.size(), 2), le(z, 0, 2), le(z, 0, 2);
    le(z, 0, 2), le(z, 0, 2), le(z, 0, 4), le(z, 0, 4);
    z += nm;
  }
  const std::size_t cd_size = z.size() - cd_at;
  le(z, 0x06054b50, 4), le(z, 0, 2), le(z, 0, 2), le(z, count, 2), le(z, count, 2), le(z, cd_size, 4), le(z, cd_at, 4), le(z, 0, 2);
  auto o = bounded([&]() -> result<void> { return hostile2::as_void(read_zip(z, "evil.npz")); });
  report("npz naming one 8 MiB member 1000 times", o);
  REQUIRE(o.finished);
  CHECK_FALSE(o.ok);
  CHECK(o.code == errc::corruption);
  CHECK(o.message.find("overlap") != std::string::npos);
  CHECK(o.peak_kb < 100 * mb);
  CHECK(o.seconds < 30);
}

// ---- class 6: object-graph import and save stay linear --------------------------------------
TEST_CASE("hostile 2 / class 6: 200k children of one node are checked for unique names in linear time") {
  graph::live_tree tree;
  tree.add_anonymous();
  for (int i = 0; i < 200000; ++i) tree.add_edge(graph::live_tree::root, "c" + std::to_string(i), tree.add_anonymous());
  auto o = bounded([&]() -> result<void> { return tree.check_unique_names(); });
  report("check_unique_names, 200k children", o);
  REQUIRE(o.finished);
  CHECK_MESSAGE(o.ok, o.message);
  CHECK(o.seconds < 30);
  tree.add_edge(graph::live_tree::root, "c17", tree.add_anonymous());
  auto dup = tree.check_unique_names();
  REQUIRE_FALSE(dup);
  CHECK(dup.error().message.find("'c17'") != std::string::npos);
}

TEST_CASE("hostile 2 / class 6: import --object-graph of 20k slot names is linear and verifies") {
  tfckpt_test::temp_dir dir;
  REQUIRE(!dir.path().empty());
  tfckpt_convert::in_file in;
  const std::string one(4, '\0');
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    tfckpt_convert::in_tensor v;
    v.name = "model/v" + std::to_string(i) + "/.ATTRIBUTES/VARIABLE_VALUE";
    v.type = dtype::float32;
    v.shape = {1};
    v.data = one;
    in.tensors.push_back(v);
    v.name = "model/v" + std::to_string(i) + "/.OPTIMIZER_SLOT/opt/s" + std::to_string(i) + "/.ATTRIBUTES/VARIABLE_VALUE";
    in.tensors.push_back(v);
  }
  tfckpt_convert::import_options io;
  io.mode = tfckpt_convert::import_mode::object_graph;
  auto o = bounded([&]() -> result<void> {
    auto s = tfckpt_convert::import_tensors(in, io, dir / "ck", "slots.npz");
    if (!s) return std::move(s).error();
    auto r = bundle_reader::open(dir / "ck");
    if (!r) return std::move(r).error();
    return hostile2::as_void(r->verify());
  });
  report("import of 20k variables with 20k slot names", o);
  REQUIRE(o.finished);
  CHECK_MESSAGE(o.ok, o.message);
  CHECK(o.seconds < 60);
  CHECK(o.peak_kb < 500 * mb);
}

TEST_CASE("hostile 2 / class 6: an object path deeper than a reader accepts is refused by import") {
  tfckpt_test::temp_dir dir;
  REQUIRE(!dir.path().empty());
  tfckpt_convert::in_file in;
  std::string path;
  for (int i = 0; i < 50000; ++i) path += (i ? "/" : "") + std::string("a");
  tfckpt_convert::in_tensor v;
  v.name = path + "/.ATTRIBUTES/VARIABLE_VALUE";
  v.type = dtype::float32;
  v.shape = {};
  const std::string one(4, '\0');
  v.data = one;
  in.tensors.push_back(v);
  tfckpt_convert::import_options io;
  io.mode = tfckpt_convert::import_mode::object_graph;
  auto o = bounded([&]() -> result<void> { return hostile2::as_void(tfckpt_convert::import_tensors(in, io, dir / "ck", "deep.npz")); });
  report("import of a 50k-level object path", o);
  REQUIRE(o.finished);
  CHECK_FALSE(o.ok);
  CHECK(o.code == errc::limit_exceeded);
  CHECK(o.message.find("max_depth") != std::string::npos);
  CHECK(o.message.size() < 1000);  // the 100 KB name is not repeated whole
  CHECK(o.peak_kb < 200 * mb);
}

// ---- classes 1 and 5: the CLI's print --json and graph on crafted checkpoints ---------------
namespace hostile2 {
// Runs `tfckpt ARGS...` (the CLI built next to this test binary) with stdout to `out_path`;
// returns the exit status, or -1 when it was killed at the timeout.
inline int run_cli(const std::vector<std::string>& args, const std::string& out_path, int timeout_s = 60) {
  const std::string cli = std::string(TFCKPT_BINARY_DIR) + "/tfckpt";
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) ::dup2(fd, 1), ::dup2(fd, 2);
    std::vector<char*> argv{const_cast<char*>(cli.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(cli.c_str(), argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int st = 0;
  while (::waitpid(pid, &st, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      return -1;
    }
    ::usleep(20000);
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
}  // namespace hostile2

// These two run the CLI (TFCKPT_BINARY_DIR/tfckpt): compiled where the build has it (CMakeLists.txt).
#if !defined(TFCKPT_TESTS_HAVE_CLI) || TFCKPT_TESTS_HAVE_CLI
TEST_CASE("hostile 2 / class 1: print --json of an empty [1e9, 1e9, 0] tensor is bounded") {
  const std::string cli = std::string(TFCKPT_BINARY_DIR) + "/tfckpt";
  REQUIRE_MESSAGE(detail::file_exists(cli), "build the CLI (target tfckpt_cli) first: " << cli);
  tfckpt_test::temp_dir dir;
  REQUIRE(!dir.path().empty());
  {
    auto w = bundle_writer::create(dir / "ck");
    REQUIRE(w);
    REQUIRE(w->add("empty", dtype::float32, shape_t{1000000000, 1000000000, 0}, std::string_view()));
    REQUIRE(w->add("small_empty", dtype::float32, shape_t{2, 3, 0}, std::string_view()));
    REQUIRE(w->finish());
  }
  const int rc = hostile2::run_cli({"print", dir / "ck", "--json"}, dir / "out.json");
  const auto out = tfckpt_test::read_file(dir / "out.json");
  MESSAGE("print --json: rc " << rc << ", " << out.size() << " bytes of output");
  CHECK(rc == 0);
  CHECK(out.size() < 4096);
  CHECK(out.find("null") != std::string::npos);
  CHECK(out.find("[[[],[],[]],[[],[],[]]]") != std::string::npos);  // small ones still nested
}

TEST_CASE("hostile 2 / class 5: graph of 10k unreachable nodes with empty-key attributes is linear") {
  const std::string cli = std::string(TFCKPT_BINARY_DIR) + "/tfckpt";
  REQUIRE_MESSAGE(detail::file_exists(cli), "build the CLI (target tfckpt_cli) first: " << cli);
  tfckpt_test::temp_dir dir;
  REQUIRE(!dir.path().empty());
  const int n = 10000;
  {
    auto w = bundle_writer::create(dir / "ck");
    REQUIRE(w);
    const std::string one(4, '\0');
    for (int i = 0; i < n; ++i) REQUIRE(w->add("t" + std::to_string(i), dtype::float32, shape_t{1}, one));
    trackable_object_graph g;
    g.nodes.resize(static_cast<std::size_t>(n) + 1);
    for (int i = 1; i <= n; ++i) {  // unreachable from the root, each with an empty-key attribute
      auto& node = g.nodes[static_cast<std::size_t>(i)];
      node.attributes.push_back(serialized_tensor{"VARIABLE_VALUE", "", "", false});
    }
    REQUIRE(w->add(object_graph_key, tensor::from_strings({}, {encode_object_graph(g)}).value()));
    REQUIRE(w->finish());
  }
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = hostile2::run_cli({"graph", dir / "ck"}, dir / "out.txt");
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto out = tfckpt_test::read_file(dir / "out.txt");
  MESSAGE("graph: rc " << rc << ", " << out.size() << " bytes of output, " << secs << " s");
  CHECK(rc == 0);
  CHECK(out.size() < 10 * 1024 * 1024);  // was 2.2 GB: every entry listed per attribute
  CHECK(out.find("[no checkpoint key]") != std::string::npos);
}
#endif  // TFCKPT_TESTS_HAVE_CLI
