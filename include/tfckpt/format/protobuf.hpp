// tfckpt: a minimal protobuf wire-format codec, just enough for the few TensorFlow messages a
// checkpoint holds. Decoding skips unknown fields (forward compatibility); encoding emits fields
// in ascending field-number order with proto3 default omission, as TF's serializers do, so our
// bytes equal TensorFlow's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config.hpp"
#include "coding.hpp"

namespace tfckpt::detail {

enum class wire_type : std::uint8_t {
  varint = 0,
  fixed64 = 1,
  length_delimited = 2,
  start_group = 3,  // deprecated groups: never used by TF messages; rejected
  end_group = 4,
  fixed32 = 5,
};

// Pull parser over one serialized message. Every read is bounds-checked; a false return means
// malformed input and leaves the reader in an unspecified (but safe) state.
class proto_reader {
 public:
  explicit proto_reader(std::string_view in) noexcept : p_(in.data()), end_(in.data() + in.size()) {}

  bool done() const noexcept { return p_ == end_; }

  // Reads the next tag. Field number 0 and wire types 3, 4, 6, 7 are malformed.
  TFCKPT_ALWAYS_INLINE bool next(std::uint32_t& field, wire_type& type) noexcept {
    std::uint64_t tag;
    if (!varint(tag) || tag > 0xffffffffu) return false;
    field = static_cast<std::uint32_t>(tag >> 3);
    const auto t = static_cast<std::uint8_t>(tag & 7);
    if (field == 0 || t == 3 || t == 4 || t > 5) return false;
    type = static_cast<wire_type>(t);
    return true;
  }
  bool read_varint(std::uint64_t& v) noexcept { return varint(v); }
  // int32/int64/enum fields: negative values travel as sign-extended 64-bit varints.
  TFCKPT_ALWAYS_INLINE bool read_int64(std::int64_t& v) noexcept {
    std::uint64_t u = 0;  // g++ 12 -O2 -Wmaybe-uninitialized false positive in callers otherwise
    if (!varint(u)) return false;
    v = static_cast<std::int64_t>(u);
    return true;
  }
  bool read_int32(std::int32_t& v) noexcept {
    std::int64_t w;
    if (!read_int64(w)) return false;
    v = static_cast<std::int32_t>(w);  // protobuf truncates int32 the same way
    return true;
  }
  bool read_bool(bool& v) noexcept {
    std::uint64_t u;
    if (!varint(u)) return false;
    v = u != 0;
    return true;
  }
  bool read_fixed32(std::uint32_t& v) noexcept {
    if (end_ - p_ < 4) return false;
    v = decode_fixed32(p_);
    p_ += 4;
    return true;
  }
  TFCKPT_ALWAYS_INLINE bool read_bytes(std::string_view& v) noexcept {
    std::uint64_t n;
    if (!varint(n) || n > static_cast<std::uint64_t>(end_ - p_)) return false;
    v = std::string_view(p_, static_cast<std::size_t>(n));
    p_ += n;
    return true;
  }

  bool skip(wire_type type) noexcept {
    switch (type) {
      case wire_type::varint: { std::uint64_t u; return varint(u); }
      case wire_type::fixed64: if (end_ - p_ < 8) return false; p_ += 8; return true;
      case wire_type::fixed32: if (end_ - p_ < 4) return false; p_ += 4; return true;
      case wire_type::length_delimited: { std::string_view s; return read_bytes(s); }
      default: return false;
    }
  }

 private:
  TFCKPT_ALWAYS_INLINE bool varint(std::uint64_t& v) noexcept { return get_varint64(p_, end_, v); }

  const char* p_;
  const char* end_;
};

// Appends fields to `out`. Callers emit fields in ascending field-number order.
class proto_writer {
 public:
  explicit proto_writer(std::string& out) noexcept : out_(out) {}

  void tag(std::uint32_t field, wire_type t) { put_varint32(out_, (field << 3) | static_cast<std::uint32_t>(t)); }
  // proto3 scalar: omitted when zero.
  void uint64_field(std::uint32_t field, std::uint64_t v) {
    if (v == 0) return;
    tag(field, wire_type::varint);
    put_varint64(out_, v);
  }
  void int64_field(std::uint32_t field, std::int64_t v) { uint64_field(field, static_cast<std::uint64_t>(v)); }
  void bool_field(std::uint32_t field, bool v) { uint64_field(field, v ? 1 : 0); }
  // Emitted even when zero: for oneof members and explicitly present values.
  void int64_field_always(std::uint32_t field, std::int64_t v) {
    tag(field, wire_type::varint);
    put_varint64(out_, static_cast<std::uint64_t>(v));
  }
  void fixed32_field(std::uint32_t field, std::uint32_t v) {
    if (v == 0) return;
    tag(field, wire_type::fixed32);
    put_fixed32(out_, v);
  }
  void string_field(std::uint32_t field, std::string_view v) {
    if (v.empty()) return;
    bytes_field_always(field, v);
  }
  // Sub-messages are emitted whenever set, even if empty (`12 00` for a scalar shape).
  void bytes_field_always(std::uint32_t field, std::string_view v) {
    tag(field, wire_type::length_delimited);
    put_varint64(out_, v.size());
    out_.append(v);
  }
  // A sub-message, present even when empty: fill(proto_writer&) writes its fields.
  template <class Fill>
  void message_field(std::uint32_t field, Fill&& fill) {
    std::string sub;
    proto_writer w(sub);
    fill(w);
    bytes_field_always(field, sub);
  }

 private:
  std::string& out_;
};

}  // namespace tfckpt::detail
