// tfckpt CLI: `tfckpt import IN --to PREFIX [--map NAME=KEY ...] [--object-graph | --name-based]`.
//
// IN is a safetensors or npz file (told apart by their first bytes). Each tensor's target is its
// name, or the original key recorded by `tfckpt export`, or what --map NAME=KEY says (in that
// order of precedence). Writes exactly PREFIX.index + PREFIX.data-00000-of-00001 (no
// `checkpoint` state file, like tf.train.Checkpoint.write):
//   name-based   targets are the bundle keys (a TF1 Saver-style checkpoint, read by
//                tf.train.load_checkpoint / name-based restore);
//   object-graph a TF2 checkpoint with a _CHECKPOINTABLE_OBJECT_GRAPH built from the
//                '/'-separated targets: each component becomes a child node named by it, the
//                leaf saves VARIABLE_VALUE under `<escaped path>/.ATTRIBUTES/VARIABLE_VALUE`
//                ('.' -> "..", '/' in a name -> ".S"). Targets that already are such keys
//                (from an export) are used as they are, and `V/.OPTIMIZER_SLOT/O/S` paths become
//                slot variables of optimizer O. tf.train.Checkpoint(**{first components})
//                with a matching tf.Module / tf.Variable tree restores it.
// The default is object-graph when some target is a TF2 key (`.../.ATTRIBUTES/...`, i.e. the
// file came from `tfckpt export` of a TF2 checkpoint), name-based otherwise.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <tfckpt/bundle/writer.hpp>
#include <tfckpt/file.hpp>
#include <tfckpt/object_tree.hpp>

#include "convert_common.hpp"
#include "npz_format.hpp"
#include "safetensors_format.hpp"

namespace tfckpt_convert {

enum class import_mode { automatic, name_based, object_graph };

struct import_options {
  std::vector<std::pair<std::string, std::string>> maps;  // --map NAME=KEY
  import_mode mode = import_mode::automatic;
  // Object-based: add `save_counter` (int64 scalar 1, as after one Checkpoint.save) unless the
  // file has one. tf.train.Checkpoint.restore() creates save_counter, and assert_consumed()
  // fails when the checkpoint does not hold it.
  bool save_counter = true;
};

namespace npy_input {

inline void byte_swap(std::string& b, std::size_t unit) {
  for (std::size_t i = 0; i + unit <= b.size(); i += unit) std::reverse(b.begin() + static_cast<std::ptrdiff_t>(i), b.begin() + static_cast<std::ptrdiff_t>(i + unit));
}

// Fortran (column-major) element order -> C order.
inline std::string to_c_order(std::string_view f, const shape_t& shape, std::size_t item) {
  std::string out(f.size(), '\0');
  const std::size_t rank = shape.size();
  const std::size_t n = item ? f.size() / item : 0;
  if (n == 0) return out;
  std::vector<std::size_t> stride(rank, 1);  // Fortran strides, in elements
  for (std::size_t k = 1; k < rank; ++k) stride[k] = stride[k - 1] * static_cast<std::size_t>(shape[k - 1]);
  std::vector<std::int64_t> idx(rank, 0);
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t src = 0;
    for (std::size_t k = 0; k < rank; ++k) src += static_cast<std::size_t>(idx[k]) * stride[k];
    std::memcpy(out.data() + c * item, f.data() + src * item, item);
    for (std::size_t k = rank; k-- > 0;) {  // row-major odometer
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

inline void append_utf8(std::string& o, std::uint32_t c) {
  if (c < 0x80) {
    o += static_cast<char>(c);
  } else if (c < 0x800) {
    o += static_cast<char>(0xc0 | (c >> 6)), o += static_cast<char>(0x80 | (c & 0x3f));
  } else if (c < 0x10000) {
    o += static_cast<char>(0xe0 | (c >> 12)), o += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
    o += static_cast<char>(0x80 | (c & 0x3f));
  } else {
    o += static_cast<char>(0xf0 | (c >> 18)), o += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
    o += static_cast<char>(0x80 | ((c >> 6) & 0x3f)), o += static_cast<char>(0x80 | (c & 0x3f));
  }
}

// An NPY array as an in_tensor.
inline result<in_tensor> npy_tensor(const npz::npy_array& a, std::string name, const std::string& file) {
  auto bad = [&](const std::string& what) {
    return make_error(errc::corruption, "npz member '" + name + ".npy': " + what).in_file(file);
  };
  in_tensor t;
  t.name = std::move(name);
  t.shape = a.shape;
  const std::string& d = a.descr;
  if (d.size() < 3 || (d[0] != '<' && d[0] != '>' && d[0] != '|' && d[0] != '='))
    return bad("unsupported descr '" + d + "'");
  const char order = d[0], kind = d[1];
  std::uint64_t width = 0;
  for (std::size_t i = 2; i < d.size(); ++i) {
    if (d[i] < '0' || d[i] > '9' || width > (1u << 30)) return bad("unsupported descr '" + d + "'");
    width = width * 10 + static_cast<std::uint64_t>(d[i] - '0');
  }
  const bool big = order == '>';
  std::uint64_t item = width;
  if (kind == 'U') item = width * 4;
  if (kind == 'S' || kind == 'U') {
    if (width == 0) return bad("zero-width string descr '" + d + "'");
  } else {
    static const std::pair<std::string_view, dtype> kinds[] = {
        {"f2", dtype::float16}, {"f4", dtype::float32}, {"f8", dtype::float64},  {"i1", dtype::int8},
        {"i2", dtype::int16},   {"i4", dtype::int32},   {"i8", dtype::int64},    {"u1", dtype::uint8},
        {"u2", dtype::uint16},  {"u4", dtype::uint32},  {"u8", dtype::uint64},   {"b1", dtype::bool_},
        {"c8", dtype::complex64}, {"c16", dtype::complex128}};
    for (const auto& [code, type] : kinds)
      if (std::string_view(d).substr(1) == code) t.type = type;
    if (t.type == dtype::invalid)
      return bad("descr '" + d + "' has no TensorFlow dtype (supported: f2 f4 f8 i1-i8 u1-u8 b1 c8 c16 S U)");
  }
  const auto need = checked_bytes(t.shape, item);
  if (!need) return bad("shape " + tfckpt::shape_to_string(t.shape) + " is too large");
  if (*need != a.data.size())
    return bad("descr '" + d + "' and shape " + tfckpt::shape_to_string(t.shape) + " need " + std::to_string(*need) +
               " data bytes, the member has " + std::to_string(a.data.size()));
  std::string_view bytes = a.data;
  std::string reordered;
  if (a.fortran && t.shape.size() > 1) {
    reordered = to_c_order(bytes, t.shape, static_cast<std::size_t>(item));
    bytes = reordered;
  }
  if (kind == 'S' || kind == 'U') {
    t.type = dtype::string;
    const std::size_t n = static_cast<std::size_t>(item ? *need / item : 0);
    t.strings.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::string_view e = bytes.substr(i * item, static_cast<std::size_t>(item));
      std::string s;
      if (kind == 'S') {
        s.assign(e);
        while (!s.empty() && s.back() == '\0') s.pop_back();
      } else {
        std::vector<std::uint32_t> cps;
        for (std::size_t k = 0; k < width; ++k) {
          std::uint32_t c = 0;
          for (int j = 0; j < 4; ++j)
            c |= static_cast<std::uint32_t>(static_cast<unsigned char>(e[k * 4 + static_cast<std::size_t>(big ? 3 - j : j)])) << (8 * j);
          if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return bad("invalid code point in a unicode string");
          cps.push_back(c);
        }
        while (!cps.empty() && cps.back() == 0) cps.pop_back();
        for (auto c : cps) append_utf8(s, c);
      }
      t.strings.push_back(std::move(s));
    }
    return t;
  }
  const std::size_t unit = kind == 'c' ? static_cast<std::size_t>(item / 2) : static_cast<std::size_t>(item);
  if ((big && unit > 1) || !reordered.empty()) {
    t.owned.assign(bytes);
    if (big && unit > 1) byte_swap(t.owned, unit);
    t.is_owned = true;
  } else {
    t.data = bytes;
  }
  return t;
}

inline result<in_file> parse_npz(std::string_view bytes, const std::string& file) {
  auto members = npz::read_zip(bytes, file);
  if (!members) return std::move(members).error();
  in_file out;
  std::map<std::string, bool> seen;
  for (const auto& m : *members) {
    if (!ends_with(m.name, ".npy")) {
      warn("npz member '" + m.name + "' in " + file + " is not a .npy array; skipped");
      continue;
    }
    std::string name = m.name.substr(0, m.name.size() - 4);
    if (name.empty()) return make_error(errc::corruption, "npz member with an empty name").in_file(file);
    if (!seen.emplace(name, true).second)
      return make_error(errc::corruption, "npz member '" + m.name + "' appears twice").in_file(file);
    auto a = npz::parse_npy(m.data, file, m.name);
    if (!a) return std::move(a).error();
    auto t = npy_tensor(*a, name, file);
    if (!t) return std::move(t).error();
    if (name == npz_keys_member) {
      if (t->type != dtype::string || t->shape.size() != 2 || t->shape[1] != 2)
        return make_error(errc::corruption, "npz member '" + m.name + "' is not an (N, 2) bytes array").in_file(file);
      for (std::size_t i = 0; i + 1 < t->strings.size(); i += 2) out.original_keys.emplace_back(t->strings[i], t->strings[i + 1]);
      continue;
    }
    out.tensors.push_back(std::move(*t));
  }
  return out;
}

}  // namespace npy_input

// Reads IN (held in `bytes`, which must outlive the result). Format by magic: "PK" = npz.
inline result<in_file> parse_input(std::string_view bytes, const std::string& file) {
  if (bytes.substr(0, 4) == std::string_view("PK\x03\x04", 4) || bytes.substr(0, 4) == std::string_view("PK\x05\x06", 4))
    return npy_input::parse_npz(bytes, file);
  // safetensors has no magic: a JSON object after the length, or a length that fits the file.
  if (bytes.size() >= 9 && (bytes[8] == '{' || get_le(bytes, 0, 8) <= bytes.size() - 8))
    return safetensors::parse(bytes, file);
  return make_error(errc::unsupported, "neither a safetensors file (8-byte length, then '{') nor an npz (zip) file")
      .in_file(file);
}

struct import_summary {
  std::size_t tensors = 0;
  std::uint64_t bytes = 0;
  bool object_graph = false;
};

inline result<void> add_tensor(tfckpt::bundle_writer& w, const std::string& key, const in_tensor& t) {
  if (t.type == dtype::string) return w.add_strings(key, t.shape, t.strings);
  return w.add(key, t.type, t.shape, t.bytes());
}

// An in_tensor as an owning tensor (slot tables hold those); a byte count that does not fit the
// shape is an error, never truncated or zero-filled.
inline result<tfckpt::tensor> to_tensor(const in_tensor& t) {
  if (t.type == dtype::string) return tfckpt::tensor::from_strings(t.shape, t.strings);
  auto out = tfckpt::tensor::zeros(t.type, t.shape);
  if (!out) return out;
  const auto b = t.bytes();
  if (b.size() != out->bytes().size())
    return make_error(errc::invalid_argument, std::to_string(b.size()) + " bytes for shape " +
                                                  tfckpt::shape_to_string(t.shape) + " (" +
                                                  std::to_string(out->bytes().size()) + " expected)");
  if (!b.empty()) std::memcpy(out->bytes().data(), b.data(), b.size());
  return out;
}

// The unescaped local names of an escaped object path.
inline std::vector<std::string> local_names(const std::string& escaped_path) {
  std::vector<std::string> out;
  for (const auto& comp : split_path(escaped_path)) out.push_back(unescape_local_name(comp));
  return out;
}

// The escaped object path a target names in object-graph mode.
inline result<std::string> object_path_of(const std::string& target) {
  if (target.find(tfckpt::attributes_marker) != std::string::npos) {
    if (!ends_with(target, variable_suffix) || target.size() == variable_suffix.size())
      return make_error(errc::unsupported,
                        "only VARIABLE_VALUE attributes can be imported into an object graph (use --name-based)")
          .at_key(target);
    return target.substr(0, target.size() - variable_suffix.size());
  }
  const auto parts = split_path(target);
  for (const auto& p : parts)
    if (p.empty())
      return make_error(errc::invalid_argument, "empty path component (leading, trailing or doubled '/')").at_key(target);
  return tfckpt::object_path(parts);
}

inline result<import_summary> import_tensors(const in_file& in, const import_options& o, const std::string& prefix,
                                             const std::string& file) {
  // Targets.
  std::map<std::string, std::string> target;
  for (const auto& t : in.tensors) target[t.name] = t.name;
  for (const auto& [n, k] : in.original_keys)
    if (auto it = target.find(n); it != target.end()) it->second = k;
  for (const auto& [n, k] : o.maps) {
    auto it = target.find(n);
    if (it == target.end()) return make_error(errc::invalid_argument, "--map " + n + "=" + k + ": no tensor named '" + n + "'").in_file(file);
    if (k.empty()) return make_error(errc::invalid_argument, "--map " + n + "=: empty key");
    it->second = k;
  }
  bool object = o.mode == import_mode::object_graph;
  if (o.mode == import_mode::automatic)
    for (const auto& [n, k] : target)
      if (k.find(tfckpt::attributes_marker) != std::string::npos) object = true;

  import_summary sum;
  sum.object_graph = object;
  std::uint64_t total = 0;
  for (const auto& t : in.tensors) total += t.type == dtype::string ? 0 : t.bytes().size();
  progress bar("import", in.tensors.size(), total);
  auto w = tfckpt::bundle_writer::create(prefix);
  if (!w) return std::move(w).error();
  auto where = [&](tfckpt::error e, const in_tensor& t) {
    return std::move(e).in_file(file).at_key(t.name);
  };

  if (!object) {
    std::map<std::string, std::string> used;  // key -> name
    for (const auto& t : in.tensors) {
      const std::string& key = target[t.name];
      if (key == tfckpt::object_graph_key)
        return make_error(errc::invalid_argument, "tensor '" + t.name + "' would overwrite the object graph key").in_file(file);
      if (auto [it, fresh] = used.emplace(key, t.name); !fresh)
        return make_error(errc::invalid_argument, "tensors '" + it->second + "' and '" + t.name + "' both map to key '" + key + "'").in_file(file);
      if (auto r = add_tensor(*w, key, t); !r) return where(std::move(r).error(), t);
      ++sum.tensors;
      sum.bytes += t.type == dtype::string ? 0 : t.bytes().size();
      bar.update(sum.tensors, sum.bytes);
    }
    bar.done();
    TFCKPT_TRY(w->finish());
    return sum;
  }

  std::map<std::string, tfckpt::slot_table> slots;  // optimizer path -> its slots
  std::map<std::string, std::string> path_owner;  // escaped path -> tensor name
  in_tensor counter;
  std::vector<const in_tensor*> all;
  for (const auto& t : in.tensors) all.push_back(&t);
  if (o.save_counter) {
    bool has = false;
    for (const auto& t : in.tensors) {
      auto p = object_path_of(target[t.name]);
      has = has || (p && *p == "save_counter");
    }
    if (!has) {
      counter.name = "save_counter";
      counter.type = dtype::int64;
      put_le(counter.owned, 1, 8);
      counter.is_owned = true;
      target[counter.name] = counter.name;
      all.push_back(&counter);
    }
  }
  std::vector<tfckpt::tree_variable> vars;
  std::vector<const in_tensor*> var_tensor;  // vars[i] comes from *var_tensor[i]
  vars.reserve(all.size());
  for (const in_tensor* tp : all) {
    const in_tensor& t = *tp;
    auto path = object_path_of(target[t.name]);
    if (!path) return where(std::move(path).error(), t);
    if (path->empty()) return where(make_error(errc::invalid_argument, "empty object path"), t);
    // Deeper than a reader accepts (object_graph_limits::max_depth): the checkpoint written would
    // fail its own verify, and each level's path prefix is kept (quadratic memory in the depth).
    if (static_cast<std::size_t>(std::count(path->begin(), path->end(), '/')) + 1 >= tfckpt::object_graph_limits{}.max_depth)
      return make_error(errc::limit_exceeded, "tensor '" + t.name.substr(0, 200) + (t.name.size() > 200 ? "...'" : "'") +
                                                   ": object path deeper than " +
                                                   std::to_string(tfckpt::object_graph_limits{}.max_depth - 1) +
                                                   " levels (object_graph_limits::max_depth)")
          .in_file(file);
    if (auto [it, fresh] = path_owner.emplace(*path, t.name); !fresh)
      return make_error(errc::invalid_argument, "tensors '" + it->second + "' and '" + t.name +
                                                    "' both map to object path '" + *path + "'").in_file(file);
    const auto slot_at = path->find(tfckpt::optimizer_slot_marker);
    if (slot_at != std::string::npos) {
      const std::string var = path->substr(0, slot_at);
      const std::string rest = path->substr(slot_at + tfckpt::optimizer_slot_marker.size());
      const auto last = rest.rfind('/');
      if (var.empty() || last == std::string::npos || last == 0 || last + 1 == rest.size())
        return where(make_error(errc::invalid_argument, "slot path '" + *path + "' is not VARIABLE/.OPTIMIZER_SLOT/OPTIMIZER/SLOT"), t);
      auto value = to_tensor(t);
      if (!value) return where(std::move(value).error(), t);
      slots[rest.substr(0, last)].set(var, unescape_local_name(rest.substr(last + 1)), std::move(*value));
      continue;
    }
    tfckpt::tree_variable v;
    v.path = local_names(*path);
    v.dtype = t.type;
    v.shape = t.shape;
    v.bytes = t.bytes();
    v.strings = t.strings;
    vars.push_back(std::move(v));
    var_tensor.push_back(&t);
  }
  std::vector<tfckpt::tree_slots> tables;
  for (auto& [opt, table] : slots) tables.push_back({local_names(opt), std::move(table)});
  auto saved = [&](std::size_t i) {
    ++sum.tensors;
    sum.bytes += var_tensor[i]->type == dtype::string ? 0 : var_tensor[i]->bytes().size();
    bar.update(sum.tensors, sum.bytes);
  };
  if (auto r = tfckpt::write_object_tree(*w, vars, tables, saved); !r) return std::move(r).error().in_file(prefix);
  for (const auto& t : tables) sum.tensors += t.table.size();
  bar.done();
  TFCKPT_TRY(w->finish());
  return sum;
}

// Reads IN and writes PREFIX.
inline result<import_summary> import_file(const std::string& in_path, const import_options& o, const std::string& prefix) {
  auto m = tfckpt::mapped_file::open(in_path, std::uint64_t{1} << 44);
  if (!m) return std::move(m).error();
  auto in = parse_input(m->bytes(), in_path);
  if (!in) return std::move(in).error();
  if (in->tensors.empty()) return make_error(errc::invalid_argument, "no tensors to import").in_file(in_path);
  return import_tensors(*in, o, prefix, in_path);
}

}  // namespace tfckpt_convert
