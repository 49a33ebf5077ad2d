// tfckpt graph layer: slot variables of a pre-2.11 (optimizer_v2 / "legacy") optimizer, e.g.
// Adam's `m` and `v`. TF stores them as separate graph nodes referenced from the optimizer's
// `slot_variables`, keyed by the original variable. We key them by the original variable's
// object path (`model/layer_with_weights-0/kernel`), not by address, so a copied or moved state
// struct keeps its slots.
#pragma once

#include <initializer_list>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../bundle/tensor.hpp"

namespace tfckpt {

class slot_table {
 public:
  slot_table() = default;
  // Slot names in the optimizer's order (Adam: {"m", "v"}); this order is the node order.
  slot_table(std::initializer_list<std::string_view> names) {
    for (auto n : names)
      if (name_set_.emplace(n).second) names_.emplace_back(n);
  }

  const std::vector<std::string>& slot_names() const noexcept { return names_; }
  bool has_slot_name(std::string_view slot) const noexcept { return name_set_.find(slot) != name_set_.end(); }

  TFCKPT_LAZY const tensor* find(std::string_view variable_path, std::string_view slot) const {
    auto it = values_.find(std::pair<std::string, std::string>(variable_path, slot));
    return it == values_.end() ? nullptr : &it->second;
  }
  TFCKPT_LAZY tensor* find(std::string_view variable_path, std::string_view slot) {
    auto it = values_.find(std::pair<std::string, std::string>(variable_path, slot));
    return it == values_.end() ? nullptr : &it->second;
  }
  // Adds the slot name to the order if it is new (appended last).
  TFCKPT_LAZY tensor& set(std::string_view variable_path, std::string_view slot, tensor value) {
    if (name_set_.emplace(slot).second) names_.emplace_back(slot);
    return values_[std::pair<std::string, std::string>(variable_path, slot)] = std::move(value);
  }
  std::size_t size() const noexcept { return values_.size(); }
  // Every (variable path, slot) held, in that order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& [k, v] : values_) f(k.first, k.second, v);
  }
  void clear() noexcept { values_.clear(); }

 private:
  std::vector<std::string> names_;
  std::set<std::string, std::less<>> name_set_;  // names_, for lookups (many slot names are cheap)
  std::map<std::pair<std::string, std::string>, tensor> values_;  // (variable path, slot)
};

namespace detail {
using tfckpt::slot_table;  // for code that still says graph::slot_table
}  // namespace detail

}  // namespace tfckpt
