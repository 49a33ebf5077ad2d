// A tfckpt::attribute field (a tf.data iterator's state) is not a variable: the compile-time
// schema refuses it, naming the attribute type, instead of listing a VARIABLE_VALUE key for it.
// expect: holds variables \(VARIABLE_VALUE\) only
#include <tfckpt/checkpoint.hpp>

#include "common.hpp"
struct iterator_t {
  tfckpt::attribute<"ITERATOR_STATE", tfckpt::fixed<float, 2>> state;
};
struct root_with_iterator {
  policy model;
  iterator_t iterator;
  std::int64_t step = 0;
};
static_assert(tfckpt::matches<root_with_iterator>(policy_schema));
int main() { return 0; }
