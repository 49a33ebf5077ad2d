"""Keras 2 checkpoints in both directions for every tfckpt::keras optimizer type, TensorFlow as the judge.

Run with TF 2.21 + tf_keras (.venv) and with TF 2.15.1, whose tf.keras is Keras 2 (.venv-tf215).
For every case (the keras_mlp_4_8_3 model, Dense(8, relu) -> Dense(3) on 4 inputs, with one
optimizer under tf.train.Checkpoint(model=m, optimizer=o, step=s)):
  1. Keras takes one training step (the slots hold real values) and writes the checkpoint;
  2. the C++ side (tests/interop/keras2_interop.cpp) restores it into the typed struct with
     assert_consumed() and writes a copy of the struct;
  3. every tensor the C++ side wrote equals, bit for bit and key for key, what Keras wrote;
  4. a fresh model + optimizer restores the C++ checkpoint with assert_consumed(), every model and
     optimizer variable equals the original, and another training step runs.
Then steps 2-4 again with tfckpt::read_deferred into a root whose slots (legacy: the second layer,
whose slot-table entries wait with it) do not exist yet, created after the restore and attached.
Last line: "N passed, M failed"; exit status 1 if anything failed.

usage: keras2_both_ways.py INTEROP_BINARY [WORKDIR]
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import interop_check  # noqa: E402  (the shared prologue; this directory is on sys.path)
from interop_check import check, check_consumed, check_same_tensors, same_bits  # noqa: E402
from graph_tf_restores_ours_optimizers import mlp, train_step  # noqa: E402  (the same model and step)

tf = interop_check.tensorflow()
K = interop_check.keras2()
O = K.optimizers
LO = K.optimizers.legacy

CASES = {
    "adam": lambda: O.Adam(0.01),
    "sgd": lambda: O.SGD(0.01),
    "sgdm": lambda: O.SGD(0.01, momentum=0.9),
    "rmsprop": lambda: O.RMSprop(0.01),
    "rmsprop_cm": lambda: O.RMSprop(0.01, momentum=0.9, centered=True),
    "legacy_adam": lambda: LO.Adam(0.01),
    "legacy_sgd": lambda: LO.SGD(0.01),
    "legacy_sgdm": lambda: LO.SGD(0.01, momentum=0.9),
    "legacy_rmsprop_cm": lambda: LO.RMSprop(0.01, momentum=0.9, centered=True),
}
DEFERRED = ["adam", "sgdm", "rmsprop_cm", "legacy_adam", "legacy_rmsprop_cm"]


def make(case, train):
    model = mlp()
    opt = CASES[case]()
    if train:
        train_step(model, opt)
    elif isinstance(opt, LO.Optimizer):
        opt._create_all_weights(model.trainable_variables)  # hypers, iterations and slots
    else:
        opt.build(model.trainable_variables)
    step = tf.Variable(11 if train else 0, dtype=tf.int64)
    return model, opt, step, tf.train.Checkpoint(model=model, optimizer=opt, step=step)


def variables(opt):
    v = opt.variables
    return v() if callable(v) else v  # a method on legacy optimizers


def state_of(model, opt, step):
    return [v.numpy() for v in model.weights] + [v.numpy() for v in variables(opt)] + [step.numpy()]


def both_ways(binary, work, case, mode):
    name = case if mode == "restore" else f"{case} ({mode})"
    tf.random.set_seed(7)
    model, opt, step, ckpt = make(case, train=True)
    theirs = ckpt.write(os.path.join(work, case, "tf", "ckpt"))
    out = os.path.join(work, case, "cpp_" + mode)
    p = subprocess.run([binary, mode, case, theirs, out], capture_output=True, text=True)
    if not check(p.returncode == 0, f"{name}: C++ {mode}: {p.stderr.strip()}"):
        return
    ours = os.path.join(out, "ckpt-1")
    check_same_tensors(theirs, ours, name)
    tf.random.set_seed(99)
    model2, opt2, step2, ckpt2 = make(case, train=False)
    check_consumed(ckpt2.read(ours), name)
    s1, s2 = state_of(model, opt, step), state_of(model2, opt2, step2)
    check(len(s1) == len(s2), f"{name}: variable count {len(s1)} vs {len(s2)}")
    for i, (x, y) in enumerate(zip(s1, s2)):
        check(same_bits(x, y), f"{name}: variable {i} not restored exactly")
    it = int(opt2.iterations.numpy())
    check(it == 1, f"{name}: iterations restored ({it})")
    train_step(model2, opt2)
    check(int(opt2.iterations.numpy()) == it + 1, f"{name}: a training step after restore")


def main():
    binary, work = interop_check.args(__doc__, 1, 1)
    work = interop_check.workdir(work, "tfckpt_keras2_")
    print(f"TensorFlow {tf.__version__}, Keras 2 as {K.__name__}")
    for case in CASES:
        both_ways(binary, work, case, "restore")
    for case in DEFERRED:
        both_ways(binary, work, case, "deferred")
    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
