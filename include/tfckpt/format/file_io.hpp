// tfckpt: POSIX file access. Reads (whole file, positioned, mmap), buffered writes, atomic
// replace (temp + fsync + rename + directory fsync) and Python-compatible path helpers
// (posixpath semantics, because TF's checkpoint code manipulates paths with os.path).
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "error.hpp"

namespace tfckpt::detail {

inline constexpr std::uint64_t default_max_file_bytes = std::uint64_t{1} << 32;  // 4 GiB

// "what 'path': strerror". ENOENT/ENOTDIR mean "no such file" to callers, hence not_found.
// A path as shown inside messages: control characters and DEL escaped (error::to_string
// escapes the file name it prints the same way), so a hostile name cannot rewrite a terminal.
TFCKPT_LAZY std::string printable_path(std::string_view p) { return error::printable_path(p); }

TFCKPT_LAZY error errno_error(int err, std::string_view what, std::string_view path) {
  errc c = (err == ENOENT || err == ENOTDIR) ? errc::not_found : errc::io_error;
  return error(c, std::string(what) + " '" + printable_path(path) +
                      "': " + std::generic_category().message(err)).in_file(path);
}

// ---- paths: os.path (posixpath) semantics --------------------------------------------------
inline bool is_absolute_path(std::string_view p) noexcept { return !p.empty() && p[0] == '/'; }

// os.path.join(a, b): an absolute b replaces a.
TFCKPT_LAZY std::string path_join(std::string_view a, std::string_view b) {
  if (is_absolute_path(b) || a.empty()) return std::string(b);
  std::string out(a);
  if (out.back() != '/') out += '/';
  return out += b;
}
// os.path.dirname: "ckpt-3" -> "", "/a" -> "/", "a/b/" -> "a/b".
TFCKPT_LAZY std::string path_dirname(std::string_view p) {
  std::string_view head = p.substr(0, p.rfind('/') + 1);  // npos + 1 == 0
  if (head.find_first_not_of('/') != std::string_view::npos)
    while (!head.empty() && head.back() == '/') head.remove_suffix(1);
  return std::string(head);
}
TFCKPT_LAZY std::string path_basename(std::string_view p) { return std::string(p.substr(p.rfind('/') + 1)); }

// os.path.normpath: lexical; keeps leading ".." of relative paths, keeps POSIX's "//" root.
TFCKPT_LAZY std::string normalize_path(std::string_view p) {
  if (p.empty()) return ".";
  std::size_t slashes = p.find_first_not_of('/');
  slashes = slashes == std::string_view::npos ? p.size() : slashes;
  std::string_view root = slashes == 0 ? "" : (slashes == 2 ? "//" : "/");
  std::vector<std::string_view> parts;
  for (std::size_t i = 0; i <= p.size();) {
    std::size_t j = std::min(p.find('/', i), p.size());
    std::string_view c = p.substr(i, j - i);
    i = j + 1;
    if (c.empty() || c == ".") continue;
    if (c != "..") parts.push_back(c);
    else if (!parts.empty() && parts.back() != "..") parts.pop_back();
    else if (root.empty()) parts.push_back(c);  // ".." above root is dropped
  }
  std::string out(root);
  for (std::size_t k = 0; k < parts.size(); ++k) (out += k ? "/" : "") += parts[k];
  return out.empty() ? "." : out;
}

TFCKPT_LAZY result<std::string> current_directory() {
  std::string buf(256, '\0');
  while (::getcwd(buf.data(), buf.size()) == nullptr) {
    if (errno != ERANGE || buf.size() > (1u << 20)) return errno_error(errno, "getcwd", ".");
    buf.resize(buf.size() * 2);
  }
  buf.resize(std::strlen(buf.c_str()));
  return buf;
}

// os.path.relpath(path, start). Relative inputs are resolved against the working directory,
// exactly as Python does (so a relative start with leading ".." gives the same answer).
TFCKPT_LAZY result<std::string> relative_path(std::string_view path, std::string_view start = ".") {
  if (path.empty()) return error(errc::invalid_argument, "relative_path: empty path");
  std::string cwd;
  if (!is_absolute_path(path) || !is_absolute_path(start)) {
    auto c = current_directory();
    if (!c) return std::move(c).error();
    cwd = std::move(*c);
  }
  auto split = [&](std::string_view p) {
    std::string abs = normalize_path(is_absolute_path(p) ? std::string(p) : path_join(cwd, p));
    std::vector<std::string> v;
    for (std::size_t i = 0; i < abs.size();) {
      std::size_t j = std::min(abs.find('/', i), abs.size());
      if (j > i) v.push_back(abs.substr(i, j - i));
      i = j + 1;
    }
    return v;
  };
  std::vector<std::string> s = split(start.empty() ? std::string_view(".") : start), t = split(path);
  std::size_t common = 0;
  while (common < s.size() && common < t.size() && s[common] == t[common]) ++common;
  std::string out;
  for (std::size_t k = common; k < s.size(); ++k) out += out.empty() ? ".." : "/..";
  for (std::size_t k = common; k < t.size(); ++k) (out += out.empty() ? "" : "/") += t[k];
  return out.empty() ? std::string(".") : out;
}

// ---- metadata -------------------------------------------------------------------------------
TFCKPT_LAZY bool file_exists(const std::string& p) { struct stat st {}; return ::stat(p.c_str(), &st) == 0; }
TFCKPT_LAZY bool is_directory(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
TFCKPT_LAZY result<std::uint64_t> file_size(const std::string& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return errno_error(errno, "cannot stat", p);
  return static_cast<std::uint64_t>(st.st_size);
}
TFCKPT_LAZY result<void> rename_file(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return errno_error(errno, "cannot rename to '" + to + "' from", from);
  return {};
}
TFCKPT_LAZY result<void> remove_file(const std::string& p) {
  if (::unlink(p.c_str()) != 0) return errno_error(errno, "cannot remove", p);
  return {};
}
// Sorted entry names without "." and ".." (sorted so callers are deterministic).
TFCKPT_LAZY result<std::vector<std::string>> list_directory(const std::string& dir) {
  DIR* d = ::opendir(dir.empty() ? "." : dir.c_str());
  if (d == nullptr) return errno_error(errno, "cannot list directory", dir);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return errno_error(err, "cannot read directory", dir);
  std::sort(names.begin(), names.end());
  return names;
}
// Makes a rename inside `dir` durable. Filesystems that cannot fsync directories (EINVAL) are
// accepted: there is nothing more we could do there.
TFCKPT_LAZY result<void> fsync_directory(const std::string& dir) {
  std::string d = dir.empty() ? "." : dir;
  int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error(errno, "cannot open directory", d);
  int rc = ::fsync(fd), err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL) return errno_error(err, "cannot fsync directory", d);
  return {};
}
// mkdir -p (mode 0777 & ~umask); existing directories are fine.
TFCKPT_LAZY result<void> make_directories(const std::string& path) {
  for (std::size_t i = 1; i <= path.size(); ++i) {
    if (i != path.size() && path[i] != '/') continue;
    std::string sub = path.substr(0, i);
    if (::mkdir(sub.c_str(), 0777) == 0) continue;
    int err = errno;  // is_directory() may overwrite errno
    if (is_directory(sub)) continue;
    if (err == EEXIST) return error(errc::io_error, "'" + sub + "' exists and is not a directory").in_file(sub);
    return errno_error(err, "cannot create directory", sub);
  }
  return {};
}

// ---- reading --------------------------------------------------------------------------------
// A read-only descriptor with positioned reads (pread: no shared file position, so concurrent
// reads of one file are safe).
class readable_file {
 public:
  // Regular files only. O_NONBLOCK so that opening a FIFO (or a device) returns at once instead
  // of waiting for a writer; fstat then refuses it before anything is read. The flag is cleared
  // again for the reads (it means nothing for regular files anyway).
  static result<readable_file> open(const std::string& path) {
    if (path.find('\0') != std::string::npos)
      return error(errc::invalid_argument, "path contains a NUL byte").in_file(path);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return errno_error(errno, "cannot open", path);
    readable_file f(fd, path);
    struct stat st {};
    if (::fstat(fd, &st) != 0) return errno_error(errno, "cannot stat", path);
    if (S_ISDIR(st.st_mode)) return errno_error(EISDIR, "cannot read", path);
    if (!S_ISREG(st.st_mode))
      return error(errc::io_error, "cannot read '" + printable_path(path) + "': not a regular file (" +
                                       (S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket" : "a device") + ")")
          .in_file(path);
    if (const int fl = ::fcntl(fd, F_GETFL); fl >= 0) (void)::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    f.size_ = static_cast<std::uint64_t>(st.st_size);
    return f;
  }
  readable_file(readable_file&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)), size_(o.size_), path_(std::move(o.path_)) {}
  readable_file& operator=(readable_file&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1), size_ = o.size_, path_ = std::move(o.path_);
    }
    return *this;
  }
  ~readable_file() { reset(); }

  std::uint64_t size() const noexcept { return size_; }  // at open time
  const std::string& path() const noexcept { return path_; }
  int fd() const noexcept { return fd_; }

  // Reads exactly n bytes at offset into dst. EOF before n bytes is corruption: the only reason
  // to read past the end is an index entry claiming more bytes than the file holds.
  result<void> read_at(std::uint64_t offset, std::size_t n, char* dst) const {
    for (std::size_t done = 0; done < n;) {
      ssize_t r = ::pread(fd_, dst + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return errno_error(errno, "cannot read", path_).at_offset(offset + done);
      if (r == 0)
        return error(errc::corruption, "file is shorter than its entries claim (wanted " + std::to_string(n) +
                                           " bytes, file has " + std::to_string(size_) + ")")
            .in_file(path_).at_offset(offset);
      done += static_cast<std::size_t>(r);
    }
    return {};
  }

 private:
  readable_file(int fd, std::string p) : fd_(fd), path_(std::move(p)) {}
  void reset() noexcept { if (fd_ >= 0) ::close(fd_); fd_ = -1; }
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string path_;
};

// Whole file into memory; regular files only; `max_bytes` bounds the allocation.
TFCKPT_LAZY result<std::string> read_file(const std::string& path,
                                     std::uint64_t max_bytes = default_max_file_bytes) {
  auto f = readable_file::open(path);
  if (!f) return std::move(f).error();
  if (f->size() > max_bytes)
    return error(errc::limit_exceeded, "file has " + std::to_string(f->size()) + " bytes, limit is " +
                                           std::to_string(max_bytes)).in_file(path);
  std::string out(static_cast<std::size_t>(f->size()), '\0');
  TFCKPT_TRY(f->read_at(0, out.size(), out.data()));
  return out;
}

// Read-only view of a whole file. Uses mmap; if mmap fails (e.g. a filesystem without mmap
// support) the bytes are read into memory instead. The file must not be truncated while mapped
// (that is SIGBUS); TF-written checkpoint files are immutable once renamed into place.
class mapped_file {
 public:
  static result<mapped_file> open(const std::string& path, std::uint64_t max_bytes = default_max_file_bytes) {
    auto f = readable_file::open(path);
    if (!f) return std::move(f).error();
    if (f->size() > max_bytes || static_cast<std::size_t>(f->size()) != f->size())
      return error(errc::limit_exceeded, "file too large to map: " + std::to_string(f->size()) + " bytes")
          .in_file(path);
    mapped_file m;
    m.size_ = static_cast<std::size_t>(f->size());
    if (m.size_ == 0) return m;  // mmap of length 0 is EINVAL; an empty view is the answer
    void* p = ::mmap(nullptr, m.size_, PROT_READ, MAP_PRIVATE, f->fd(), 0);
    if (p != MAP_FAILED) { m.addr_ = p; return m; }
    m.copy_.resize(m.size_);
    TFCKPT_TRY(f->read_at(0, m.size_, m.copy_.data()));
    return m;
  }
  mapped_file() = default;
  mapped_file(mapped_file&& o) noexcept
      : addr_(std::exchange(o.addr_, nullptr)), size_(std::exchange(o.size_, 0)), copy_(std::move(o.copy_)) {}
  mapped_file& operator=(mapped_file&& o) noexcept {
    if (this != &o) {
      reset();
      addr_ = std::exchange(o.addr_, nullptr), size_ = std::exchange(o.size_, 0), copy_ = std::move(o.copy_);
    }
    return *this;
  }
  ~mapped_file() { reset(); }

  std::string_view bytes() const noexcept {
    return addr_ ? std::string_view(static_cast<const char*>(addr_), size_) : std::string_view(copy_);
  }
  bool is_mapped() const noexcept { return addr_ != nullptr; }

 private:
  void reset() noexcept { if (addr_) ::munmap(addr_, size_); addr_ = nullptr; size_ = 0; copy_.clear(); }
  void* addr_ = nullptr;
  std::size_t size_ = 0;
  std::string copy_;  // fallback storage when mmap is unavailable
};

// ---- writing --------------------------------------------------------------------------------
// Buffered writer. Call close() and check it: the destructor closes silently (errors lost).
class writable_file {
 public:
  // Creates or truncates; `exclusive` fails with EEXIST instead (used for temp files, so a
  // name collision or a planted symlink can never be written through).
  static result<writable_file> create(const std::string& path, bool exclusive = false) {
    // O_NONBLOCK: a FIFO without a reader at `path` fails (ENXIO) instead of hanging the open.
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (exclusive ? O_EXCL : O_TRUNC);
    int fd = ::open(path.c_str(), flags, 0666);
    if (fd < 0) return errno_error(errno, "cannot create", path);
    if (const int fl = ::fcntl(fd, F_GETFL); fl >= 0) (void)::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return writable_file(fd, path);
  }
  writable_file(writable_file&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)), buf_(std::move(o.buf_)), size_(o.size_) {}
  writable_file& operator=(writable_file&& o) noexcept {
    if (this != &o) {
      discard();
      fd_ = std::exchange(o.fd_, -1), path_ = std::move(o.path_), buf_ = std::move(o.buf_), size_ = o.size_;
    }
    return *this;
  }
  ~writable_file() { (void)close(); }

  const std::string& path() const noexcept { return path_; }
  std::uint64_t size() const noexcept { return size_; }  // bytes appended so far

  result<void> append(std::string_view data) {
    if (fd_ < 0) return error(errc::invalid_argument, "append to a closed file").in_file(path_);
    size_ += data.size();
    if (buf_.size() + data.size() <= buffer_bytes) { buf_.append(data); return {}; }
    TFCKPT_TRY(flush());
    if (data.size() < buffer_bytes) { buf_.append(data); return {}; }
    return write_all(data);  // large writes skip the copy
  }
  result<void> flush() {
    if (buf_.empty()) return {};
    auto r = write_all(buf_);
    buf_.clear();
    return r;
  }
  result<void> sync() {
    TFCKPT_TRY(flush());
    if (::fsync(fd_) != 0) return errno_error(errno, "cannot fsync", path_);
    return {};
  }
  // Writes `d` at `offset` with pwrite, leaving the buffer and the append position alone; safe
  // from several threads at once (each on its own range). For filling the next region in
  // parallel: flush(), write_at(size() + k, ...) from the threads, then advance(n).
  result<void> write_at(std::uint64_t offset, std::string_view d) const {
    while (!d.empty()) {
      ssize_t w = ::pwrite(fd_, d.data(), d.size(), static_cast<off_t>(offset));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return errno_error(errno, "cannot write", path_);
      d.remove_prefix(static_cast<std::size_t>(w));
      offset += static_cast<std::uint64_t>(w);
    }
    return {};
  }
  // REQUIRES: the buffer is flushed and [size(), size() + n) was written with write_at.
  result<void> advance(std::uint64_t n) {
    size_ += n;
    if (::lseek(fd_, static_cast<off_t>(size_), SEEK_SET) < 0) return errno_error(errno, "cannot seek", path_);
    return {};
  }
  // Flushes and closes; idempotent. close() errors matter (NFS reports write errors there).
  result<void> close() {
    if (fd_ < 0) return {};
    auto r = flush();
    if (::close(std::exchange(fd_, -1)) != 0 && r) r = errno_error(errno, "cannot close", path_);
    return r;
  }

 private:
  static constexpr std::size_t buffer_bytes = 64 * 1024;
  writable_file(int fd, std::string p) : fd_(fd), path_(std::move(p)) { buf_.reserve(buffer_bytes); }
  void discard() noexcept { if (fd_ >= 0) ::close(fd_); fd_ = -1; buf_.clear(); }
  result<void> write_all(std::string_view d) {
    while (!d.empty()) {
      ssize_t w = ::write(fd_, d.data(), d.size());
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return errno_error(errno, "cannot write", path_);
      d.remove_prefix(static_cast<std::size_t>(w));
    }
    return {};
  }
  int fd_ = -1;
  std::string path_, buf_;
  std::uint64_t size_ = 0;
};

// "<final>.tmp<pid>_<counter>_<random hex>": same directory as `final` so rename() is atomic;
// unique per process (counter) and across processes (pid + clock-derived noise).
TFCKPT_LAZY std::string temp_path_for(std::string_view final_path) {
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);  // (not <chrono>: it costs every unit ~0.2 s to parse)
  std::uint64_t x = (static_cast<std::uint64_t>(now.tv_sec) * 1000000000u + static_cast<std::uint64_t>(now.tv_nsec)) ^
                    (static_cast<std::uint64_t>(::getpid()) << 32) ^ (n * 0x9e3779b97f4a7c15ull) ^
                    reinterpret_cast<std::uintptr_t>(&n);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;  // splitmix64 finaliser
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  x ^= x >> 31;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = std::string(final_path) + ".tmp" + std::to_string(::getpid()) + "_" + std::to_string(n) + '_';
  for (int i = 60; i >= 0; i -= 4) out += hex[(x >> i) & 15];
  return out;
}

// Advisory lock on a directory, for processes saving into the same directory at once:
// flock(2) on the directory's own descriptor, so no lock file appears next to the checkpoints
// (TensorFlow would not know it). Exclusive: a bundle writer's renames of one prefix's files (so
// two writers of one prefix never leave one's .index over the other's .data) and a checkpoint
// manager's state-file update + deletion of old checkpoints (so it can re-read the state file and
// never delete the checkpoint it names, whoever wrote it). Shared: readers that must not see
// files disappear between resolving the state file and opening them. Best effort: where the
// filesystem has no flock (some network filesystems) the lock is simply not held (held() ==
// false) and callers proceed as a single writer would. Released by the destructor.
class directory_lock {
 public:
  enum class mode { shared, exclusive };
  static directory_lock acquire(const std::string& dir, mode m) {
    directory_lock l;
    const std::string d = dir.empty() ? "." : dir;
    l.fd_ = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (l.fd_ < 0) return l;
    int rc;
    do rc = ::flock(l.fd_, m == mode::exclusive ? LOCK_EX : LOCK_SH);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) l.reset();
    return l;
  }
  directory_lock() = default;
  directory_lock(directory_lock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  directory_lock& operator=(directory_lock&& o) noexcept {
    if (this != &o) { reset(); fd_ = std::exchange(o.fd_, -1); }
    return *this;
  }
  ~directory_lock() { reset(); }
  bool held() const noexcept { return fd_ >= 0; }

 private:
  void reset() noexcept { if (fd_ >= 0) ::close(fd_); fd_ = -1; }  // close releases the flock
  int fd_ = -1;
};

// Replaces `path` with `contents` atomically (readers see the old or the new file, never a
// torn one) and durably: temp file, fsync, rename over `path`, fsync the directory. On any
// failure the previous file is untouched and the temp file is removed.
TFCKPT_LAZY result<void> atomic_write_file(const std::string& path, std::string_view contents) {
  std::string tmp;
  result<writable_file> f = error(errc::io_error, "no temp file");
  for (int attempt = 0; attempt < 8; ++attempt) {  // O_EXCL collision: pick another name
    tmp = temp_path_for(path);
    f = writable_file::create(tmp, /*exclusive=*/true);
    if (f || !file_exists(tmp)) break;
  }
  if (!f) return std::move(f).error();
  auto fail = [&](error e) { (void)f->close(); ::unlink(tmp.c_str()); return std::move(e.in_file(path)); };
  if (auto r = f->append(contents); !r) return fail(std::move(r).error());
  if (auto r = f->sync(); !r) return fail(std::move(r).error());
  if (auto r = f->close(); !r) return fail(std::move(r).error());
  if (auto r = rename_file(tmp, path); !r) return fail(std::move(r).error());
  return fsync_directory(path_dirname(path));
}

}  // namespace tfckpt::detail
