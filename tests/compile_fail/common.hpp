// Shared by the compile-fail cases: a small model and the schema `tfckpt schema` would emit for
// a checkpoint of it (hand-written here so the cases need no checkpoint file).
#pragma once
#include <array>
#include <cstdint>

#include <tfckpt/schema.hpp>

struct dense {
  tfckpt::fixed<float, 4, 3> kernel;
  tfckpt::fixed<float, 3> bias;
};
struct policy {
  dense layer;
};

inline constexpr std::array<tfckpt::schema_entry, 3> policy_schema_entries{{
    {"model/layer/bias", "model/layer/bias/.ATTRIBUTES/VARIABLE_VALUE", tfckpt::dtype::float32, 1, {3}},
    {"model/layer/kernel", "model/layer/kernel/.ATTRIBUTES/VARIABLE_VALUE", tfckpt::dtype::float32, 2, {4, 3}},
    {"step", "step/.ATTRIBUTES/VARIABLE_VALUE", tfckpt::dtype::int64, 0, {}},
}};
inline constexpr tfckpt::schema_ref<policy_schema_entries> policy_schema{};
