// tfckpt CLI: `tfckpt export PATH --to safetensors|npz OUT [--filter REGEX] [--no-optimizer]`.
//
// Names: a key ending in `/.ATTRIBUTES/VARIABLE_VALUE` is written without that suffix (the rest
// is the escaped object path); other keys are written as they are. The original keys of renamed
// tensors are kept (safetensors: __metadata__ "tfckpt.checkpoint_keys", a JSON object name ->
// key; npz: the member __tfckpt_keys__, an (N, 2) |S array of [name, key] rows), so
// `tfckpt import` can restore them. `_CHECKPOINTABLE_OBJECT_GRAPH` is never exported (import
// builds a new graph). Tensors the format cannot hold are skipped with a warning listing them:
// safetensors: string, variant, complex, quantized, int4 and the float8 types other than
// e5m2/e4m3fn; npz: variant, bfloat16, float8, quantized, int4, and strings with trailing NUL
// bytes (numpy's |S drops them). It is an error when --filter matches nothing or only such
// tensors.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "convert_common.hpp"
#include "npz_format.hpp"
#include "safetensors_format.hpp"

namespace tfckpt_convert {

enum class format { safetensors, npz };

struct export_options {
  format to = format::safetensors;
  selection sel;
  bool force_zip64 = false;  // npz: zip64 records even for small archives
  // safetensors __metadata__ "format": the layout tag loaders check (Hugging Face accepts "pt",
  // "tf", "flax", "mlx"). Keras/TF weights keep TF's layout (Dense kernels [in, out]): "tf".
  // Empty: no "format" key.
  std::string format_tag = "tf";
};

struct export_summary {
  std::size_t tensors = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> skipped;  // "key (reason)"
};

struct planned_tensor {
  std::string key, name;
  const tfckpt::entry* entry = nullptr;
};

// Why `e` cannot be written in format `f`; empty when it can.
inline std::string unsupported_reason(format f, const tfckpt::entry& e) {
  const dtype t = e.info.dtype;
  const std::string dn(tfckpt::dtype_name(t));
  if (f == format::safetensors) {
    if (!safetensors::dtype_code(t).empty()) return {};
    if (t == dtype::string || t == dtype::variant || t == dtype::resource)
      return dn + ": safetensors holds numeric tensors only";
    return dn + ": no safetensors dtype";
  }
  if (t == dtype::string || !npz::descr_of(t).empty()) return {};
  return dn + ": no numpy dtype";
}

inline bool valid_member_name(std::string_view n) {
  return tfckpt::is_valid_utf8(n) && n.find('\0') == std::string_view::npos;
}

// An npz member name that unzip cannot place outside the extraction directory: no leading '/',
// no "." or ".." component (each becomes "_." / "_.."), no empty component, and '\\' (a
// separator to Windows tools) as '_'. The original key is kept in the keys member whenever the
// name changes, so nothing is lost.
inline std::string safe_member_name(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i <= name.size();) {
    std::size_t j = std::min(name.find('/', i), name.size());
    std::string c(name.substr(i, j - i));
    i = j + 1;
    if (c.empty()) continue;
    std::replace(c.begin(), c.end(), '\\', '_');
    if (c == "." || c == "..") c.insert(0, "_");
    (out += out.empty() ? "" : "/") += c;
  }
  return out.empty() ? std::string("_") : out;
}

// The tensors to export, in key order; `skipped` gets the ones the format cannot hold.
inline result<std::vector<planned_tensor>> plan_export(const tfckpt::bundle_reader& r, const export_options& o,
                                                       std::vector<std::string>& skipped) {
  std::vector<planned_tensor> out;
  std::map<std::string, std::string> by_name;  // name -> key, collisions
  std::size_t matched = 0;
  for (const auto& e : r.entries()) {
    const std::string key(e.key);
    if (key == tfckpt::object_graph_key || !o.sel.selects(key)) continue;
    ++matched;
    if (std::string why = unsupported_reason(o.to, e); !why.empty()) {
      skipped.push_back(key + " (" + why + ")");
      continue;
    }
    std::string name = readable_name(o.sel.model_name(key));
    if (o.to == format::npz) name = safe_member_name(name);
    if (!valid_member_name(name)) {
      skipped.push_back(key + " (name is not valid UTF-8 or holds a NUL byte)");
      continue;
    }
    if (o.to == format::npz && name == npz_keys_member)
      return make_error(errc::invalid_argument, "tensor name '" + name + "' is reserved in tfckpt's npz files").at_key(key);
    if (auto [it, fresh] = by_name.emplace(name, key); !fresh)
      return make_error(errc::invalid_argument, "keys '" + it->second + "' and '" + key + "' both export as '" + name +
                                                    "'; export one of them with --filter");
    out.push_back({key, std::move(name), &e});
  }
  if (o.sel.filtered() && matched == 0)
    return make_error(errc::invalid_argument, "--filter '" + o.sel.filter_text + "' matched no tensor");
  if (out.empty()) {
    std::string list;
    for (const auto& s : skipped) list += "\n  " + s;
    if (o.sel.filtered())
      return make_error(errc::unsupported, "every tensor --filter '" + o.sel.filter_text +
                                               "' selects is unsupported by the output format:" + list);
    return make_error(errc::unsupported, "nothing to export: the checkpoint holds no tensor the output format supports" +
                                             (list.empty() ? std::string() : ":" + list));
  }
  return out;
}

inline std::uint64_t planned_bytes(const tfckpt::entry& e) {
  return static_cast<std::uint64_t>(tfckpt::num_elements(e.info.shape)) *
         std::max<std::size_t>(1, tfckpt::dtype_size(e.info.dtype));
}

inline result<tfckpt::tensor> read_checked(const tfckpt::bundle_reader& r, const planned_tensor& p) {
  auto t = r.read(p.key);
  if (!t) return std::move(t).error();
  if (tfckpt::is_fixed_size(t->dtype()) && t->bytes().size() != planned_bytes(*p.entry))
    return make_error(errc::corruption, "tensor read back with " + std::to_string(t->bytes().size()) +
                                            " bytes, its entry says " + std::to_string(planned_bytes(*p.entry)))
        .at_key(p.key);
  return t;
}

inline result<export_summary> export_safetensors(const tfckpt::bundle_reader& r, const std::vector<planned_tensor>& plan,
                                                 const std::string& out_path, const std::string& format_tag) {
  export_summary s;
  std::vector<std::string> names;
  std::vector<dtype> types;
  std::vector<shape_t> shapes;
  nlohmann::ordered_json keys = nlohmann::ordered_json::object();
  std::uint64_t total = 0;
  for (const auto& p : plan) {
    names.push_back(p.name);
    types.push_back(p.entry->info.dtype);
    shapes.push_back(p.entry->info.shape.to_shape());
    total += planned_bytes(*p.entry);
    if (p.name != p.key) keys[p.name] = p.key;
  }
  std::vector<std::pair<std::string, std::string>> meta;
  if (!format_tag.empty()) meta.emplace_back("format", format_tag);
  if (!keys.empty()) meta.emplace_back(std::string(metadata_keys_field), keys.dump());
  auto f = output_file::create(out_path);
  if (!f) return std::move(f).error();
  TFCKPT_TRY(f->append(safetensors::make_header(names, types, shapes, meta)));
  progress bar("export", plan.size(), total);
  for (const auto& p : plan) {
    auto t = read_checked(r, p);
    if (!t) return std::move(t).error();
    TFCKPT_TRY(f->append(t->byte_view()));
    ++s.tensors;
    s.bytes += t->bytes().size();
    bar.update(s.tensors, s.bytes);
  }
  bar.done();
  TFCKPT_TRY(f->commit());
  return s;
}

// Fixed-width |Sn bytes of a string tensor; false when an element ends in NUL (numpy would drop
// it) or the padded array would be unreasonably larger than the strings.
inline bool fixed_width_strings(const std::vector<std::string>& v, std::string& data, std::size_t& width) {
  width = 1;
  std::uint64_t sum = 0;
  for (const auto& e : v) {
    if (!e.empty() && e.back() == '\0') return false;
    width = std::max(width, e.size());
    sum += e.size();
  }
  if (static_cast<std::uint64_t>(width) * v.size() > 16 * sum + (std::uint64_t{64} << 20)) return false;
  data.assign(width * v.size(), '\0');
  for (std::size_t i = 0; i < v.size(); ++i) data.replace(i * width, v[i].size(), v[i]);
  return true;
}

inline result<export_summary> export_npz(const tfckpt::bundle_reader& r, const std::vector<planned_tensor>& plan,
                                         const std::string& out_path, bool force_zip64) {
  export_summary s;
  auto f = output_file::create(out_path);
  if (!f) return std::move(f).error();
  npz::zip_writer zip(*f, force_zip64);
  std::uint64_t total = 0;
  for (const auto& p : plan) total += planned_bytes(*p.entry);
  progress bar("export", plan.size(), total);
  std::vector<std::pair<std::string, std::string>> renamed;
  std::size_t done = 0;
  std::uint64_t done_bytes = 0;
  for (const auto& p : plan) {
    auto t = read_checked(r, p);
    if (!t) return std::move(t).error();
    if (t->dtype() == dtype::string) {
      std::string data;
      std::size_t width = 0;
      if (!fixed_width_strings(t->strings(), data, width)) {
        s.skipped.push_back(p.key + " (string: an element ends in a NUL byte, or |S padding would be too large)");
      } else {
        const std::string h = npz::npy_header("|S" + std::to_string(width), t->shape());
        if (auto a = zip.add(p.name + ".npy", {h, data}); !a) return std::move(a).error().at_key(p.key);
        ++s.tensors;
        s.bytes += data.size();
        if (p.name != p.key) renamed.emplace_back(p.name, p.key);
      }
    } else {
      const std::string h = npz::npy_header(npz::descr_of(t->dtype()), t->shape());
      if (auto a = zip.add(p.name + ".npy", {h, t->byte_view()}); !a) return std::move(a).error().at_key(p.key);
      ++s.tensors;
      s.bytes += t->bytes().size();
      if (p.name != p.key) renamed.emplace_back(p.name, p.key);
    }
    done_bytes += planned_bytes(*p.entry);
    bar.update(++done, done_bytes);
  }
  bar.done();
  if (!renamed.empty()) {
    std::vector<std::string> cells;
    for (auto& [n, k] : renamed) cells.push_back(n), cells.push_back(k);
    std::string data;
    std::size_t width = 0;
    if (!fixed_width_strings(cells, data, width))
      return make_error(errc::invalid_argument, "cannot store the name -> key table (a name or key ends in NUL)");
    const std::string h = npz::npy_header("|S" + std::to_string(width), {static_cast<std::int64_t>(renamed.size()), 2});
    TFCKPT_TRY(zip.add(std::string(npz_keys_member) + ".npy", {h, data}));
  }
  TFCKPT_TRY(zip.finish());
  TFCKPT_TRY(f->commit());
  return s;
}

// The whole export: plan, warn about skipped tensors, write.
inline result<export_summary> export_checkpoint(const tfckpt::bundle_reader& r, const export_options& o,
                                                const std::string& out_path) {
  std::vector<std::string> skipped;
  auto plan = plan_export(r, o, skipped);
  if (!plan) return std::move(plan).error();
  auto s = o.to == format::safetensors ? export_safetensors(r, *plan, out_path, o.format_tag) : export_npz(r, *plan, out_path, o.force_zip64);
  if (!s) return s;
  s->skipped.insert(s->skipped.begin(), skipped.begin(), skipped.end());
  return s;
}

}  // namespace tfckpt_convert
