// tfckpt CLI: the bodies of `export` and `import` after argument parsing (tfckpt.cpp parses;
// the work is in convert_export.hpp and convert_import.hpp). Each returns the exit status.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "cli_json.hpp"
#include "convert_export.hpp"
#include "convert_import.hpp"
#include "diff.hpp"

namespace tfckpt_tool {

inline int run_export(const std::string& path, const std::string& out_file, tfckpt_convert::export_options& o,
                      tfckpt_cli::report& rep) {
  auto r = tfckpt::bundle_reader::open(path);
  if (!r) return rep.error(r.error()), 1;
  if (auto p = o.sel.prepare(*r); !p) return rep.error(std::move(p).error().in_file(r->prefix())), 1;
  auto s = tfckpt_convert::export_checkpoint(*r, o, out_file);
  if (!s) return rep.error(s.error()), 1;
  const std::string to = o.to == tfckpt_convert::format::npz ? "npz" : "safetensors";
  if (!s->skipped.empty()) {
    std::string list;
    for (const auto& k : s->skipped) list += "\n  " + tfckpt::error::printable(k);
    tfckpt_convert::warn("skipped " + std::to_string(s->skipped.size()) + " tensor(s) " + to + " cannot hold:" + list);
  }
  if (o.force_zip64 && o.to != tfckpt_convert::format::npz) tfckpt_convert::warn("--zip64 only applies to npz");
  std::fprintf(stderr, "tfckpt: exported %zu tensor(s), %s, to %s\n", s->tensors,
               tfckpt_convert::progress::human(s->bytes).c_str(), out_file.c_str());
  if (rep.as_json()) {
    rep.field("output", tfckpt_cli::json_text(out_file));
    rep.field("format", to);
    rep.field("tensors", s->tensors);
    rep.field("bytes", s->bytes);
    tfckpt_cli::json sk = tfckpt_cli::json::array();
    for (const auto& k : s->skipped) sk.push_back(tfckpt_cli::json_text(k));
    rep.field("skipped", sk);
  }
  return 0;
}

inline int run_import(const std::string& in, const std::string& prefix, const tfckpt_convert::import_options& o,
                      tfckpt_cli::report& rep) {
  auto s = tfckpt_convert::import_file(in, o, prefix);
  if (!s) return rep.error(s.error()), 1;
  std::fprintf(stderr, "tfckpt: imported %zu tensor(s) into %s (%s)\n", s->tensors, prefix.c_str(),
               s->object_graph ? "object-based, with an object graph" : "name-based");
  if (rep.as_json()) {
    rep.field("prefix", tfckpt_cli::json_text(prefix));
    rep.field("tensors", s->tensors);
    rep.field("object_graph", s->object_graph);
  }
  return 0;
}

}  // namespace tfckpt_tool
