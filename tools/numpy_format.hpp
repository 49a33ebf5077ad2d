// tfckpt CLI: tensor values printed the way `print(numpy_array)` does with numpy's default print
// options (numpy 2.x arrayprint: linewidth 75, threshold 1000, edgeitems 3, precision 8,
// floatmode 'maxprec'), which is what TensorFlow's print_tensors_in_checkpoint_file shows.
//
// Element formatting follows numpy's FloatingFormat / IntegerFormat / BoolFormat /
// ComplexFloatingFormat and _formatArray; 0-d tensors print like numpy scalars (str()). Floats
// use the shortest decimal that round-trips in the tensor's own dtype (Dragon4 "unique"), so a
// float16 0.1 prints as 0.1, not as the float32 0.099975586.
//
// Deliberate differences from TF/numpy: bfloat16 and float8 (ml_dtypes types, which numpy prints
// with C++ ostream's 6-digit %g and no alignment) are formatted like numpy floats; variant and
// resource elements (TF prints "<not convertible to a numpy dtype>") are shown as bytes literals
// of their serialized bytes.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tfckpt/format/bundle_proto.hpp>
#include <tfckpt/format/dtype.hpp>
#include <tfckpt/format/half.hpp>
#include <tfckpt/bundle/tensor.hpp>

namespace tfckpt_cli {

using tfckpt::dtype;
using tfckpt::shape_t;

// ---- byte strings -----------------------------------------------------------------------------

// Python's repr(bytes): b'...' (b"..." when the bytes hold ' but no ").
inline std::string python_bytes_repr(std::string_view b) {
  static constexpr char hex[] = "0123456789abcdef";
  const bool dq = b.find('\'') != std::string_view::npos && b.find('"') == std::string_view::npos;
  const char q = dq ? '"' : '\'';
  std::string out;
  out.reserve(b.size() + 3);
  out += 'b';
  out += q;
  for (unsigned char c : b) {
    if (c == '\\' || c == static_cast<unsigned char>(q)) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += q;
  return out;
}

// ---- floating-point kinds ---------------------------------------------------------------------

// The storage format of a floating value: decides the shortest round-trip digits and numpy's
// positional/scientific cutoffs.
enum class fkind { f64, f32, f16, bf16, f8_e5m2, f8_e4m3fn, f8_e4m3fnuz, f8_e4m3b11fnuz, f8_e5m2fnuz };

struct minifloat_spec {
  int ebits, mbits, bias;
  bool ieee;  // IEEE specials (inf, nan); else "fn" (only S.1111.111 is NaN) or "fnuz" (0x80 is NaN)
  bool fnuz;
};

inline minifloat_spec spec_of(fkind k) {
  switch (k) {
    case fkind::f8_e5m2: return {5, 2, 15, true, false};
    case fkind::f8_e4m3fn: return {4, 3, 7, false, false};
    case fkind::f8_e4m3fnuz: return {4, 3, 8, false, true};
    case fkind::f8_e4m3b11fnuz: return {4, 3, 11, false, true};
    case fkind::f8_e5m2fnuz: return {5, 2, 16, false, true};
    case fkind::f16: return {5, 10, 15, true, false};
    default: return {8, 7, 127, true, false};  // bf16
  }
}

// Decodes the magnitude bits (sign stripped) of a small float format; NaN for NaN codes.
inline double decode_magnitude(std::uint32_t code, const minifloat_spec& s) {
  const std::uint32_t emax = (1u << s.ebits) - 1, mmask = (1u << s.mbits) - 1;
  const std::uint32_t e = code >> s.mbits, m = code & mmask;
  if (s.ieee && e == emax) return m == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  if (!s.ieee && !s.fnuz && e == emax && m == mmask) return std::numeric_limits<double>::quiet_NaN();
  if (e == 0) return std::ldexp(static_cast<double>(m), 1 - s.bias - s.mbits);
  return std::ldexp(1.0 + std::ldexp(static_cast<double>(m), -s.mbits), static_cast<int>(e) - s.bias);
}

inline double decode_minifloat(std::uint32_t bits, fkind k) {
  const minifloat_spec s = spec_of(k);
  const std::uint32_t nbits = 1 + static_cast<std::uint32_t>(s.ebits + s.mbits);
  const std::uint32_t sign = bits >> (nbits - 1) & 1, code = bits & ((1u << (nbits - 1)) - 1);
  if (s.fnuz && sign && code == 0) return std::numeric_limits<double>::quiet_NaN();
  const double v = decode_magnitude(code, s);
  return sign ? -v : v;
}

// numpy's largest value printed positionally: 10**min(8, finfo.precision) in arrays,
// 10**finfo.precision (1e16 for float64) for scalars. ml_dtypes kinds use float32's.
inline double array_exp_cutoff(fkind k) { return k == fkind::f16 ? 1e3 : k == fkind::f64 ? 1e8 : 1e6; }
inline double scalar_exp_cutoff(fkind k) { return k == fkind::f16 ? 1e3 : k == fkind::f64 ? 1e16 : 1e6; }

// A decimal: value = 0.d1d2d3... * 10^(exp10 + 1), i.e. d1.d2d3... * 10^exp10. digits has no
// leading or trailing zeros, except that zero is {"0", 0}.
struct decimal {
  std::string digits;
  int exp10 = 0;
};

// Parses std::to_chars scientific output ("d.ddde+XX", no sign) into a decimal.
inline decimal parse_sci(std::string_view s) {
  decimal d;
  const auto e = s.find('e');
  for (char c : s.substr(0, e))
    if (c != '.') d.digits += c;
  std::from_chars(s.data() + e + 2, s.data() + s.size(), d.exp10);
  if (s[e + 1] == '-') d.exp10 = -d.exp10;
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  if (d.digits == "0") d.exp10 = 0;
  return d;
}

// |v| rounded to `sig` significant digits (round-half-even on the exact binary value).
inline decimal round_significant(double v, int sig) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific, sig - 1);
  return parse_sci(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

// |v| rounded to `frac` fractional digits.
inline decimal round_fraction(double v, int frac) {
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::fixed, frac);
  std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
  decimal d;
  const auto dot = s.find('.');
  std::string all = std::string(s.substr(0, dot)) + (dot == std::string_view::npos ? "" : std::string(s.substr(dot + 1)));
  const int int_len = static_cast<int>(dot == std::string_view::npos ? s.size() : dot);
  const auto first = all.find_first_not_of('0');
  if (first == std::string::npos) return {"0", 0};
  d.exp10 = int_len - 1 - static_cast<int>(first);
  d.digits = all.substr(first);
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
  return d;
}

// Shortest digits that identify |v| within a small float format: the neighbours' midpoints bound
// the interval.
inline decimal shortest_small(double v, fkind k) {
  const minifloat_spec s = spec_of(k);
  const double a = std::fabs(v);
  // Find the magnitude code of a (formats are at most 16 bits: a binary search over codes).
  const std::uint32_t ncodes = 1u << (s.ebits + s.mbits);
  std::uint32_t lo_c = 0, hi_c = ncodes - 1;
  while (lo_c < hi_c) {  // first code whose value >= a (NaN codes sit at the top)
    const std::uint32_t mid = (lo_c + hi_c) / 2;
    const double m = decode_magnitude(mid, s);
    if (std::isnan(m) || m >= a) hi_c = mid;
    else lo_c = mid + 1;
  }
  const std::uint32_t c = lo_c;
  const double below = c == 0 ? -decode_magnitude(1, s) : decode_magnitude(c - 1, s);
  double above = c + 1 < ncodes ? decode_magnitude(c + 1, s) : std::numeric_limits<double>::quiet_NaN();
  if (!std::isfinite(above)) above = a + (a - below);
  const double lo = (below + a) / 2, hi = (a + above) / 2;
  // Round-half-even: a decimal exactly on a midpoint reads back as this value when its mantissa
  // is even (numpy's Dragon4 accepts it then too).
  const bool even = (c & 1u) == 0;
  auto inside = [&](const decimal& d) {
    std::string t = d.digits.substr(0, 1) + "." + d.digits.substr(1) + "e" + std::to_string(d.exp10);
    double x = 0;
    std::from_chars(t.data(), t.data() + t.size(), x);
    return even ? x >= lo && x <= hi : x > lo && x < hi;
  };
  for (int p = 1; p <= 17; ++p) {
    decimal d = round_significant(a, p);
    if (inside(d)) return d;
    // The nearest p-digit decimal may fall outside a lopsided interval (at powers of two) while
    // its neighbour on the wide side is inside.
    std::uint64_t m = 0;
    std::string full = d.digits;
    full.resize(static_cast<std::size_t>(p), '0');
    std::from_chars(full.data(), full.data() + full.size(), m);
    for (int dir : {1, -1}) {
      const std::uint64_t mm = dir > 0 ? m + 1 : m - 1;
      if (mm == 0) continue;
      std::string t = std::to_string(mm);
      decimal alt;
      alt.exp10 = d.exp10 + static_cast<int>(t.size()) - p;
      alt.digits = t;
      while (alt.digits.size() > 1 && alt.digits.back() == '0') alt.digits.pop_back();
      if (inside(alt)) return alt;
    }
  }
  return round_significant(a, 17);
}

// Shortest round-trip digits of |v| in format k. REQUIRES: v finite.
inline decimal shortest(double v, fkind k) {
  if (v == 0) return {"0", 0};
  char buf[64];
  std::to_chars_result r;
  if (k == fkind::f64) r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  else if (k == fkind::f32) r = std::to_chars(buf, buf + sizeof buf, std::fabs(static_cast<float>(v)), std::chars_format::scientific);
  else return shortest_small(v, k);
  return parse_sci(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

// numpy Dragon4 trim modes: 'k' keep (pad to min_digits), '.' keep the point ("1."),
// '0' leave one zero ("1.0"), '-' drop zeros and point ("1").
struct positional_opts {
  int precision = -1;  // max fractional digits (-1: none)
  int min_digits = 0;
  char trim = '.';
  bool plus = false;   // sign '+'
  int pad_left = 0;
  int pad_right = 0;
};

inline decimal unique_digits_positional(double v, fkind k, int precision) {
  decimal d = shortest(v, k);
  const int frac = static_cast<int>(d.digits.size()) - d.exp10 - 1;
  if (precision >= 0 && frac > precision && d.digits != "0") d = round_fraction(v, precision);
  return d;
}

inline decimal unique_digits_scientific(double v, fkind k, int precision) {
  decimal d = shortest(v, k);
  if (precision >= 0 && static_cast<int>(d.digits.size()) - 1 > precision && d.digits != "0")
    d = round_significant(v, precision + 1);
  return d;
}

inline std::string sign_str(double v, bool plus) { return std::signbit(v) ? "-" : plus ? "+" : ""; }

inline std::string render_positional(double v, const decimal& d, const positional_opts& o) {
  std::string ip, fp;
  const int n = static_cast<int>(d.digits.size());
  if (d.digits == "0") {
    ip = "0";
  } else if (d.exp10 >= 0) {
    ip = d.digits.substr(0, static_cast<std::size_t>(std::min(n, d.exp10 + 1)));
    if (n < d.exp10 + 1) ip.append(static_cast<std::size_t>(d.exp10 + 1 - n), '0');
    if (n > d.exp10 + 1) fp = d.digits.substr(static_cast<std::size_t>(d.exp10 + 1));
  } else {
    ip = "0";
    fp = std::string(static_cast<std::size_t>(-d.exp10 - 1), '0') + d.digits;
  }
  if (static_cast<int>(fp.size()) < o.min_digits) fp.append(static_cast<std::size_t>(o.min_digits) - fp.size(), '0');
  std::string out = sign_str(v, o.plus) + ip;
  if (out.size() < static_cast<std::size_t>(o.pad_left)) out.insert(0, static_cast<std::size_t>(o.pad_left) - out.size(), ' ');
  if (!fp.empty()) {
    out += '.';
    out += fp;
  } else if (o.trim == '.' || o.trim == 'k') {
    out += '.';
  } else if (o.trim == '0') {
    out += ".0";
    fp = "0";
  }
  if (static_cast<int>(fp.size()) < o.pad_right) out.append(static_cast<std::size_t>(o.pad_right) - fp.size(), ' ');
  return out;
}

struct scientific_opts {
  int precision = -1;
  int min_digits = 0;
  char trim = '.';
  bool plus = false;
  int pad_left = 0;
  int exp_digits = 2;
};

inline std::string render_scientific(double v, const decimal& d, const scientific_opts& o) {
  std::string out = sign_str(v, o.plus) + d.digits.substr(0, 1);
  if (out.size() < static_cast<std::size_t>(o.pad_left)) out.insert(0, static_cast<std::size_t>(o.pad_left) - out.size(), ' ');
  std::string fp = d.digits.size() > 1 ? d.digits.substr(1) : "";
  if (static_cast<int>(fp.size()) < o.min_digits) fp.append(static_cast<std::size_t>(o.min_digits) - fp.size(), '0');
  if (!fp.empty()) out += '.' + fp;
  else if (o.trim == '.' || o.trim == 'k') out += '.';
  else if (o.trim == '0') out += ".0";
  std::string e = std::to_string(std::abs(d.exp10));
  if (static_cast<int>(e.size()) < o.exp_digits) e.insert(0, static_cast<std::size_t>(o.exp_digits) - e.size(), '0');
  out += d.exp10 < 0 ? "e-" : "e+";
  out += e;
  return out;
}

// numpy float scalar str(): positional in [1e-4, cutoff) (and for 0), else scientific; trim is
// '0' for real scalars ("1.0", "1e+20") and '-' inside complex scalars ("(1+2j)").
inline std::string format_float_scalar(double v, fkind k, char trim_pos, char trim_sci, bool plus = false) {
  if (std::isnan(v)) return plus ? "+nan" : "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : plus ? "+inf" : "inf";
  const double a = std::fabs(v);
  if (a == 0 || (a < scalar_exp_cutoff(k) && a >= 1e-4)) {
    positional_opts o;
    o.trim = trim_pos;
    o.plus = plus;
    return render_positional(v, shortest(v, k), o);
  }
  scientific_opts o;
  o.trim = trim_sci;
  o.plus = plus;
  return render_scientific(v, shortest(v, k), o);
}

// numpy FloatingFormat (floatmode 'maxprec', precision 8, sign '-' or '+'), fitted to the
// shown values.
class floating_format {
 public:
  floating_format(const std::vector<double>& data, fkind k, bool plus) : k_(k), plus_(plus) {
    std::vector<double> finite;
    bool any_neg_inf = false;
    for (double v : data) {
      if (std::isfinite(v)) finite.push_back(v);
      else if (std::isinf(v) && v < 0) any_neg_inf = true;
    }
    double mx = 0, mn = std::numeric_limits<double>::infinity();
    bool any_nonzero = false;
    for (double v : finite) {
      if (v == 0) continue;
      any_nonzero = true;
      mx = std::max(mx, std::fabs(v));
      mn = std::min(mn, std::fabs(v));
    }
    if (any_nonzero && (mx >= array_exp_cutoff(k) || mn < 1e-4 || mx / mn > 1000.0)) exp_ = true;
    if (finite.empty()) {
      pad_left_ = pad_right_ = 0;
      exp_size_ = -1;
    } else if (exp_) {
      int frac = 0, ipart = 0, esize = 0;
      for (double v : finite) {
        const decimal d = unique_digits_scientific(v, k, 8);
        frac = std::max(frac, static_cast<int>(d.digits.size()) - 1);
        ipart = std::max(ipart, 1 + (std::signbit(v) || plus ? 1 : 0));
        esize = std::max(esize, 1 + std::max(2, static_cast<int>(std::to_string(std::abs(d.exp10)).size())));
      }
      exp_size_ = esize - 1;
      precision_ = frac;
      pad_left_ = ipart;
      pad_right_ = exp_size_ + 2 + precision_;
    } else {
      int frac = 0, ipart = 0;
      for (double v : finite) {
        const decimal d = unique_digits_positional(v, k, 8);
        const int n = static_cast<int>(d.digits.size());
        const int ilen = d.digits == "0" || d.exp10 < 0 ? 1 : d.exp10 + 1;
        const int flen = d.digits == "0" ? 0 : std::max(0, n - d.exp10 - 1);
        ipart = std::max(ipart, ilen + (std::signbit(v) || plus ? 1 : 0));
        frac = std::max(frac, flen);
      }
      pad_left_ = ipart;
      pad_right_ = frac;
      exp_size_ = -1;
    }
    if (finite.size() != data.size()) {
      const bool neginf = plus || any_neg_inf;
      const int offset = pad_right_ + 1;
      pad_left_ = std::max({pad_left_, 3 - offset, 3 + (neginf ? 1 : 0) - offset});
    }
  }

  std::string operator()(double v) const {
    if (!std::isfinite(v)) {
      std::string r = std::isnan(v) ? (plus_ ? "+nan" : "nan") : (v < 0 ? "-inf" : plus_ ? "+inf" : "inf");
      const int w = pad_left_ + pad_right_ + 1;
      if (static_cast<int>(r.size()) < w) r.insert(0, static_cast<std::size_t>(w) - r.size(), ' ');
      return r;
    }
    if (exp_) {
      scientific_opts o;
      o.precision = precision_;
      o.min_digits = precision_;
      o.trim = 'k';
      o.plus = plus_;
      o.pad_left = pad_left_;
      o.exp_digits = exp_size_;
      // Dragon4's min_digits: past the unique digits it prints more of the exact value's digits
      // (rounded), not zeros: float32 3.229949e-07 with 7 digits is 3.2299491e-07.
      decimal d = unique_digits_scientific(v, k_, precision_);
      if (static_cast<int>(d.digits.size()) - 1 < precision_ && d.digits != "0") d = round_significant(v, precision_ + 1);
      return render_scientific(v, d, o);
    }
    positional_opts o;
    o.precision = 8;
    o.min_digits = 0;
    o.trim = '.';
    o.plus = plus_;
    o.pad_left = pad_left_;
    o.pad_right = pad_right_;
    return render_positional(v, unique_digits_positional(v, k_, 8), o);
  }

 private:
  fkind k_;
  bool plus_;
  bool exp_ = false;
  int pad_left_ = 0, pad_right_ = 0, exp_size_ = -1, precision_ = 8;
};

// ---- element access ---------------------------------------------------------------------------

enum class ecat { floating, complex, signed_int, unsigned_int, boolean, bytes };

inline bool float_kind_of(dtype t, fkind& k) {
  switch (t) {
    case dtype::float64: k = fkind::f64; return true;
    case dtype::float32: k = fkind::f32; return true;
    case dtype::float16: k = fkind::f16; return true;
    case dtype::bfloat16: k = fkind::bf16; return true;
    case dtype::float8_e5m2: k = fkind::f8_e5m2; return true;
    case dtype::float8_e4m3fn: k = fkind::f8_e4m3fn; return true;
    case dtype::float8_e4m3fnuz: k = fkind::f8_e4m3fnuz; return true;
    case dtype::float8_e4m3b11fnuz: k = fkind::f8_e4m3b11fnuz; return true;
    case dtype::float8_e5m2fnuz: k = fkind::f8_e5m2fnuz; return true;
    default: return false;
  }
}

inline ecat category_of(dtype t) {
  fkind k;
  if (float_kind_of(t, k)) return ecat::floating;
  switch (t) {
    case dtype::complex64: case dtype::complex128: return ecat::complex;
    case dtype::int8: case dtype::int16: case dtype::int32: case dtype::int64: case dtype::qint8:
    case dtype::qint16: case dtype::qint32: case dtype::int4: return ecat::signed_int;
    case dtype::uint8: case dtype::uint16: case dtype::uint32: case dtype::uint64: case dtype::quint8:
    case dtype::quint16: case dtype::uint4: return ecat::unsigned_int;
    case dtype::bool_: return ecat::boolean;
    default: return ecat::bytes;  // string, variant, resource
  }
}

// Typed reads of element i of a fixed-size tensor (little-endian host assumed, as the library).
template <class T>
inline T load(const tfckpt::tensor& t, std::size_t i) {
  T v;
  std::memcpy(&v, t.bytes().data() + i * sizeof(T), sizeof(T));
  return v;
}

inline double float_at(const tfckpt::tensor& t, std::size_t i) {
  switch (t.dtype()) {
    case dtype::float64: return load<double>(t, i);
    case dtype::float32: return static_cast<double>(load<float>(t, i));
    case dtype::float16: return static_cast<double>(tfckpt::float16::from_bits(load<std::uint16_t>(t, i)).to_float());
    case dtype::bfloat16: return static_cast<double>(tfckpt::bfloat16::from_bits(load<std::uint16_t>(t, i)).to_float());
    default: {
      fkind k = fkind::f32;
      float_kind_of(t.dtype(), k);
      return decode_minifloat(load<std::uint8_t>(t, i), k);
    }
  }
}

inline fkind complex_part_kind(dtype t) { return t == dtype::complex64 ? fkind::f32 : fkind::f64; }

inline std::pair<double, double> complex_at(const tfckpt::tensor& t, std::size_t i) {
  if (t.dtype() == dtype::complex64) return {load<float>(t, 2 * i), load<float>(t, 2 * i + 1)};
  return {load<double>(t, 2 * i), load<double>(t, 2 * i + 1)};
}

inline std::int64_t signed_at(const tfckpt::tensor& t, std::size_t i) {
  switch (t.dtype()) {
    case dtype::int8: case dtype::qint8: return load<std::int8_t>(t, i);
    case dtype::int16: case dtype::qint16: return load<std::int16_t>(t, i);
    case dtype::int32: case dtype::qint32: return load<std::int32_t>(t, i);
    case dtype::int4: {  // one element per byte, value in the low nibble
      const auto b = static_cast<std::uint8_t>(load<std::uint8_t>(t, i) & 0x0f);
      return b >= 8 ? static_cast<std::int64_t>(b) - 16 : b;
    }
    default: return load<std::int64_t>(t, i);
  }
}

inline std::uint64_t unsigned_at(const tfckpt::tensor& t, std::size_t i) {
  switch (t.dtype()) {
    case dtype::uint8: case dtype::quint8: return load<std::uint8_t>(t, i);
    case dtype::uint16: case dtype::quint16: return load<std::uint16_t>(t, i);
    case dtype::uint32: return load<std::uint32_t>(t, i);
    case dtype::uint4: return load<std::uint8_t>(t, i) & 0x0fu;
    default: return load<std::uint64_t>(t, i);
  }
}

inline bool bool_at(const tfckpt::tensor& t, std::size_t i) { return load<std::uint8_t>(t, i) != 0; }

// ---- arrays -----------------------------------------------------------------------------------

struct print_options {
  std::size_t linewidth = 75;
  std::size_t threshold = 1000;
  std::size_t edgeitems = 3;
};

// numpy _leading_trailing: the flat indices shown when summarising (all of them otherwise).
inline std::vector<std::size_t> shown_indices(const shape_t& shape, bool summarise, std::size_t edge) {
  std::vector<std::size_t> out{0};
  for (std::size_t ax = 0; ax < shape.size(); ++ax) {
    const auto dim = static_cast<std::size_t>(shape[ax]);
    std::vector<std::size_t> picks;
    if (summarise && dim > 2 * edge) {
      for (std::size_t i = 0; i < edge; ++i) picks.push_back(i);
      for (std::size_t i = dim - edge; i < dim; ++i) picks.push_back(i);
    } else {
      for (std::size_t i = 0; i < dim; ++i) picks.push_back(i);
    }
    std::vector<std::size_t> next;
    next.reserve(out.size() * picks.size());
    for (std::size_t base : out)
      for (std::size_t p : picks) next.push_back(base * dim + p);
    out = std::move(next);
  }
  return out;
}

using element_fn = std::function<std::string(std::size_t)>;

// The per-element formatter numpy would pick, fitted to the elements at `shown`.
inline element_fn make_element_formatter(const tfckpt::tensor& t, const std::vector<std::size_t>& shown) {
  switch (category_of(t.dtype())) {
    case ecat::floating: {
      fkind k = fkind::f32;
      float_kind_of(t.dtype(), k);
      std::vector<double> vals;
      vals.reserve(shown.size());
      for (std::size_t i : shown) vals.push_back(float_at(t, i));
      auto f = std::make_shared<floating_format>(vals, k, false);
      return [f, &t](std::size_t i) { return (*f)(float_at(t, i)); };
    }
    case ecat::complex: {
      std::vector<double> re, im;
      for (std::size_t i : shown) {
        auto [r, m] = complex_at(t, i);
        re.push_back(r);
        im.push_back(m);
      }
      const fkind k = complex_part_kind(t.dtype());
      auto fr = std::make_shared<floating_format>(re, k, false);
      auto fi = std::make_shared<floating_format>(im, k, true);
      return [fr, fi, &t](std::size_t i) {
        auto [r, m] = complex_at(t, i);
        std::string s = (*fr)(r), im_s = (*fi)(m);
        const auto sp = im_s.find_last_not_of(' ') + 1;  // 'j' goes before the padding
        im_s.insert(sp, "j");
        return s + im_s;
      };
    }
    case ecat::signed_int: {
      std::size_t w = 0;
      if (!shown.empty()) {
        std::int64_t mx = std::numeric_limits<std::int64_t>::min(), mn = std::numeric_limits<std::int64_t>::max();
        for (std::size_t i : shown) {
          mx = std::max(mx, signed_at(t, i));
          mn = std::min(mn, signed_at(t, i));
        }
        w = std::max(std::to_string(mx).size(), std::to_string(mn).size());
      }
      return [w, &t](std::size_t i) {
        std::string s = std::to_string(signed_at(t, i));
        if (s.size() < w) s.insert(0, w - s.size(), ' ');
        return s;
      };
    }
    case ecat::unsigned_int: {
      std::size_t w = 0;
      for (std::size_t i : shown) w = std::max(w, std::to_string(unsigned_at(t, i)).size());
      return [w, &t](std::size_t i) {
        std::string s = std::to_string(unsigned_at(t, i));
        if (s.size() < w) s.insert(0, w - s.size(), ' ');
        return s;
      };
    }
    case ecat::boolean:
      return [&t](std::size_t i) { return std::string(bool_at(t, i) ? " True" : "False"); };
    case ecat::bytes:
      break;
  }
  return [&t](std::size_t i) { return python_bytes_repr(t.strings()[i]); };
}

// numpy _formatArray (legacy=False) with separator ' ' and prefix "".
class array_printer {
 public:
  array_printer(const shape_t& shape, element_fn f, bool summarise, const print_options& o)
      : shape_(shape), f_(std::move(f)), summarise_(summarise), o_(o), stride_(shape.size(), 1) {
    for (std::size_t d = shape.size(); d-- > 1;) stride_[d - 1] = stride_[d] * static_cast<std::size_t>(shape[d]);
  }

  std::string run() { return recurse(0, 0, " ", o_.linewidth); }

 private:
  static void extend_line(std::string& s, std::string& line, const std::string& word, std::size_t width,
                          const std::string& next_prefix) {
    bool wrap = line.size() + word.size() > width;
    if (line.size() <= next_prefix.size()) wrap = false;  // wrapping would not help
    if (wrap) {
      const auto end = line.find_last_not_of(' ');
      s.append(line, 0, end == std::string::npos ? 0 : end + 1);
      s += '\n';
      line = next_prefix;
    }
    line += word;
  }

  std::string recurse(std::size_t axis, std::size_t base, const std::string& hanging, std::size_t width) {
    if (axis == shape_.size()) return f_(base);
    const std::string next_hanging = hanging + ' ';
    const std::size_t next_width = width - 1;
    const auto len = static_cast<std::size_t>(shape_[axis]);
    const bool summary = summarise_ && 2 * o_.edgeitems < len;
    const std::size_t leading = summary ? o_.edgeitems : 0;
    const std::size_t trailing = summary ? o_.edgeitems : len;
    auto at = [&](std::size_t i) { return base + i * stride_[axis]; };
    std::string s;
    const std::size_t left = shape_.size() - axis;
    if (left == 1) {
      const std::size_t elem_width = width - 1;  // max(len(separator.rstrip()), len(']'))
      std::string line = hanging;
      for (std::size_t i = 0; i < leading; ++i) {
        extend_line(s, line, recurse(axis + 1, at(i), next_hanging, next_width), elem_width, hanging);
        line += ' ';
      }
      if (summary) {
        extend_line(s, line, "...", elem_width, hanging);
        line += ' ';
      }
      for (std::size_t i = trailing; i > 1; --i) {
        extend_line(s, line, recurse(axis + 1, at(len - i), next_hanging, next_width), elem_width, hanging);
        line += ' ';
      }
      extend_line(s, line, recurse(axis + 1, at(len - 1), next_hanging, next_width), elem_width, hanging);
      s += line;
    } else {
      const std::string line_sep = std::string(left - 1, '\n');
      for (std::size_t i = 0; i < leading; ++i) s += hanging + recurse(axis + 1, at(i), next_hanging, next_width) + line_sep;
      if (summary) s += hanging + "..." + line_sep;
      for (std::size_t i = trailing; i > 1; --i)
        s += hanging + recurse(axis + 1, at(len - i), next_hanging, next_width) + line_sep;
      s += hanging + recurse(axis + 1, at(len - 1), next_hanging, next_width);
    }
    return "[" + s.substr(hanging.size()) + "]";
  }

  const shape_t& shape_;
  element_fn f_;
  bool summarise_;
  print_options o_;
  std::vector<std::size_t> stride_;
};

// numpy str() of a 0-d array: the scalar's str.
inline std::string format_scalar(const tfckpt::tensor& t) {
  switch (category_of(t.dtype())) {
    case ecat::floating: {
      fkind k = fkind::f32;
      float_kind_of(t.dtype(), k);
      return format_float_scalar(float_at(t, 0), k, '0', '-');
    }
    case ecat::complex: {
      auto [r, m] = complex_at(t, 0);
      const fkind k = complex_part_kind(t.dtype());
      if (r == 0 && !std::signbit(r)) return format_float_scalar(m, k, '-', '-') + "j";
      return "(" + format_float_scalar(r, k, '-', '-') + format_float_scalar(m, k, '-', '-', true) + "j)";
    }
    case ecat::signed_int: return std::to_string(signed_at(t, 0));
    case ecat::unsigned_int: return std::to_string(unsigned_at(t, 0));
    case ecat::boolean: return bool_at(t, 0) ? "True" : "False";
    case ecat::bytes: break;
  }
  return t.strings().empty() ? "b''" : python_bytes_repr(t.strings()[0]);
}

// print(np_array) for a tensor read from a bundle.
inline std::string format_tensor(const tfckpt::tensor& t, const print_options& o = {}) {
  const std::int64_t n = t.num_elements();
  if (t.shape().empty()) return format_scalar(t);
  if (n <= 0) return "[]";
  // Elements actually held: guards against a tensor whose storage disagrees with its shape.
  const std::size_t held = category_of(t.dtype()) == ecat::bytes
                               ? t.strings().size()
                               : t.bytes().size() / std::max<std::size_t>(1, tfckpt::dtype_size(t.dtype()));
  if (held < static_cast<std::size_t>(n)) return "<" + std::to_string(held) + " elements stored for shape " + tfckpt::shape_to_string(t.shape()) + ">";
  const bool summarise = static_cast<std::size_t>(n) > o.threshold;
  const auto shown = shown_indices(t.shape(), summarise, o.edgeitems);
  return array_printer(t.shape(), make_element_formatter(t, shown), summarise, o).run();
}

}  // namespace tfckpt_cli
