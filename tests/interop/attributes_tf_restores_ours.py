"""tfckpt::attribute end to end with TensorFlow as the judge: objects that save values under
attributes of their own rather than as variables.

  1. TensorFlow writes tf.train.Checkpoint(it=iter(dataset), table=MutableHashTable,
     config=PythonState, step=Variable) after consuming 3 elements of the iterator: the iterator
     saves a DT_VARIANT under `it/.ATTRIBUTES/ITERATOR_STATE` (recorded as attribute ITERATOR),
     the table two attributes on one object (`table-keys`, `table-values`), the Python state a
     string under `py_state`;
  2. `tfckpt struct` generates the header: tfckpt::attribute fields, no warnings;
  3. C++ restores the checkpoint into it with assert_consumed() and saves it to a new prefix;
  4. TensorFlow restores the C++ output into freshly built objects with assert_consumed(): the
     iterator's next element is the 4th, the table and the Python state hold what was written.

usage: attributes_tf_restores_ours.py TFCKPT_BIN CXX SOURCE_DIR [WORKDIR]
"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
import interop_check  # noqa: E402
from interop_check import check, check_consumed  # noqa: E402

tf = interop_check.tensorflow()


class Config(tf.train.experimental.PythonState):
    """A Python object saved as one string attribute (py_state)."""

    def __init__(self, value=None):
        self.value = value or {}

    def serialize(self):
        return json.dumps(self.value, sort_keys=True)

    def deserialize(self, string_value):
        self.value = json.loads(string_value)


def dataset():
    return tf.data.Dataset.range(20).map(lambda x: x * 3 + 1).batch(2)


def objects():
    table = tf.lookup.experimental.MutableHashTable(key_dtype=tf.string, value_dtype=tf.int64, default_value=-1)
    return iter(dataset()), table, Config(), tf.Variable(0, dtype=tf.int64)


def checkpoint(it, table, config, step):
    return tf.train.Checkpoint(it=it, table=table, config=config, step=step)


DRIVER = r"""#include <cstdio>
#include <memory>
#include <tfckpt/tfckpt.hpp>
#include "attrs.hpp"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  auto r = std::make_unique<attrs::checkpoint_state>();
  tfckpt::checkpoint<attrs::checkpoint_state> ck(*r);
  auto st = ck.restore(argv[1]);
  if (!st) return std::printf("FAIL restore: %s\n", st.error().to_string().c_str()), 1;
  if (auto ok = st->assert_consumed(); !ok)
    return std::printf("FAIL assert_consumed: %s\n", ok.error().to_string().c_str()), 1;
  std::printf("RESTORED %zu values\n", st->restored);
  ck.set_save_counter(ck.save_counter() - 1);  // save() increments it
  auto w = ck.save(argv[2]);
  if (!w) return std::printf("FAIL save: %s\n", w.error().to_string().c_str()), 1;
  std::printf("SAVED %s\n", w->c_str());
  return 0;
}
"""


def main():
    tfckpt, cxx, src, work = interop_check.args(__doc__, 3, 1)
    work = interop_check.workdir(work, "tfckpt_attributes_interop_")

    # 1. TensorFlow writes.
    it, table, config, step = objects()
    consumed = [next(it).numpy().tolist() for _ in range(3)]
    check(consumed[0] == [1, 4], f"first batch {consumed[0]}")
    table.insert(tf.constant(["a", "bb", "ccc"]), tf.constant([1, 22, 333], dtype=tf.int64))
    config.value = {"lr": 0.5, "name": "run/1"}
    step.assign(3)
    prefix = checkpoint(it, table, config, step).save(os.path.join(work, "tf", "ckpt"))
    expected_next = next(it).numpy().tolist()  # the 4th batch: what a restored iterator yields

    # 2. The header.
    gen = subprocess.run([tfckpt, "struct", prefix, "--namespace", "attrs"], capture_output=True, text=True)
    if not check(gen.returncode == 0, f"tfckpt struct: {gen.stderr}"):
        return interop_check.summary()
    check(gen.stderr == "", f"tfckpt struct warned: {gen.stderr}")
    for want in ['tfckpt::attribute<"ITERATOR_STATE", tfckpt::tensor>', 'tfckpt::attribute<"table-keys", ',
                 'tfckpt::attribute<"table-values", ', 'tfckpt::attribute<"py_state", std::string>']:
        check(want in gen.stdout, f"the header does not declare {want}:\n{gen.stdout}")
    with open(os.path.join(work, "attrs.hpp"), "w") as f:
        f.write(gen.stdout)

    # 3. C++ restores and saves.
    with open(os.path.join(work, "driver.cpp"), "w") as f:
        f.write(DRIVER)
    binary, cc = interop_check.compile_driver(cxx, src, work)
    if not check(cc.returncode == 0, f"the generated header does not compile:\n{cc.stderr[:4000]}"):
        return interop_check.summary()
    run = subprocess.run([binary, prefix, os.path.join(work, "cpp", "ckpt")], capture_output=True, text=True)
    print(run.stdout, end="")
    if not check(run.returncode == 0, f"driver exit {run.returncode}"):
        return interop_check.summary()
    ours = [line.split(" ", 1)[1] for line in run.stdout.splitlines() if line.startswith("SAVED ")]
    if not check(len(ours) == 1, "the driver saved nothing"):
        return interop_check.summary()
    ours = ours[0]
    # it, table (2), config, step and save_counter
    check("RESTORED 6 values" in run.stdout, "the driver restored another number of values than 6")

    # The keys TensorFlow stored, ours too (the iterator state bit for bit: tfckpt diff).
    reader = tf.train.load_checkpoint(ours)
    keys = set(reader.get_variable_to_shape_map())
    for k in ["it/.ATTRIBUTES/ITERATOR_STATE", "table/.ATTRIBUTES/table-keys", "table/.ATTRIBUTES/table-values",
              "config/.ATTRIBUTES/py_state", "step/.ATTRIBUTES/VARIABLE_VALUE"]:
        check(k in keys, f"{k} missing from our checkpoint: {sorted(keys)}")
    diff = subprocess.run([tfckpt, "diff", prefix, ours, "--filter", "^(?!_CHECKPOINTABLE_OBJECT_GRAPH$)"],
                          capture_output=True, text=True)
    check(diff.returncode == 0, f"tfckpt diff: {diff.stdout}{diff.stderr}")

    # 4. TensorFlow restores ours into fresh objects.
    it2, table2, config2, step2 = objects()
    status = checkpoint(it2, table2, config2, step2).restore(ours)
    check_consumed(status, "C++ output")
    got = next(it2).numpy().tolist()
    check(got == expected_next, f"restored iterator yields {got}, expected {expected_next}")
    found = table2.lookup(tf.constant(["a", "bb", "ccc", "zz"])).numpy().tolist()
    check(found == [1, 22, 333, -1], f"restored table: {found}")
    check(config2.value == {"lr": 0.5, "name": "run/1"}, f"restored Python state: {config2.value}")
    check(int(step2.numpy()) == 3, f"restored step {int(step2.numpy())}")
    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
