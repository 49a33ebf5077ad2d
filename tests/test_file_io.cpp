// Tests for format/file_io.hpp: reads, mmap, buffered writes, atomic replace, paths.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <set>
#include <string>

#include "bundle_test_util.hpp"
#include "tfckpt/format/file_io.hpp"

namespace fio = tfckpt::detail;
using tfckpt::errc;

namespace {

using tfckpt_test::temp_dir;

// Writes and reads through the library's own file layer (the subject of these tests).
void write_plain(const std::string& path, const std::string& data) {
  auto f = fio::writable_file::create(path);
  REQUIRE(f);
  REQUIRE(f->append(data));
  REQUIRE(f->close());
}

std::string read_plain(const std::string& path) {
  auto r = fio::read_file(path);
  REQUIRE(r);
  return *r;
}

}  // namespace

TEST_CASE("file_io: read_file returns contents, not_found when missing, limit_exceeded above max") {
  temp_dir d;
  write_plain(d / "a", "hello\0world");  // std::string from a literal stops at NUL: 5 bytes
  CHECK(read_plain(d / "a") == "hello");
  std::string bin("x\0y", 3);
  write_plain(d / "b", bin);
  CHECK(read_plain(d / "b") == bin);

  auto missing = fio::read_file(d / "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);
  CHECK(missing.error().file == d / "nope");

  auto big = fio::read_file(d / "a", 4);
  REQUIRE_FALSE(big);
  CHECK(big.error().code == errc::limit_exceeded);

  auto dir = fio::read_file(d.path());
  REQUIRE_FALSE(dir);
  CHECK(dir.error().code == errc::io_error);
  CHECK(dir.error().message.find("directory") != std::string::npos);
}

TEST_CASE("file_io: readable_file reads at offsets; a short file is corruption naming file and offset") {
  temp_dir d;
  write_plain(d / "f", "0123456789");
  auto f = fio::readable_file::open(d / "f");
  REQUIRE(f);
  CHECK(f->size() == 10);
  char buf[4] = {};
  REQUIRE(f->read_at(3, 4, buf));
  CHECK(std::string(buf, 4) == "3456");
  REQUIRE(f->read_at(10, 0, buf));  // empty read at EOF is fine

  auto r = f->read_at(8, 4, buf);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corruption);
  CHECK(r.error().file == d / "f");
  CHECK(r.error().offset == 8);
  CHECK(r.error().message.find("shorter than its entries claim") != std::string::npos);

  fio::readable_file moved = std::move(*f);
  REQUIRE(moved.read_at(0, 2, buf));
  CHECK(std::string(buf, 2) == "01");
}

TEST_CASE("file_io: mapped_file views the bytes, handles empty files and survives moves") {
  temp_dir d;
  write_plain(d / "m", "mapped bytes");
  write_plain(d / "empty", "");
  auto m = fio::mapped_file::open(d / "m");
  REQUIRE(m);
  CHECK(std::string(m->bytes()) == "mapped bytes");
  fio::mapped_file moved = std::move(*m);
  CHECK(std::string(moved.bytes()) == "mapped bytes");
  CHECK(m->bytes().empty());

  auto e = fio::mapped_file::open(d / "empty");
  REQUIRE(e);
  CHECK(e->bytes().empty());

  auto missing = fio::mapped_file::open(d / "none");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);
  auto limited = fio::mapped_file::open(d / "m", 3);
  REQUIRE_FALSE(limited);
  CHECK(limited.error().code == errc::limit_exceeded);
}

TEST_CASE("file_io: writable_file buffers small appends, passes large ones through, truncates") {
  temp_dir d;
  std::string big(200 * 1024, 'z');
  {
    auto f = fio::writable_file::create(d / "w");
    REQUIRE(f);
    REQUIRE(f->append("head:"));
    REQUIRE(f->append(big));
    REQUIRE(f->append(":tail"));
    CHECK(f->size() == big.size() + 10);
    REQUIRE(f->sync());
    REQUIRE(f->close());
    REQUIRE(f->close());  // idempotent
    CHECK_FALSE(f->append("x"));
  }
  CHECK(read_plain(d / "w") == "head:" + big + ":tail");
  write_plain(d / "w", "short");  // create() truncates
  CHECK(read_plain(d / "w") == "short");

  auto excl = fio::writable_file::create(d / "w", /*exclusive=*/true);
  REQUIRE_FALSE(excl);
  CHECK(excl.error().code == errc::io_error);
  auto nodir = fio::writable_file::create(d / "missing/x");
  REQUIRE_FALSE(nodir);
  CHECK(nodir.error().code == errc::not_found);
}

TEST_CASE("file_io: atomic_write_file replaces content and leaves no temp files") {
  temp_dir d;
  REQUIRE(fio::atomic_write_file(d / "state", "first\n"));
  CHECK(read_plain(d / "state") == "first\n");
  REQUIRE(fio::atomic_write_file(d / "state", "second, longer content\n"));
  CHECK(read_plain(d / "state") == "second, longer content\n");
  REQUIRE(fio::atomic_write_file(d / "state", ""));
  CHECK(read_plain(d / "state").empty());
  auto names = fio::list_directory(d.path());
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"state"});
}

TEST_CASE("file_io: atomic_write_file onto a directory fails and leaves it and no temp file") {
  temp_dir d;
  REQUIRE(fio::make_directories(d / "target/inner"));
  auto r = fio::atomic_write_file(d / "target", "x");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::io_error);
  CHECK(fio::is_directory(d / "target/inner"));
  auto names = fio::list_directory(d.path());
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"target"});

  auto missing = fio::atomic_write_file(d / "no/such/dir/file", "x");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == errc::not_found);
}

TEST_CASE("file_io: atomic_write_file failing mid-write keeps the old file and removes the temp") {
  // RLIMIT_FSIZE makes write() fail with EFBIG even for root, so this runs everywhere.
  temp_dir d;
  REQUIRE(fio::atomic_write_file(d / "state", "old contents"));
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 1024;
  REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
  auto r = fio::atomic_write_file(d / "state", std::string(100 * 1024, 'n'));
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::io_error);
  CHECK(r.error().message.find("write") != std::string::npos);
  CHECK(read_plain(d / "state") == "old contents");
  auto names = fio::list_directory(d.path());
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"state"});
}

TEST_CASE("file_io: atomic_write_file into a read-only directory fails cleanly") {
  temp_dir d;
  REQUIRE(fio::atomic_write_file(d / "state", "old"));
  REQUIRE(::chmod(d.path().c_str(), 0500) == 0);
  auto r = fio::atomic_write_file(d / "state", "new");
  ::chmod(d.path().c_str(), 0700);
  if (::geteuid() == 0) {  // root ignores directory permissions (the failure path is the test above's)
    CHECK(r);
    CHECK(read_plain(d / "state") == "new");
    return;
  }
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::io_error);
  CHECK(read_plain(d / "state") == "old");
}

TEST_CASE("file_io: temp_path_for gives distinct names next to the final file") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string t = fio::temp_path_for("/some/dir/checkpoint");
    CHECK(t.rfind("/some/dir/checkpoint.tmp", 0) == 0);
    CHECK(fio::path_dirname(t) == "/some/dir");
    seen.insert(t);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("file_io: directory helpers list sorted names, mkdir -p, rename, remove and size") {
  temp_dir d;
  REQUIRE(fio::make_directories(d / "x/y/z"));
  REQUIRE(fio::make_directories(d / "x/y/z"));  // existing is fine
  CHECK(fio::is_directory(d / "x/y/z"));
  write_plain(d / "b", "12345");
  write_plain(d / "a", "");
  auto names = fio::list_directory(d.path());
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"a", "b", "x"});
  auto notdir = fio::make_directories(d / "b/c");
  REQUIRE_FALSE(notdir);
  auto sz = fio::file_size(d / "b");
  REQUIRE(sz);
  CHECK(*sz == 5);
  REQUIRE(fio::rename_file(d / "b", d / "c"));
  CHECK_FALSE(fio::file_exists(d / "b"));
  CHECK(fio::file_exists(d / "c"));
  REQUIRE(fio::remove_file(d / "c"));
  auto again = fio::remove_file(d / "c");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::not_found);
  CHECK(fio::fsync_directory(d.path()));
  CHECK_FALSE(fio::list_directory(d / "missing"));
  CHECK_FALSE(fio::file_size(d / "missing"));
}

// Expected values produced with Python 3.11 posixpath (os.path.join/dirname/basename/normpath/
// relpath) in /work/main/.venv.
TEST_CASE("file_io: path helpers match Python os.path") {
  CHECK(fio::path_join("", "x") == "x");
  CHECK(fio::path_join("a", "/b") == "/b");
  CHECK(fio::path_join("a/", "b") == "a/b");
  CHECK(fio::path_join("a", "b") == "a/b");
  CHECK(fio::path_join("/", "x") == "/x");
  CHECK(fio::path_join("a", "") == "a/");

  struct dn { const char* in; const char* dir; const char* base; };
  for (const dn& c : {dn{"ckpt-3", "", "ckpt-3"}, dn{"/a", "/", "a"}, dn{"a/b/", "a/b", ""}, dn{"/", "/", ""},
                      dn{"//", "//", ""}, dn{"//a", "//", "a"}, dn{"a//b", "a", "b"}, dn{"/a/b//", "/a/b", ""}}) {
    CAPTURE(c.in);
    CHECK(fio::path_dirname(c.in) == c.dir);
    CHECK(fio::path_basename(c.in) == c.base);
  }

  struct np { const char* in; const char* out; };
  for (const np& c : {np{"", "."}, np{".", "."}, np{"/", "/"}, np{"//", "//"}, np{"///", "/"}, np{"a/../..", ".."},
                      np{"/..", "/"}, np{"//a/../b", "//b"}, np{"a/./b//c/", "a/b/c"}, np{"../../a", "../../a"},
                      np{"./", "."}, np{"a/b/../../..", ".."}}) {
    CAPTURE(c.in);
    CHECK(fio::normalize_path(c.in) == c.out);
  }

  CHECK(fio::is_absolute_path("/x"));
  CHECK_FALSE(fio::is_absolute_path("x"));
  CHECK_FALSE(fio::is_absolute_path(""));

  struct rp { const char* path; const char* start; const char* out; };
  for (const rp& c : {rp{"/a/b/c", "/a", "b/c"}, rp{"/a/b", "/a/b", "."}, rp{"/a", "/a/b/c", "../.."},
                      rp{"/x/y", "/a/b", "../../x/y"}, rp{"a/b", "a", "b"}, rp{"a", "a/b", ".."},
                      rp{"/a//b/./c/", "/a/", "b/c"}, rp{"ckpt-1", "train", "../ckpt-1"},
                      rp{"train/ckpt-1", "train", "ckpt-1"}, rp{"/", "/", "."}}) {
    CAPTURE(c.path);
    CAPTURE(c.start);
    auto r = fio::relative_path(c.path, c.start);
    REQUIRE(r);
    CHECK(*r == c.out);
  }
  // Mixed relative/absolute resolves against the working directory, as Python does.
  auto cwd = fio::current_directory();
  REQUIRE(cwd);
  auto mixed = fio::relative_path("x", "../y");
  REQUIRE(mixed);
  if (*cwd != "/") CHECK(*mixed == "../" + fio::path_basename(*cwd) + "/x");
  auto abs_to_rel = fio::relative_path(*cwd + "/q/r", "q");
  REQUIRE(abs_to_rel);
  CHECK(*abs_to_rel == "r");
  CHECK_FALSE(fio::relative_path("", "/a"));
}
