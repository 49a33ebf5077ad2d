// tfckpt graph layer: slot variables of a pre-2.11 (optimizer_v2 / "legacy") optimizer, e.g.
// Adam's `m` and `v`. TF stores them as separate graph nodes referenced from the optimizer's
// `slot_variables`, keyed by the original variable. We key them by the original variable's
// object path (`model/layer_with_weights-0/kernel`), not by address, so a copied or moved state
// struct keeps its slots.
#pragma once

#include <initializer_list>
#include <map>
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
    for (auto n : names) names_.emplace_back(n);
  }

  const std::vector<std::string>& slot_names() const noexcept { return names_; }
  bool has_slot_name(std::string_view slot) const noexcept {
    for (const auto& n : names_)
      if (n == slot) return true;
    return false;
  }

  const tensor* find(std::string_view variable_path, std::string_view slot) const {
    auto it = values_.find(std::pair<std::string, std::string>(variable_path, slot));
    return it == values_.end() ? nullptr : &it->second;
  }
  tensor* find(std::string_view variable_path, std::string_view slot) {
    auto it = values_.find(std::pair<std::string, std::string>(variable_path, slot));
    return it == values_.end() ? nullptr : &it->second;
  }
  // Adds the slot name to the order if it is new (appended last).
  tensor& set(std::string_view variable_path, std::string_view slot, tensor value) {
    if (!has_slot_name(slot)) names_.emplace_back(slot);
    return values_[std::pair<std::string, std::string>(variable_path, slot)] = std::move(value);
  }
  std::size_t size() const noexcept { return values_.size(); }
  void clear() noexcept { values_.clear(); }

 private:
  std::vector<std::string> names_;
  std::map<std::pair<std::string, std::string>, tensor> values_;  // (variable path, slot)
};

namespace detail {
using tfckpt::slot_table;  // for code that still says graph::slot_table
}  // namespace detail

}  // namespace tfckpt
