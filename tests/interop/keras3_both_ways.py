"""Keras 3 (TF >= 2.16 `import keras`) checkpoints in both directions, TensorFlow as the judge.

For every case (a Keras 3 model x optimizer x checkpoint root, mirrored by the tfckpt::keras3
structs in tests/keras3_cases.hpp):
  1. Keras trains one step and writes tf.train.Checkpoint(model=m, optimizer=o) (or model=m
     alone, the optimizer then reached as model.optimizer);
  2. the C++ side (tests/interop/keras3_interop.cpp) restores it into the typed struct with
     assert_consumed() and writes a copy of the struct back;
  3. every tensor the C++ side wrote equals, bit for bit and key for key, what Keras wrote;
  4. a fresh Keras model + optimizer restores the C++ checkpoint with assert_consumed(), every
     model and optimizer variable equals the original, and train_on_batch runs.
Then C++ checkpoints written from scratch (pattern values, no restore) are restored by Keras
with assert_consumed() and checked value by value. Last, deferred restoration: steps 2-4 again
with tfckpt::read_deferred into a root whose optimizer slots (and a layer) do not exist yet,
created afterwards and attached.
Last line: "N passed, M failed"; exit status 1 if anything failed.

usage: keras3_both_ways.py INTEROP_BINARY [WORKDIR]
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf
import keras

sys.dont_write_bytecode = True
import interop_check  # noqa: E402
from interop_check import check, check_consumed, check_same_tensors, pattern, same_bits  # noqa: E402

L = keras.layers


class Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = L.Dense(8, activation="relu")
        self.b = L.Dense(3)

    def call(self, x):
        return self.b(self.a(x))


def mlp(kind):
    if kind == "seq":
        return keras.Sequential([keras.Input((4,)), L.Dense(8, activation="relu"), L.Dense(3)])
    if kind == "func":
        i = keras.Input((4,))
        return keras.Model(i, L.Dense(3)(L.Dense(8, activation="relu")(i)))
    m = Sub()
    m(np.zeros((1, 4), "float32"))
    return m


def conv1d():
    return keras.Sequential([keras.Input((6, 4)), L.Conv1D(2, 3), L.LayerNormalization(),
                             L.BatchNormalization(), L.Flatten(), L.Dense(2)])


def conv2d():
    return keras.Sequential([keras.Input((5, 5, 2)), L.Conv2D(3, 2), L.Flatten(), L.Dense(2)])


def embed():
    return keras.Sequential([keras.Input((3,), dtype="int32"), L.Embedding(10, 4), L.Flatten(), L.Dense(2)])


def nobias():
    m = keras.Sequential([L.Dense(3, use_bias=False), L.Dropout(0.1), L.Dense(3)])
    m(np.zeros((1, 4), "float32"))
    return m


def nested():
    i = keras.Input((4,))
    inner = keras.Sequential([keras.Input((4,)), L.Dense(8, activation="relu")])
    return keras.Model(i, L.Dense(3)(inner(i)))


O = keras.optimizers
# name: (model factory, optimizer factory, roots) ; roots "mo" = Checkpoint(model, optimizer),
# "m" = Checkpoint(model) with the model compiled, "plain" = Checkpoint(model), not compiled.
CASES = {
    "seq_adam": (lambda: mlp("seq"), lambda: O.Adam(0.01), "mo"),
    "seq_adam_m": (lambda: mlp("seq"), lambda: O.Adam(0.01), "m"),
    "func_adam": (lambda: mlp("func"), lambda: O.Adam(0.01), "mo"),
    "func_adam_m": (lambda: mlp("func"), lambda: O.Adam(0.01), "m"),
    "sub_adam": (lambda: mlp("sub"), lambda: O.Adam(0.01), "mo"),
    "sub_adam_m": (lambda: mlp("sub"), lambda: O.Adam(0.01), "m"),
    "seq_sgd": (lambda: mlp("seq"), lambda: O.SGD(0.01), "mo"),
    "seq_sgdm": (lambda: mlp("seq"), lambda: O.SGD(0.01, momentum=0.9), "mo"),
    "seq_adamw": (lambda: mlp("seq"), lambda: O.AdamW(0.01), "mo"),
    "seq_adam_ams": (lambda: mlp("seq"), lambda: O.Adam(0.01, amsgrad=True), "mo"),
    "func_adam_ams_m": (lambda: mlp("func"), lambda: O.Adam(0.01, amsgrad=True), "m"),
    "seq_rmsprop": (lambda: mlp("seq"), lambda: O.RMSprop(0.01), "mo"),
    "seq_rmsprop_cm": (lambda: mlp("seq"), lambda: O.RMSprop(0.01, momentum=0.9, centered=True), "mo"),
    "seq_adagrad": (lambda: mlp("seq"), lambda: O.Adagrad(0.01), "mo"),
    "conv1d_sgdm": (conv1d, lambda: O.SGD(0.01, momentum=0.9), "mo"),
    "conv2d_rmsprop": (conv2d, lambda: O.RMSprop(0.01), "mo"),
    "embed_adam": (embed, lambda: O.Adam(0.01), "mo"),
    "nobias_adam": (nobias, lambda: O.Adam(0.01), "mo"),
    "nested_adam_m": (nested, lambda: O.Adam(0.01), "m"),
    "seq_model": (lambda: mlp("seq"), None, "plain"),
    "sub_model": (lambda: mlp("sub"), None, "plain"),
}


def batch(model):
    if isinstance(model, Sub):
        in_shape, out_shape, ints = (4,), (3,), False
    else:
        in_shape, out_shape = tuple(model.input_shape[1:]), tuple(model.output_shape[1:])
        ints = model.inputs[0].dtype.startswith("int")
    shape = (4,) + in_shape
    if ints:
        x = (np.arange(np.prod(shape)).reshape(shape) % 10).astype("int32")
    else:
        x = np.linspace(-1, 1, int(np.prod(shape)), dtype="float32").reshape(shape)
    y = np.linspace(0, 1, int(np.prod(out_shape)) * 4, dtype="float32").reshape((4,) + out_shape)
    return x, y


def make(case, train):
    model_f, opt_f, roots = CASES[case]
    model = model_f()
    opt = None
    if opt_f is not None:
        opt = opt_f()
        model.compile(optimizer=opt, loss="mse")
        if train:
            model.train_on_batch(*batch(model))
        else:
            opt.build(model.trainable_variables)
    kw = {"model": model, "optimizer": opt} if roots == "mo" else {"model": model}
    return model, opt, tf.train.Checkpoint(**kw)


def restore_checked(ckpt, path, what):
    check_consumed(ckpt.read(path), what)


def state_of(model, opt):
    out = [v.numpy() for v in model.weights]
    if opt is not None:
        out += [v.numpy() for v in opt.variables]
    return out


def run(cmd, what):
    p = subprocess.run(cmd, capture_output=True, text=True)
    check(p.returncode == 0, f"{what}: {' '.join(cmd)}: {p.stderr.strip()}")
    return p.returncode == 0


def python_writes_cpp_restores(binary, work, case, mode="restore"):
    keras.utils.set_random_seed(7)
    model, opt, ckpt = make(case, train=True)
    theirs = ckpt.write(os.path.join(work, case, "tf", "ckpt"))
    out = os.path.join(work, case, "cpp" if mode == "restore" else "cpp_" + mode)
    if not run([binary, mode, case, theirs, out], f"{case}: C++ {mode}"):
        return
    name = case if mode == "restore" else f"{case} ({mode})"
    ours = os.path.join(out, "ckpt-1")
    check_same_tensors(theirs, ours, name)
    # Keras restores what C++ wrote.
    keras.utils.set_random_seed(99)
    model2, opt2, ckpt2 = make(case, train=False)
    restore_checked(ckpt2, ours, name)
    s1, s2 = state_of(model, opt), state_of(model2, opt2)
    check(len(s1) == len(s2), f"{name}: variable count")
    for i, (x, y) in enumerate(zip(s1, s2)):
        check(same_bits(x, y), f"{name}: variable {i} not restored exactly")
    if opt2 is not None:
        it = int(opt2.iterations.numpy())
        model2.train_on_batch(*batch(model2))
        check(int(opt2.iterations.numpy()) == it + 1, f"{name}: train_on_batch after restore")


def cpp_writes_python_restores(binary, work, case, slot_lists):
    out = os.path.join(work, case, "cpp_scratch")
    if not run([binary, "write", case, out], f"{case}: C++ write"):
        return
    model, opt, ckpt = make(case, train=False)
    restore_checked(ckpt, os.path.join(out, "ckpt-1"), case + " (from scratch)")
    for k, var in enumerate(model.trainable_variables):
        shape = var.shape
        check(same_bits(var.numpy(), pattern(k + 1, shape)), f"{case}: {var.path} value")
        for j, lst in enumerate(slot_lists(opt)):
            check(same_bits(lst[k].numpy(), pattern(100 * (j + 1) + k, shape)), f"{case}: slot {j} of {var.path}")
    check(int(opt.iterations.numpy()) == 5, f"{case}: iterations")
    check(same_bits(opt.learning_rate.numpy(), np.float32(0.01)), f"{case}: learning_rate")
    model.train_on_batch(*batch(model))
    check(int(opt.iterations.numpy()) == 6, f"{case}: train_on_batch after restore")


def main():
    binary = sys.argv[1]
    work = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="tfckpt_keras3_")
    only = sys.argv[3:]
    for case in CASES:
        if not only or case in only:
            python_writes_cpp_restores(binary, work, case)
    scratch = {
        "seq_adam": lambda o: [o._momentums, o._velocities],
        "seq_sgdm": lambda o: [o.momentums],
        "sub_adam_m": lambda o: [o._momentums, o._velocities],
    }
    for case, lists in scratch.items():
        if not only or case in only:
            cpp_writes_python_restores(binary, work, case, lists)
    # Deferred restoration: Keras trained a step; C++ restores into a root whose slots (and for
    # sub_adam the layer `b`) do not exist yet, creates them, attaches, checks assert_consumed()
    # and writes the root; every value must equal Keras', and Keras restores and trains on.
    for case in ["seq_adam", "seq_adamw", "seq_adam_ams", "sub_adam_m", "seq_sgdm", "seq_rmsprop_cm", "seq_adagrad",
                 "sub_adam"]:
        if not only or case in only:
            python_writes_cpp_restores(binary, work, case, mode="deferred")
    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
