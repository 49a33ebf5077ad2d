// tfckpt: the public file API, for programs that write or read files next to checkpoints the
// way the library does (the tfckpt CLI uses only this):
//   - tfckpt::atomic_file: written under a temporary name next to its path, and by commit()
//     fsync'ed, renamed into place and the directory fsync'ed, so readers see the old file or the
//     whole new one; an uncommitted file is removed (a failed export never leaves a torn file);
//   - tfckpt::atomic_write_file(path, bytes): the same for bytes already in memory;
//   - tfckpt::mapped_file: a read-only view of a whole file (mmap, or a copy where mmap fails).
//
//   auto f = tfckpt::atomic_file::create("out/model.safetensors");
//   if (!f) return std::move(f).error();
//   TFCKPT_TRY(f->append(header));
//   TFCKPT_TRY(f->commit());
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "format/error.hpp"
#include "format/file_io.hpp"

namespace tfckpt {

using detail::atomic_write_file;       // (path, contents): temp file, fsync, rename, fsync dir
using detail::default_max_file_bytes;  // mapped_file::open's default size limit (4 GiB)
using detail::mapped_file;             // mapped_file::open(path, max_bytes), bytes()

class atomic_file {
 public:
  // The temporary file is created exclusively (O_EXCL), so a name collision or a planted symlink
  // is never written through. errc::not_found when the directory of `path` does not exist.
  TFCKPT_LAZY static result<atomic_file> create(const std::string& path) {
    if (const std::string dir = detail::path_dirname(path); !dir.empty() && !detail::is_directory(dir))
      return make_error(errc::not_found, "output directory does not exist").in_file(path);
    auto f = detail::writable_file::create(detail::temp_path_for(path), /*exclusive=*/true);
    if (!f) return std::move(f).error();
    atomic_file a;
    a.final_ = path;
    a.file_.emplace(std::move(*f));
    return a;
  }
  // A moved-from atomic_file holds nothing (its destructor must not remove the new owner's file).
  atomic_file(atomic_file&& o) noexcept : final_(std::move(o.final_)), file_(std::move(o.file_)) { o.file_.reset(); }
  atomic_file& operator=(atomic_file&& o) noexcept {
    if (this != &o) {
      abandon();
      final_ = std::move(o.final_);
      file_ = std::move(o.file_);
      o.file_.reset();
    }
    return *this;
  }
  ~atomic_file() { abandon(); }

  const std::string& path() const noexcept { return final_; }
  // Bytes appended so far.
  std::uint64_t size() const noexcept { return file_ ? file_->size() : 0; }

  TFCKPT_LAZY result<void> append(std::string_view bytes) {
    if (!file_) return make_error(errc::invalid_argument, "append to a committed file").in_file(final_);
    return file_->append(bytes);
  }
  // REQUIRES: not committed yet. On failure the temporary file is removed and `path` untouched.
  TFCKPT_LAZY result<void> commit() {
    if (!file_) return make_error(errc::invalid_argument, "file committed twice").in_file(final_);
    auto r = finish();
    if (!r) abandon();
    else file_.reset();
    return r;
  }

 private:
  atomic_file() = default;
  TFCKPT_LAZY result<void> finish() {
    TFCKPT_TRY(file_->sync());
    TFCKPT_TRY(file_->close());
    TFCKPT_TRY(detail::rename_file(file_->path(), final_));
    return detail::fsync_directory(detail::path_dirname(final_));
  }
  void abandon() noexcept {
    if (!file_) return;
    (void)file_->close();
    if (!file_->path().empty()) (void)detail::remove_file(file_->path());
    file_.reset();
  }
  std::string final_;
  std::optional<detail::writable_file> file_;
};

}  // namespace tfckpt
