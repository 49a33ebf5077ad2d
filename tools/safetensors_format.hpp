// tfckpt CLI: the safetensors format (https://github.com/huggingface/safetensors), written by
// `tfckpt export --to safetensors` and read by `tfckpt import`:
//   u64 LE N | N bytes of JSON header (UTF-8, padded with spaces to a multiple of 8) | data
// header: {"__metadata__": {str: str}, NAME: {"dtype": "F32", "shape": [..],
//          "data_offsets": [begin, end]}, ...}; offsets are relative to the data section, data is
// row-major little-endian. Reading checks every size and offset against the file before use.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "convert_common.hpp"

namespace tfckpt_convert::safetensors {

using json = nlohmann::ordered_json;

// The safetensors spelling of a dtype; empty when safetensors has none (complex, strings,
// quantized and 4-bit types, the float8 variants without a safetensors name).
inline std::string_view dtype_code(dtype t) {
  switch (t) {
    case dtype::float64: return "F64";
    case dtype::float32: return "F32";
    case dtype::float16: return "F16";
    case dtype::bfloat16: return "BF16";
    case dtype::int64: return "I64";
    case dtype::int32: return "I32";
    case dtype::int16: return "I16";
    case dtype::int8: return "I8";
    case dtype::uint64: return "U64";
    case dtype::uint32: return "U32";
    case dtype::uint16: return "U16";
    case dtype::uint8: return "U8";
    case dtype::bool_: return "BOOL";
    case dtype::float8_e5m2: return "F8_E5M2";
    case dtype::float8_e4m3fn: return "F8_E4M3";
    default: return {};
  }
}

inline std::optional<dtype> dtype_from_code(std::string_view c) {
  for (auto t : {dtype::float64, dtype::float32, dtype::float16, dtype::bfloat16, dtype::int64, dtype::int32,
                 dtype::int16, dtype::int8, dtype::uint64, dtype::uint32, dtype::uint16, dtype::uint8, dtype::bool_,
                 dtype::float8_e5m2, dtype::float8_e4m3fn})
    if (dtype_code(t) == c) return t;
  return std::nullopt;
}

inline constexpr std::uint64_t max_header_bytes = 100u << 20;  // the reference implementation's limit

// The header for tensors laid out back to back in the given order. `names`, `types`, `shapes`
// are parallel; `metadata` string -> string.
inline std::string make_header(const std::vector<std::string>& names, const std::vector<dtype>& types,
                               const std::vector<shape_t>& shapes,
                               const std::vector<std::pair<std::string, std::string>>& metadata) {
  json h = json::object();
  if (!metadata.empty()) {
    json m = json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    h["__metadata__"] = std::move(m);
  }
  std::uint64_t at = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::uint64_t n = static_cast<std::uint64_t>(tfckpt::num_elements(shapes[i])) * tfckpt::dtype_size(types[i]);
    json s = json::array();
    for (auto d : shapes[i]) s.push_back(d);
    h[names[i]] = json{{"dtype", std::string(dtype_code(types[i]))}, {"shape", std::move(s)}, {"data_offsets", {at, at + n}}};
    at += n;
  }
  std::string text = h.dump(-1, ' ', false, json::error_handler_t::strict);
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  put_le(out, text.size(), 8);
  return out + text;
}

// Parses and validates a whole safetensors file held in memory (`bytes` must outlive the
// result: tensors view it). `file` names the file in errors.
inline result<in_file> parse(std::string_view bytes, const std::string& file) {
  auto bad = [&](const std::string& what) { return make_error(errc::corruption, "safetensors: " + what).in_file(file); };
  if (bytes.size() < 8) return bad("file is " + std::to_string(bytes.size()) + " bytes, shorter than the 8-byte header length");
  const std::uint64_t n = get_le(bytes, 0, 8);
  if (n > bytes.size() - 8)
    return bad("header length " + std::to_string(n) + " exceeds the " + std::to_string(bytes.size() - 8) +
               " bytes after it");
  if (n > max_header_bytes) return bad("header length " + std::to_string(n) + " exceeds the 100 MiB limit");
  const std::string_view text = bytes.substr(8, static_cast<std::size_t>(n));
  const std::string_view data = bytes.substr(8 + static_cast<std::size_t>(n));
  json h = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (h.is_discarded()) return bad("header is not valid JSON");
  if (!h.is_object()) return bad("header is not a JSON object");
  in_file out;
  struct span {
    std::uint64_t begin, end;
    std::size_t index;
  };
  std::vector<span> spans;
  for (auto it = h.begin(); it != h.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) return bad("__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) return bad("__metadata__ value of '" + m.key() + "' is not a string");
        if (m.key() != metadata_keys_field) continue;
        json keys = json::parse(m.value().get_ref<const std::string&>(), nullptr, false);
        if (keys.is_discarded() || !keys.is_object()) return bad("__metadata__ " + m.key() + " is not a JSON object");
        for (auto k = keys.begin(); k != keys.end(); ++k) {
          if (!k.value().is_string()) return bad("__metadata__ " + m.key() + ": key of '" + k.key() + "' is not a string");
          out.original_keys.emplace_back(k.key(), k.value().get<std::string>());
        }
      }
      continue;
    }
    auto bad_t = [&](const std::string& what) { return bad("tensor '" + name + "': " + what); };
    if (name.empty()) return bad("empty tensor name");
    if (!v.is_object()) return bad_t("entry is not an object");
    const auto dt = v.find("dtype");
    const auto sh = v.find("shape");
    const auto off = v.find("data_offsets");
    if (dt == v.end() || !dt->is_string()) return bad_t("missing or non-string \"dtype\"");
    if (sh == v.end() || !sh->is_array()) return bad_t("missing or non-array \"shape\"");
    if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      return bad_t("\"data_offsets\" must be [begin, end] with non-negative integers");
    const auto type = dtype_from_code(dt->get_ref<const std::string&>());
    if (!type) return bad_t("unsupported dtype \"" + dt->get<std::string>() + "\"");
    if (sh->size() > tfckpt::max_rank) return bad_t("rank " + std::to_string(sh->size()) + " exceeds " + std::to_string(tfckpt::max_rank));
    in_tensor t;
    t.name = name;
    t.type = *type;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned()) return bad_t("shape holds a value that is not a non-negative integer");
      const auto u = d.get<std::uint64_t>();
      if (u > (std::uint64_t{1} << 62)) return bad_t("dimension " + std::to_string(u) + " too large");
      t.shape.push_back(static_cast<std::int64_t>(u));
    }
    const auto need = checked_bytes(t.shape, tfckpt::dtype_size(*type));
    if (!need) return bad_t("shape " + tfckpt::shape_to_string(t.shape) + " is too large");
    const auto b = (*off)[0].get<std::uint64_t>(), e = (*off)[1].get<std::uint64_t>();
    if (b > e) return bad_t("data_offsets [" + std::to_string(b) + ", " + std::to_string(e) + "] are reversed");
    if (e > data.size())
      return bad_t("data_offsets end " + std::to_string(e) + " is past the " + std::to_string(data.size()) +
                   " data bytes of the file");
    if (e - b != *need)
      return bad_t("data_offsets span " + std::to_string(e - b) + " bytes but " + std::string(dt->get<std::string>()) +
                   tfckpt::shape_to_string(t.shape) + " needs " + std::to_string(*need));
    t.data = data.substr(static_cast<std::size_t>(b), static_cast<std::size_t>(e - b));
    if (e > b) spans.push_back({b, e, out.tensors.size()});  // empty tensors may sit anywhere
    out.tensors.push_back(std::move(t));
  }
  std::sort(spans.begin(), spans.end(), [](const span& a, const span& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  for (std::size_t i = 1; i < spans.size(); ++i)
    if (spans[i].begin < spans[i - 1].end)
      return bad("tensors '" + out.tensors[spans[i - 1].index].name + "' and '" + out.tensors[spans[i].index].name +
                 "' overlap in the data section");
  return out;
}

}  // namespace tfckpt_convert::safetensors
