// tfckpt CLI: argument parsing for `export`, `import` and `diff` (the work is in
// convert_export.hpp, convert_import.hpp and diff.hpp). Each returns the process exit status.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "args.hpp"
#include "convert_export.hpp"
#include "convert_import.hpp"
#include "diff.hpp"

namespace tfckpt_tool {

inline constexpr const char* export_usage =
    "usage: tfckpt export PATH --to safetensors|npz OUT [--filter REGEX] [--no-optimizer] [--zip64]\n";
inline constexpr const char* import_usage =
    "usage: tfckpt import IN --to PREFIX [--map NAME=KEY ...] [--object-graph | --name-based]\n"
    "       [--no-save-counter]\n";
inline constexpr const char* diff_usage =
    "usage: tfckpt diff A B [--filter REGEX] [--no-optimizer] [--atol X] [--json]\n";

namespace detail {

inline int usage(const char* u, const std::string& why) {
  std::fprintf(stderr, "tfckpt: %s\n%s", why.c_str(), u);
  return 2;
}
inline int failed(const tfckpt::error& e, int code = 1) {
  std::fflush(stdout);
  std::fprintf(stderr, "tfckpt: %s\n", e.to_string().c_str());
  return code;
}

// --filter / --no-optimizer, shared by export and diff. Returns true when `a` was one.
inline bool selection_option(arg_walker& w, const std::string& a, tfckpt_convert::selection& sel, std::string& err) {
  if (w.is(a, "--no-optimizer")) {
    sel.no_optimizer = true;
    return true;
  }
  if (!w.is(a, "--filter")) return false;
  if (!w.value(sel.filter_text)) {
    err = "--filter takes a regular expression";
    return true;
  }
  auto re = tfckpt_convert::compile_filter(sel.filter_text);
  if (!re) err = re.error().message;
  else sel.filter = std::move(*re);
  return true;
}

}  // namespace detail

inline int cmd_export(int argc, char** argv) {
  tfckpt_convert::export_options o;
  std::string to, in, out, err;
  std::vector<std::string> pos;
  arg_walker w(argc, argv, 2);
  for (std::string a; w.next(a);) {
    if (w.is(a, "--to")) {
      if (!w.value(to)) return detail::usage(export_usage, "--to takes safetensors or npz");
    } else if (w.is(a, "--zip64")) {
      o.force_zip64 = true;
    } else if (detail::selection_option(w, a, o.sel, err)) {
      if (!err.empty()) return detail::usage(export_usage, err);
    } else if (w.is_option(a)) {
      return detail::usage(export_usage, "unknown option '" + a + "' for export");
    } else {
      pos.push_back(a);
    }
  }
  if (to.empty()) return detail::usage(export_usage, "export needs --to safetensors|npz");
  if (to == "safetensors") o.to = tfckpt_convert::format::safetensors;
  else if (to == "npz") o.to = tfckpt_convert::format::npz;
  else return detail::usage(export_usage, "--to must be safetensors or npz, not '" + to + "'");
  if (pos.size() != 2) return detail::usage(export_usage, "export takes a checkpoint PATH and an output file OUT");
  auto r = tfckpt::bundle_reader::open(pos[0]);
  if (!r) return detail::failed(r.error());
  auto s = tfckpt_convert::export_checkpoint(*r, o, pos[1]);
  if (!s) return detail::failed(s.error());
  if (!s->skipped.empty()) {
    std::string list;
    for (const auto& k : s->skipped) list += "\n  " + tfckpt::error::printable(k);
    tfckpt_convert::warn("skipped " + std::to_string(s->skipped.size()) + " tensor(s) " + to + " cannot hold:" + list);
  }
  if (o.force_zip64 && o.to != tfckpt_convert::format::npz) tfckpt_convert::warn("--zip64 only applies to npz");
  std::fprintf(stderr, "tfckpt: exported %zu tensor(s), %s, to %s\n", s->tensors,
               tfckpt_convert::progress::human(s->bytes).c_str(), pos[1].c_str());
  return 0;
}

inline int cmd_import(int argc, char** argv) {
  tfckpt_convert::import_options o;
  std::string prefix;
  std::vector<std::string> pos;
  arg_walker w(argc, argv, 2);
  for (std::string a; w.next(a);) {
    if (w.is(a, "--to")) {
      if (!w.value(prefix)) return detail::usage(import_usage, "--to takes a checkpoint prefix");
    } else if (w.is(a, "--map")) {
      std::string m;
      if (!w.value(m)) return detail::usage(import_usage, "--map takes NAME=KEY");
      const auto eq = m.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
        return detail::usage(import_usage, "--map takes NAME=KEY, got '" + m + "'");
      o.maps.emplace_back(m.substr(0, eq), m.substr(eq + 1));
    } else if (w.is(a, "--no-save-counter")) {
      o.save_counter = false;
    } else if (w.is(a, "--object-graph") || w.is(a, "--name-based")) {
      const auto mode = a == "--object-graph" ? tfckpt_convert::import_mode::object_graph : tfckpt_convert::import_mode::name_based;
      if (o.mode != tfckpt_convert::import_mode::automatic && o.mode != mode)
        return detail::usage(import_usage, "--object-graph and --name-based exclude each other");
      o.mode = mode;
    } else if (w.is_option(a)) {
      return detail::usage(import_usage, "unknown option '" + a + "' for import");
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() != 1) return detail::usage(import_usage, "import takes one input file IN");
  if (prefix.empty()) return detail::usage(import_usage, "import needs --to PREFIX");
  auto s = tfckpt_convert::import_file(pos[0], o, prefix);
  if (!s) return detail::failed(s.error());
  std::fprintf(stderr, "tfckpt: imported %zu tensor(s) into %s (%s)\n", s->tensors, prefix.c_str(),
               s->object_graph ? "object-based, with an object graph" : "name-based");
  return 0;
}

inline int cmd_diff(int argc, char** argv) {
  tfckpt_convert::diff_options o;
  std::vector<std::string> pos;
  std::string err;
  arg_walker w(argc, argv, 2);
  for (std::string a; w.next(a);) {
    if (w.is(a, "--json")) {
      o.as_json = true;
    } else if (w.is(a, "--atol")) {
      std::string v;
      if (!w.value(v)) return detail::usage(diff_usage, "--atol takes a number");
      char* end = nullptr;
      o.atol = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(o.atol >= 0)) return detail::usage(diff_usage, "--atol takes a number >= 0, not '" + v + "'");
    } else if (detail::selection_option(w, a, o.sel, err)) {
      if (!err.empty()) return detail::usage(diff_usage, err);
    } else if (w.is_option(a)) {
      return detail::usage(diff_usage, "unknown option '" + a + "' for diff");
    } else {
      pos.push_back(a);
    }
  }
  if (pos.size() != 2) return detail::usage(diff_usage, "diff takes two checkpoint paths");
  return tfckpt_convert::run_diff(pos[0], pos[1], o);
}

}  // namespace tfckpt_tool
