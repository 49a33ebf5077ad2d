// tfckpt CLI: walking a command line. Options come before a "--"; after it every argument is
// positional. Shared by the main command line and by schema, export, import and diff.
#pragma once

#include <string>
#include <string_view>

namespace tfckpt_tool {

class arg_walker {
 public:
  // Walks argv[first..argc).
  arg_walker(int argc, char** argv, int first) : argc_(argc), argv_(argv), i_(first - 1) {}

  // The next argument into `a` (the first "--" is consumed, not returned); false at the end.
  bool next(std::string& a) {
    while (++i_ < argc_) {
      a = argv_[i_];
      if (options_done_ || a != "--") return true;
      options_done_ = true;
    }
    return false;
  }
  // `a` is the option `name` (before any "--").
  bool is(const std::string& a, std::string_view name) const { return !options_done_ && a == name; }
  // `a` looks like an option (before any "--"), known or not.
  bool is_option(const std::string& a) const { return !options_done_ && a.size() > 1 && a[0] == '-'; }
  // The current option's argument into `out`; false when the command line ends first.
  bool value(std::string& out) {
    if (i_ + 1 >= argc_) return false;
    out = argv_[++i_];
    return true;
  }

 private:
  int argc_;
  char** argv_;
  int i_;
  bool options_done_ = false;
};

}  // namespace tfckpt_tool
