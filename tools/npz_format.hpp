// tfckpt CLI: numpy's .npz (a zip archive of .npy members, as np.savez writes it), written by
// `tfckpt export --to npz` and read by `tfckpt import`.
//
// Writing: members are stored (no compression), each `NAME.npy` in NPY format 1.0 (2.0 when the
// header exceeds 65535 bytes); zip64 records are used when a size or offset reaches 4 GiB or
// more than 65534 members are written (or always, with force_zip64). Reading: stored members
// only (np.savez_compressed's deflate is refused with a clear error), CRC-32 checked, every size
// and offset bounded by the file. NPY: v1.0/2.0/3.0 headers; little- and big-endian numeric
// descrs, |b1, |Sn and <Un (UTF-32, converted to UTF-8 strings); C or Fortran order.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "convert_common.hpp"

namespace tfckpt_convert::npz {

// ---- NPY ----------------------------------------------------------------------------------------

// numpy's descr for a fixed-size dtype; empty when numpy has no equivalent (bfloat16, float8,
// int4, quantized types).
inline std::string_view descr_of(dtype t) {
  switch (t) {
    case dtype::float64: return "<f8";
    case dtype::float32: return "<f4";
    case dtype::float16: return "<f2";
    case dtype::int64: return "<i8";
    case dtype::int32: return "<i4";
    case dtype::int16: return "<i2";
    case dtype::int8: return "|i1";
    case dtype::uint64: return "<u8";
    case dtype::uint32: return "<u4";
    case dtype::uint16: return "<u2";
    case dtype::uint8: return "|u1";
    case dtype::bool_: return "|b1";
    case dtype::complex64: return "<c8";
    case dtype::complex128: return "<c16";
    default: return {};
  }
}

// `descr` is "<f4", "|S12", ...; shape as a Python tuple. Padded with spaces and a final '\n'
// so the data starts at a multiple of 64 bytes, as numpy writes it.
inline std::string npy_header(std::string_view descr, const shape_t& shape) {
  std::string dict = "{'descr': '" + std::string(descr) + "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < shape.size(); ++i) dict += std::to_string(shape[i]) + (shape.size() == 1 ? "," : i + 1 < shape.size() ? ", " : "");
  dict += "), }";
  std::size_t total = (10 + dict.size() + 1 + 63) / 64 * 64;
  const bool v1 = total - 10 <= 65535;  // version 1.0 stores the header length in 16 bits
  if (!v1) total = (12 + dict.size() + 1 + 63) / 64 * 64;
  const std::size_t pre = v1 ? 10 : 12;
  dict.append(total - pre - dict.size() - 1, ' ');
  dict += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(v1 ? 1 : 2);
  out += '\0';
  put_le(out, dict.size(), v1 ? 2 : 4);
  return out + dict;
}

struct npy_array {
  std::string descr;
  bool fortran = false;
  shape_t shape;
  std::string_view data;  // the bytes after the header
};

// A tiny parser for the Python dict literal of an NPY header.
struct dict_parser {
  std::string_view s;
  std::size_t i = 0;
  void ws() {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  }
  bool eat(char c) {
    ws();
    if (i < s.size() && s[i] == c) return ++i, true;
    return false;
  }
  std::optional<std::string> str() {
    ws();
    if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return std::nullopt;
    const char q = s[i++];
    const auto end = s.find(q, i);
    if (end == std::string_view::npos) return std::nullopt;
    std::string v(s.substr(i, end - i));
    i = end + 1;
    return v;
  }
  std::optional<std::int64_t> integer() {
    ws();
    std::size_t j = i;
    std::uint64_t v = 0;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
      if (v > (std::uint64_t{1} << 62) / 10) return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(s[j++] - '0');
    }
    if (j == i) return std::nullopt;
    if (j < s.size() && s[j] == 'L') ++j;  // Python 2 longs
    i = j;
    return static_cast<std::int64_t>(v);
  }
  std::optional<bool> boolean() {
    ws();
    if (s.substr(i, 4) == "True") return i += 4, true;
    if (s.substr(i, 5) == "False") return i += 5, false;
    return std::nullopt;
  }
};

// Parses one .npy member. `where` names it in errors (file and member).
inline result<npy_array> parse_npy(std::string_view b, const std::string& file, const std::string& member) {
  auto bad = [&](const std::string& what) {
    return make_error(errc::corruption, "npz member '" + member + "': " + what).in_file(file);
  };
  if (b.size() < 10 || b.substr(0, 6) != std::string_view("\x93NUMPY", 6)) return bad("not an NPY array (bad magic)");
  const int major = static_cast<unsigned char>(b[6]);
  if (major < 1 || major > 3) return bad("unsupported NPY format version " + std::to_string(major));
  const std::size_t pre = major == 1 ? 10 : 12;
  if (b.size() < pre) return bad("truncated NPY preamble");
  const std::uint64_t hlen = get_le(b, 8, major == 1 ? 2 : 4);
  if (hlen > b.size() - pre) return bad("NPY header length " + std::to_string(hlen) + " exceeds the member's " +
                                        std::to_string(b.size() - pre) + " remaining bytes");
  dict_parser p{b.substr(pre, static_cast<std::size_t>(hlen))};
  npy_array a;
  bool have_descr = false, have_order = false, have_shape = false;
  if (!p.eat('{')) return bad("NPY header is not a dict");
  while (!p.eat('}')) {
    auto key = p.str();
    if (!key || !p.eat(':')) return bad("malformed NPY header dict");
    if (*key == "descr") {
      auto v = p.str();
      if (!v) return bad("NPY descr is not a simple type string (structured dtypes are not supported)");
      a.descr = *v;
      have_descr = true;
    } else if (*key == "fortran_order") {
      auto v = p.boolean();
      if (!v) return bad("NPY fortran_order is not True/False");
      a.fortran = *v;
      have_order = true;
    } else if (*key == "shape") {
      if (!p.eat('(')) return bad("NPY shape is not a tuple");
      while (!p.eat(')')) {
        auto d = p.integer();
        if (!d) return bad("NPY shape holds something other than a non-negative integer");
        if (a.shape.size() >= tfckpt::max_rank) return bad("NPY shape rank exceeds 254");
        a.shape.push_back(*d);
        if (!p.eat(',')) {
          if (!p.eat(')')) return bad("malformed NPY shape tuple");
          break;
        }
      }
      have_shape = true;
    } else {
      return bad("unknown NPY header key '" + *key + "'");
    }
    if (!p.eat(',')) {
      if (!p.eat('}')) return bad("malformed NPY header dict");
      break;
    }
  }
  if (!have_descr || !have_order || !have_shape) return bad("NPY header lacks descr, fortran_order or shape");
  a.data = b.substr(pre + static_cast<std::size_t>(hlen));
  return a;
}

// ---- zip ----------------------------------------------------------------------------------------

inline constexpr std::uint64_t u32_max = 0xffffffffu;

class zip_writer {
 public:
  explicit zip_writer(output_file& f, bool force_zip64 = false) : f_(f), force64_(force_zip64) {}

  // One stored member whose bytes are the concatenation of `parts`.
  result<void> add(const std::string& name, const std::vector<std::string_view>& parts) {
    if (name.size() > 0xffff) return make_error(errc::invalid_argument, "zip member name longer than 65535 bytes");
    std::uint64_t size = 0;
    std::uint32_t crc = 0;
    for (auto p : parts) size += p.size(), crc = crc32_extend(crc, p);
    const std::uint64_t offset = f_.size();
    const bool z64 = force64_ || size >= u32_max || offset >= u32_max;
    std::string h;
    put_le(h, 0x04034b50, 4);
    put_le(h, z64 ? 45 : 20, 2);
    put_le(h, utf8_flag(name), 2);
    put_le(h, 0, 2);       // stored
    put_le(h, 0, 2);       // time 00:00:00
    put_le(h, 0x21, 2);    // date 1980-01-01
    put_le(h, crc, 4);
    put_le(h, z64 ? u32_max : size, 4);
    put_le(h, z64 ? u32_max : size, 4);
    put_le(h, name.size(), 2);
    put_le(h, z64 ? 20 : 0, 2);
    h += name;
    if (z64) {
      put_le(h, 1, 2);
      put_le(h, 16, 2);
      put_le(h, size, 8);
      put_le(h, size, 8);
    }
    TFCKPT_TRY(f_.append(h));
    for (auto p : parts) TFCKPT_TRY(f_.append(p));
    members_.push_back({name, crc, size, offset});
    return {};
  }

  result<void> finish() {
    const std::uint64_t cd_offset = f_.size();
    std::string cd;
    for (const auto& m : members_) {
      const bool big_size = force64_ || m.size >= u32_max, big_off = force64_ || m.offset >= u32_max;
      std::string extra;
      if (big_size || big_off) {
        std::string fields;
        if (big_size) put_le(fields, m.size, 8), put_le(fields, m.size, 8);
        if (big_off) put_le(fields, m.offset, 8);
        put_le(extra, 1, 2);
        put_le(extra, fields.size(), 2);
        extra += fields;
      }
      const int version = extra.empty() ? 20 : 45;
      put_le(cd, 0x02014b50, 4);
      put_le(cd, version, 2);  // made by: MS-DOS attributes
      put_le(cd, version, 2);
      put_le(cd, utf8_flag(m.name), 2);
      put_le(cd, 0, 2);
      put_le(cd, 0, 2);
      put_le(cd, 0x21, 2);
      put_le(cd, m.crc, 4);
      put_le(cd, big_size ? u32_max : m.size, 4);
      put_le(cd, big_size ? u32_max : m.size, 4);
      put_le(cd, m.name.size(), 2);
      put_le(cd, extra.size(), 2);
      put_le(cd, 0, 2);  // comment
      put_le(cd, 0, 2);  // disk
      put_le(cd, 0, 2);  // internal attributes
      put_le(cd, 0, 4);  // external attributes
      put_le(cd, big_off ? u32_max : m.offset, 4);
      cd += m.name;
      cd += extra;
    }
    TFCKPT_TRY(f_.append(cd));
    const std::uint64_t n = members_.size(), cd_size = cd.size();
    std::string end;
    const bool z64 = force64_ || n >= 0xffff || cd_size >= u32_max || cd_offset >= u32_max;
    if (z64) {
      const std::uint64_t rec = f_.size();
      put_le(end, 0x06064b50, 4);
      put_le(end, 44, 8);
      put_le(end, 45, 2);
      put_le(end, 45, 2);
      put_le(end, 0, 4);
      put_le(end, 0, 4);
      put_le(end, n, 8);
      put_le(end, n, 8);
      put_le(end, cd_size, 8);
      put_le(end, cd_offset, 8);
      put_le(end, 0x07064b50, 4);
      put_le(end, 0, 4);
      put_le(end, rec, 8);
      put_le(end, 1, 4);
    }
    put_le(end, 0x06054b50, 4);
    put_le(end, 0, 2);
    put_le(end, 0, 2);
    put_le(end, z64 ? 0xffff : n, 2);
    put_le(end, z64 ? 0xffff : n, 2);
    put_le(end, z64 ? u32_max : cd_size, 4);
    put_le(end, z64 ? u32_max : cd_offset, 4);
    put_le(end, 0, 2);
    return f_.append(end);
  }

 private:
  static int utf8_flag(std::string_view name) {
    for (unsigned char c : name)
      if (c >= 0x80) return 0x800;  // general purpose bit 11: the name is UTF-8
    return 0;
  }
  struct member {
    std::string name;
    std::uint32_t crc;
    std::uint64_t size, offset;
  };
  output_file& f_;
  bool force64_;
  std::vector<member> members_;
};

struct zip_member {
  std::string name;
  std::string_view data;
};

// The members of a zip held in memory, in central-directory order; stored members only.
inline result<std::vector<zip_member>> read_zip(std::string_view z, const std::string& file) {
  auto bad = [&](const std::string& what) { return make_error(errc::corruption, "npz: " + what).in_file(file); };
  if (z.size() < 22) return bad("file too short for a zip archive");
  // The end-of-central-directory record: the last signature within the last 64 KiB + 22 bytes.
  std::size_t eocd = std::string_view::npos;
  const std::size_t lowest = z.size() > 22 + 0xffff ? z.size() - 22 - 0xffff : 0;
  for (std::size_t i = z.size() - 22 + 1; i-- > lowest;)
    if (get_le(z, i, 4) == 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd == std::string_view::npos) return bad("no zip end-of-central-directory record (not a zip file?)");
  std::uint64_t count = get_le(z, eocd + 10, 2), cd_size = get_le(z, eocd + 12, 4), cd_offset = get_le(z, eocd + 16, 4);
  if (count == 0xffff || cd_size == u32_max || cd_offset == u32_max) {
    if (eocd < 20 || get_le(z, eocd - 20, 4) != 0x07064b50) return bad("zip64 values without a zip64 locator");
    const std::uint64_t rec = get_le(z, eocd - 20 + 8, 8);
    if (rec > z.size() || z.size() - rec < 56 || get_le(z, static_cast<std::size_t>(rec), 4) != 0x06064b50)
      return bad("zip64 end-of-central-directory record missing or out of range");
    const auto r = static_cast<std::size_t>(rec);
    count = get_le(z, r + 32, 8);
    cd_size = get_le(z, r + 40, 8);
    cd_offset = get_le(z, r + 48, 8);
  }
  if (cd_offset > z.size() || cd_size > z.size() - cd_offset) return bad("central directory out of range");
  if (count > cd_size / 46) return bad("central directory claims " + std::to_string(count) + " members in " +
                                       std::to_string(cd_size) + " bytes");
  std::vector<zip_member> out;
  struct span_of {
    std::size_t begin, end, member;  // local header .. end of data
    std::uint64_t crc;
  };
  std::vector<span_of> spans;
  std::size_t at = static_cast<std::size_t>(cd_offset);
  const std::size_t cd_end = static_cast<std::size_t>(cd_offset + cd_size);
  for (std::uint64_t k = 0; k < count; ++k) {
    if (cd_end - at < 46 || get_le(z, at, 4) != 0x02014b50) return bad("bad central directory entry " + std::to_string(k));
    const std::uint64_t flags = get_le(z, at + 8, 2), method = get_le(z, at + 10, 2), crc = get_le(z, at + 16, 4);
    std::uint64_t csize = get_le(z, at + 20, 4), usize = get_le(z, at + 24, 4), off = get_le(z, at + 42, 4);
    const std::size_t nlen = get_le(z, at + 28, 2), elen = get_le(z, at + 30, 2), clen = get_le(z, at + 32, 2);
    if (cd_end - at - 46 < nlen + elen + clen) return bad("central directory entry " + std::to_string(k) + " overruns");
    std::string name(z.substr(at + 46, nlen));
    std::string_view extra = z.substr(at + 46 + nlen, elen);
    at += 46 + nlen + elen + clen;
    auto bad_m = [&](const std::string& what) { return bad("member '" + name + "': " + what); };
    for (std::size_t e = 0; e + 4 <= extra.size();) {  // zip64 extended information
      const std::size_t id = get_le(extra, e, 2), len = get_le(extra, e + 2, 2);
      if (len > extra.size() - e - 4) return bad_m("malformed extra field");
      if (id == 1) {
        std::size_t f = e + 4;
        auto take = [&](std::uint64_t& v) {
          if (v != u32_max) return true;
          if (f + 8 > e + 4 + len) return false;
          v = get_le(extra, f, 8);
          f += 8;
          return true;
        };
        if (!take(usize) || !take(csize) || !take(off)) return bad_m("truncated zip64 extra field");
      }
      e += 4 + len;
    }
    if (flags & 1) return bad_m("encrypted members are not supported");
    if (method != 0)
      return bad_m("compression method " + std::to_string(method) +
                   (method == 8 ? " (deflate, as np.savez_compressed writes)" : "") +
                   " is not supported; only stored members (np.savez) can be imported");
    if (csize != usize) return bad_m("stored member with compressed size != size");
    if (off > z.size() || z.size() - off < 30 || get_le(z, static_cast<std::size_t>(off), 4) != 0x04034b50)
      return bad_m("local header out of range or missing");
    const auto lo = static_cast<std::size_t>(off);
    const std::size_t data_at = lo + 30 + get_le(z, lo + 26, 2) + get_le(z, lo + 28, 2);
    if (data_at > z.size() || usize > z.size() - data_at) return bad_m("data out of range of the file");
    const std::string_view data = z.substr(data_at, static_cast<std::size_t>(usize));
    spans.push_back({lo, data_at + data.size(), out.size(), crc});
    out.push_back({std::move(name), data});
  }
  // Members may not share bytes (np.savez never writes that): otherwise a small archive whose
  // central directory names one big member many times would expand without bound on import.
  // Checked before any CRC, so the CRCs cost at most one pass over the file.
  std::sort(spans.begin(), spans.end(), [](const span_of& a, const span_of& b) { return a.begin < b.begin; });
  for (std::size_t k = 1; k < spans.size(); ++k)
    if (spans[k].begin < spans[k - 1].end)
      return bad("members '" + out[spans[k - 1].member].name + "' and '" + out[spans[k].member].name +
                 "' overlap in the archive (each byte may belong to one member only)");
  for (const span_of& sp : spans)
    if (crc32(out[sp.member].data) != sp.crc) return bad("member '" + out[sp.member].name + "': CRC-32 mismatch");
  return out;
}

}  // namespace tfckpt_convert::npz
