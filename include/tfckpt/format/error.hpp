// tfckpt: errors as values. The core never throws; result<T> carries either a value or an
// error that names the file, the key and the byte offset where things went wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "config.hpp"

namespace tfckpt {

// Internals live in tfckpt::detail, whatever their layer; `graph` and `reflect` are the former
// names of the object graph's and the reflection's part of it, kept so that code written
// against them (tfckpt_describe members: graph::live_tree, reflect::add_child) still compiles.
namespace detail {}
namespace graph = detail;
namespace reflect = detail;

enum class errc {
  ok = 0,
  io_error,           // open/read/write/rename failed (errno text in the message)
  not_found,          // file, key or checkpoint does not exist
  corruption,         // structurally invalid bytes (bad varint, bad block, bad proto, ...)
  checksum_mismatch,  // a stored crc32c disagrees with the bytes
  unsupported,        // valid but not handled (legacy V1 format, big-endian variant, ...)
  invalid_argument,   // the caller asked for something impossible
  limit_exceeded,     // a size, count or depth above the configured limits
  dtype_mismatch,     // stored dtype differs from the requested one (TensorFlow does not cast)
  shape_mismatch,     // stored shape differs from the requested one
  version_mismatch,   // bundle header version not readable by this consumer
  unmatched,          // restore: objects or values left unmatched
};

constexpr std::string_view to_string(errc c) noexcept {
  switch (c) {
    case errc::ok: return "ok";
    case errc::io_error: return "io_error";
    case errc::not_found: return "not_found";
    case errc::corruption: return "corruption";
    case errc::checksum_mismatch: return "checksum_mismatch";
    case errc::unsupported: return "unsupported";
    case errc::invalid_argument: return "invalid_argument";
    case errc::limit_exceeded: return "limit_exceeded";
    case errc::dtype_mismatch: return "dtype_mismatch";
    case errc::shape_mismatch: return "shape_mismatch";
    case errc::version_mismatch: return "version_mismatch";
    case errc::unmatched: return "unmatched";
  }
  return "unknown";
}

// Marks "no byte offset known".
inline constexpr std::uint64_t no_offset = ~std::uint64_t{0};

struct error {
  errc code = errc::ok;
  std::string message;
  std::string file;                 // empty when not tied to a file
  std::string key;                  // tensor key or object path; may hold binary slice keys
  std::uint64_t offset = no_offset; // byte offset in `file`

  error() = default;
  error(errc c, std::string msg) : code(c), message(std::move(msg)) {}

  // Context is added as an error travels outwards; inner (more precise) context wins.
  error& in_file(std::string_view f) & { if (file.empty()) file = f; return *this; }
  error&& in_file(std::string_view f) && { return std::move(in_file(f)); }
  error& at_key(std::string_view k) & { if (key.empty()) key = k; return *this; }
  error&& at_key(std::string_view k) && { return std::move(at_key(k)); }
  error& at_offset(std::uint64_t o) & { if (offset == no_offset) offset = o; return *this; }
  error&& at_offset(std::uint64_t o) && { return std::move(at_offset(o)); }

  // "file: key 'k': at offset N: message [code]"
  std::string to_string() const {
    std::string s;
    if (!file.empty()) s += printable_path(file) + ": ";
    if (!key.empty()) s += "key '" + printable(key) + "': ";
    if (offset != no_offset) s += "at offset " + std::to_string(offset) + ": ";
    s += message;
    s += " [";
    s += tfckpt::to_string(code);
    s += "]";
    return s;
  }

  // Keys can be binary (slice keys); show them escaped, never raw control bytes.
  static std::string printable(std::string_view k) { return escaped(k, /*keep_high=*/false); }

  // Paths keep their UTF-8; only control bytes and DEL are escaped (\xNN), so a file name
  // holding an escape sequence or a newline cannot rewrite a terminal or forge a line of output.
  static std::string printable_path(std::string_view p) { return escaped(p, /*keep_high=*/true); }

 private:
  static std::string escaped(std::string_view k, bool keep_high) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char ch : k) {
      if (ch >= 0x20 && ch != 0x7f && (keep_high || (ch < 0x7f && ch != '\\'))) {
        out += static_cast<char>(ch);
      } else {
        out += "\\x";
        out += hex[ch >> 4];
        out += hex[ch & 15];
      }
    }
    return out;
  }
};

#if TFCKPT_HAS_EXCEPTIONS
// Thrown only by the opt-in accessor result::value().
class bad_result : public std::runtime_error {
 public:
  explicit bad_result(tfckpt::error e) : std::runtime_error(e.to_string()), error_(std::move(e)) {}
  const tfckpt::error& error() const noexcept { return error_; }

 private:
  tfckpt::error error_;
};
#define TFCKPT_THROW_ERROR(e) TFCKPT_THROW(::tfckpt::bad_result(e))
#else
#define TFCKPT_THROW_ERROR(e) TFCKPT_THROW(e)
#endif

// An error that never allocates: static text, a view of the key or object path (which must
// outlive it) and a byte offset, with the same names as `error`. restore_from_memory, built for
// embedded users without a heap, returns result<restore_status, static_error>; to_error() gives
// the ordinary error (which allocates) when a caller wants one.
struct static_error {
  errc code = errc::ok;
  const char* message = "ok";
  std::string_view key;              // the variable concerned, when there is one
  std::uint64_t offset = no_offset;  // index-file offset of the block concerned, when known

  error to_error() const { return error(code, message).at_key(key).at_offset(offset); }
  std::string to_string() const { return to_error().to_string(); }
};

inline const error& to_error(const error& e) noexcept { return e; }
inline error to_error(const static_error& e) { return e.to_error(); }

// result<T>: a value or an error. Check with `if (r)`, read with `*r` / `r->`, or `r.value()`
// which throws bad_result (or aborts without exceptions) on error. E is tfckpt::error except
// where a path must not allocate (static_error).
//
// A tagged union rather than std::variant<T, error>: every unit instantiates result<T> for dozens
// of T, and each std::variant brings its visitation tables and special-member machinery (in
// header-only builds that was about a third of the std functions a unit generated).
template <class T, class E = tfckpt::error>
class [[nodiscard]] result {
 public:
  result(T v) : ok_(true) { ::new (static_cast<void*>(&val_)) T(std::move(v)); }  // NOLINT: implicit by design
  result(E e) : ok_(false) {  // NOLINT
    ::new (static_cast<void*>(&err_)) E(std::move(e));
  }
  result(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(o.ok_) { take(std::move(o)); }
  result(const result& o)
    requires std::is_copy_constructible_v<T>
      : ok_(o.ok_) {
    if (ok_)
      ::new (static_cast<void*>(&val_)) T(o.val_);
    else
      ::new (static_cast<void*>(&err_)) E(o.err_);
  }
  result& operator=(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this == &o) return *this;
    destroy();
    ok_ = o.ok_;
    if constexpr (std::is_nothrow_move_constructible_v<T>) {
      take(std::move(o));
    } else {
      // Should T's move throw, leave an (empty) error rather than a destroyed object.
      struct guard {
        result* r;
        ~guard() {
          if (r) {
            r->ok_ = false;
            ::new (static_cast<void*>(&r->err_)) E();
          }
        }
      } g{this};
      take(std::move(o));
      g.r = nullptr;
    }
    return *this;
  }
  result& operator=(const result& o)
    requires std::is_copy_constructible_v<T>
  {
    if (this != &o) *this = result(o);
    return *this;
  }
  ~result() { destroy(); }

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }

  T& operator*() & noexcept { return val_; }
  const T& operator*() const& noexcept { return val_; }
  T&& operator*() && noexcept { return std::move(val_); }
  T* operator->() noexcept { return &val_; }
  const T* operator->() const noexcept { return &val_; }

  T& value() & { check(); return val_; }
  const T& value() const& { check(); return val_; }
  T&& value() && { check(); return std::move(val_); }

  const E& error() const& noexcept { return err_; }
  E& error() & noexcept { return err_; }
  E&& error() && noexcept { return std::move(err_); }

 private:
  void check() const {
    if (!ok_) TFCKPT_THROW_ERROR(to_error(err_));
  }
  void take(result&& o) {
    if (ok_)
      ::new (static_cast<void*>(&val_)) T(std::move(o.val_));
    else
      ::new (static_cast<void*>(&err_)) E(std::move(o.err_));
  }
  void destroy() noexcept {
    if (ok_)
      val_.~T();
    else
      err_.~E();
  }
  union {
    T val_;
    E err_;
  };
  bool ok_;
};

// The error lives in an optional: a success constructs, moves and destroys no strings, which
// matters on per-entry paths (listing 10^5 index entries calls several of these per entry).
template <>
class [[nodiscard]] result<void, tfckpt::error> {
 public:
  // User-provided, so `return {};` does not zero the whole object first (a defaulted
  // constructor makes value-initialization clear every byte of the optional's storage).
  result() noexcept {}
  result(tfckpt::error e) : err_(std::move(e)) {}  // NOLINT

  bool has_value() const noexcept { return !err_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (err_) TFCKPT_THROW_ERROR(*err_);
  }
  // REQUIRES: !has_value() (as for result<T>::error()).
  const tfckpt::error& error() const& noexcept { return *err_; }
  tfckpt::error& error() & noexcept { return *err_; }
  tfckpt::error&& error() && noexcept { return std::move(*err_); }

 private:
  std::optional<tfckpt::error> err_;
};

inline tfckpt::error make_error(errc c, std::string msg) { return tfckpt::error(c, std::move(msg)); }

// What is wrong, as static text: the checks shared by bundle_reader, list_entries and the
// allocation-free restore_from_memory return this; the first two turn it into an error (which
// allocates) with the key, file and offset added, the last reports it as it is.
struct fault {
  errc code = errc::ok;
  const char* what = "ok";
  constexpr explicit operator bool() const noexcept { return code == errc::ok; }
};

inline tfckpt::error make_error(fault f) { return tfckpt::error(f.code, f.what); }

}  // namespace tfckpt

// Propagate an error from an expression yielding result<...>; used inside functions returning
// result<...>. Names its temporary with __LINE__ so it can be used twice in one scope.
#define TFCKPT_CAT2(a, b) a##b
#define TFCKPT_CAT(a, b) TFCKPT_CAT2(a, b)
#define TFCKPT_TRY(expr)                                          \
  do {                                                            \
    auto&& TFCKPT_CAT(tfckpt_r_, __LINE__) = (expr);              \
    if (!TFCKPT_CAT(tfckpt_r_, __LINE__))                         \
      return std::move(TFCKPT_CAT(tfckpt_r_, __LINE__)).error();  \
  } while (0)
