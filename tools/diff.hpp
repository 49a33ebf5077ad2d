// tfckpt CLI: `tfckpt diff A B [--filter REGEX] [--no-optimizer] [--atol X] [--json]`.
//
// Compares two checkpoints key by key (partitioned tensors assembled): keys only in A ("-") or
// only in B ("+"), dtype or shape changes, and for tensors of equal dtype and shape the number
// of differing elements and the largest absolute difference (|a-b| for numbers, the modulus for
// complex; strings and variants count differing elements). NaN equals NaN at the same position.
// Nothing is printed when the checkpoints are identical. Exit status as diff(1): 0 identical,
// 1 differences, 2 error.
#pragma once

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_json.hpp"
#include "convert_common.hpp"
#include "numpy_format.hpp"

namespace tfckpt_convert {

struct value_diff {
  std::uint64_t elements = 0;
  std::uint64_t differing = 0;
  bool numeric = false;
  double max_abs = 0;         // floats and complex (NaN when a NaN meets a number)
  bool integer = false;
  std::uint64_t max_int = 0;  // integers and bools: exact
};

inline value_diff compare_values(const tfckpt::tensor& a, const tfckpt::tensor& b, double atol) {
  using namespace tfckpt_cli;
  value_diff d;
  const auto n = static_cast<std::size_t>(std::max<std::int64_t>(0, a.num_elements()));
  d.elements = n;
  const ecat c = category_of(a.dtype());
  if (c == ecat::bytes) {
    for (std::size_t i = 0; i < n && i < a.strings().size() && i < b.strings().size(); ++i)
      d.differing += a.strings()[i] != b.strings()[i];
    return d;
  }
  if (a.bytes().size() == b.bytes().size() &&
      (a.bytes().empty() || std::memcmp(a.bytes().data(), b.bytes().data(), a.bytes().size()) == 0))
    return d.numeric = c == ecat::floating || c == ecat::complex, d.integer = !d.numeric, d;
  auto fold = [&](double x) {  // NaN is "bigger" than any number
    if (std::isnan(x)) d.max_abs = x;
    else if (!std::isnan(d.max_abs) && x > d.max_abs) d.max_abs = x;
  };
  for (std::size_t i = 0; i < n; ++i) {
    switch (c) {
      case ecat::floating: {
        d.numeric = true;
        const double x = float_at(a, i), y = float_at(b, i);
        if (x == y || (std::isnan(x) && std::isnan(y))) break;
        const double diff = std::isinf(x) && std::isinf(y) ? INFINITY : std::fabs(x - y);
        if (!(diff <= atol)) ++d.differing, fold(diff);
        break;
      }
      case ecat::complex: {
        d.numeric = true;
        const auto [xr, xi] = complex_at(a, i);
        const auto [yr, yi] = complex_at(b, i);
        const bool same_r = xr == yr || (std::isnan(xr) && std::isnan(yr));
        const bool same_i = xi == yi || (std::isnan(xi) && std::isnan(yi));
        if (same_r && same_i) break;
        const double diff = std::hypot(same_r ? 0.0 : xr - yr, same_i ? 0.0 : xi - yi);
        if (!(diff <= atol)) ++d.differing, fold(diff);
        break;
      }
      case ecat::signed_int: {
        d.integer = true;
        const std::int64_t x = signed_at(a, i), y = signed_at(b, i);
        if (x == y) break;
        // The exact distance fits in uint64 even for INT64_MIN vs INT64_MAX.
        const std::uint64_t diff = x > y ? static_cast<std::uint64_t>(x) - static_cast<std::uint64_t>(y)
                                         : static_cast<std::uint64_t>(y) - static_cast<std::uint64_t>(x);
        if (static_cast<double>(diff) > atol) ++d.differing, d.max_int = std::max(d.max_int, diff);
        break;
      }
      case ecat::unsigned_int: case ecat::boolean: {
        d.integer = true;
        const std::uint64_t x = c == ecat::boolean ? bool_at(a, i) : unsigned_at(a, i);
        const std::uint64_t y = c == ecat::boolean ? bool_at(b, i) : unsigned_at(b, i);
        if (x == y) break;
        const std::uint64_t diff = x > y ? x - y : y - x;
        if (static_cast<double>(diff) > atol) ++d.differing, d.max_int = std::max(d.max_int, diff);
        break;
      }
      case ecat::bytes: break;
    }
  }
  return d;
}

inline std::string max_diff_text(const value_diff& d) {
  if (d.integer) return std::to_string(d.max_int);
  if (std::isnan(d.max_abs)) return "nan";
  if (std::isinf(d.max_abs)) return "inf";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", d.max_abs);
  return buf;
}

struct diff_options {
  selection sel;
  double atol = 0;
  bool as_json = false;
};

// 0 identical, 1 differences, 2 error (message on stderr).
inline int run_diff(const std::string& path_a, const std::string& path_b, const diff_options& o,
                    tfckpt_cli::report& rep) {
  using json = nlohmann::ordered_json;
  auto fail = [&rep](const tfckpt::error& e) {
    rep.error(e);
    return 2;
  };
  auto ra = tfckpt::bundle_reader::open(path_a);
  if (!ra) return fail(ra.error());
  auto rb = tfckpt::bundle_reader::open(path_b);
  if (!rb) return fail(rb.error());
  selection sel = o.sel;  // --no-optimizer by both object graphs
  if (auto p = sel.prepare(*ra); !p) return fail(std::move(p).error().in_file(path_a));
  if (auto p = sel.prepare(*rb); !p) return fail(std::move(p).error().in_file(path_b));
  const auto ea = ra->entries(), eb = rb->entries();
  std::string text;
  json only_a = json::array(), only_b = json::array(), changed = json::array();
  auto sig = [](const tfckpt::entry& e) {
    return std::string(tfckpt::dtype_name(e.info.dtype)) + " " + tfckpt::shape_to_string(e.info.shape);
  };
  auto shape_json = [](std::span<const std::int64_t> s) {
    json a = json::array();
    for (auto d : s) a.push_back(d);
    return a;
  };
  std::uint64_t total = 0, count = 0;
  for (const auto& e : ea)
    if (sel.selects(std::string(e.key)) && rb->find(e.key))
      total += static_cast<std::uint64_t>(tfckpt::num_elements(e.info.shape)) * std::max<std::size_t>(1, tfckpt::dtype_size(e.info.dtype)), ++count;
  progress bar("diff", count, total);
  std::uint64_t done = 0, done_bytes = 0;
  std::size_t i = 0, j = 0;
  bool differ = false;
  while (i < ea.size() || j < eb.size()) {
    const int cmp = i == ea.size() ? 1 : j == eb.size() ? -1 : ea[i].key.compare(eb[j].key);
    if (cmp < 0 || cmp > 0) {
      const tfckpt::entry& e = cmp < 0 ? ea[i++] : eb[j++];
      if (!sel.selects(std::string(e.key))) continue;
      differ = true;
      (cmp < 0 ? text += "- " : text += "+ ") += tfckpt::error::printable(e.key) + "  " + sig(e) + "\n";
      (cmp < 0 ? only_a : only_b).push_back({{"key", std::string(e.key)}, {"dtype", std::string(tfckpt::dtype_name(e.info.dtype))}, {"shape", shape_json(e.info.shape)}});
      continue;
    }
    const tfckpt::entry& a = ea[i++];
    const tfckpt::entry& b = eb[j++];
    if (!sel.selects(std::string(a.key))) continue;
    const std::string k = tfckpt::error::printable(a.key);
    if (a.info.dtype != b.info.dtype || a.info.shape != b.info.shape) {
      differ = true;
      text += "~ " + k + "  " + sig(a) + " -> " + sig(b) + "\n";
      changed.push_back({{"key", std::string(a.key)},
                         {"change", a.info.dtype != b.info.dtype ? "dtype" : "shape"},
                         {"a", {{"dtype", std::string(tfckpt::dtype_name(a.info.dtype))}, {"shape", shape_json(a.info.shape)}}},
                         {"b", {{"dtype", std::string(tfckpt::dtype_name(b.info.dtype))}, {"shape", shape_json(b.info.shape)}}}});
      continue;
    }
    auto ta = ra->read(a.key);
    if (!ta) return bar.done(), fail(std::move(ta).error().in_file(path_a));
    auto tb = rb->read(b.key);
    if (!tb) return bar.done(), fail(std::move(tb).error().in_file(path_b));
    const value_diff d = compare_values(*ta, *tb, o.atol);
    done_bytes += static_cast<std::uint64_t>(tfckpt::num_elements(a.info.shape)) * std::max<std::size_t>(1, tfckpt::dtype_size(a.info.dtype));
    bar.update(++done, done_bytes);
    if (d.differing == 0) continue;
    differ = true;
    text += "~ " + k + "  " + sig(a) + ": " + std::to_string(d.differing) + " of " + std::to_string(d.elements) +
            " elements differ";
    json c = {{"key", std::string(a.key)}, {"change", "values"}, {"dtype", std::string(tfckpt::dtype_name(a.info.dtype))},
              {"shape", shape_json(a.info.shape)}, {"differing", d.differing}, {"elements", d.elements}};
    if (d.numeric || d.integer) {
      text += ", max |a-b| = " + max_diff_text(d);
      if (d.integer) c["max_abs_diff"] = d.max_int;
      else if (std::isfinite(d.max_abs)) c["max_abs_diff"] = d.max_abs;
      else c["max_abs_diff"] = max_diff_text(d);
    }
    text += "\n";
    changed.push_back(std::move(c));
  }
  bar.done();
  if (o.as_json) {
    rep.field("identical", !differ);
    rep.field("only_in_a", only_a);
    rep.field("only_in_b", only_b);
    rep.field("changed", changed);
    return differ ? 1 : 0;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return differ ? 1 : 0;
}

// The same, reporting through its own report (one JSON document with o.as_json).
inline int run_diff(const std::string& path_a, const std::string& path_b, const diff_options& o) {
  tfckpt_cli::report rep("diff", o.as_json);
  return run_diff(path_a, path_b, o, rep);
}

}  // namespace tfckpt_convert
