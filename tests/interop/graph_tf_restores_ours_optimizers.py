"""TensorFlow restores checkpoints tfckpt wrote for tf_keras SGD and RMSprop, in both layouts.

Runs the C++ writer (tests/interop/write_keras_optimizers.cpp), rebuilds the same tf_keras model
with each optimizer and checks with TensorFlow as the judge:
  * tf.train.Checkpoint(model=..., optimizer=..., step=...).restore(path).assert_consumed()
  * every model variable and every optimizer variable (momentum, velocity/rms, average gradient/mg)
    is bit-identical to what the C++ side wrote, found through TF's own accessors
  * the object graph, keys and shapes we wrote equal what TF writes for the restored objects
  * training continues from the restored state
Last line: "N passed, M failed"; exit status 1 if anything failed.

usage: graph_tf_restores_ours_optimizers.py WRITER_BINARY [WORKDIR]
"""
import os
import shutil
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import interop_check  # noqa: E402  (the shared prologue; this directory is on sys.path)
from interop_check import check, first_graph_difference, graph_of, pattern, same_bits  # noqa: E402

tf = interop_check.tensorflow()
tf_keras = interop_check.keras2()


def mlp():
    return tf_keras.Sequential([
        tf_keras.Input(shape=(4,)),
        tf_keras.layers.Dense(8, activation="relu"),
        tf_keras.layers.Dense(3),
    ])


def train_step(model, opt):
    x = tf.constant(np.linspace(-1.0, 1.0, 32, dtype=np.float32).reshape(8, 4))
    y = tf.constant(np.linspace(0.0, 2.0, 24, dtype=np.float32).reshape(8, 3))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))


def restore_and_compare(name, path, work, model, opt, step, slots):
    """slots(i, var) -> [(what, tf variable, expected numpy value)] for trainable variable i."""
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt, step=step)
    status = ckpt.restore(path)
    try:
        status.assert_consumed()
        check(True, "")
    except AssertionError as e:
        check(False, f"{name}: assert_consumed: {e}")
    try:
        status.assert_existing_objects_matched()
        status.assert_nontrivial_match()
        check(True, "")
    except AssertionError as e:
        check(False, f"{name}: assert_existing_objects_matched/nontrivial: {e}")
    weights = model.trainable_variables
    check(len(weights) == 4, f"{name}: 4 trainable variables")
    for i, var in enumerate(weights):
        shape = var.shape.as_list()
        check(same_bits(var.numpy(), pattern(i + 1, shape)), f"{name}: {var.name} value")
        for what, got, want in slots(i, var):
            check(got is not None and same_bits(got.numpy(), want), f"{name}: {var.name} {what}")
    check(int(opt.iterations.numpy()) == 5, f"{name}: iterations")
    check(int(step.numpy()) == 11, f"{name}: step")
    check(int(ckpt.save_counter.numpy()) == 1, f"{name}: save_counter")

    tf_prefix = ckpt.write(os.path.join(work, "tf_rewrite", name, "ckpt-1"))
    diff = first_graph_difference(graph_of(path), graph_of(tf_prefix))
    check(diff == "", f"{name}: object graph differs from TF's: {diff}")
    ours = dict(tf.train.list_variables(path))
    theirs = dict(tf.train.list_variables(tf_prefix))
    check(ours == theirs, f"{name}: keys/shapes differ: {sorted(set(ours) ^ set(theirs))}")

    before = int(opt.iterations.numpy())
    train_step(model, opt)
    check(int(opt.iterations.numpy()) == before + 1, f"{name}: a training step after restore")


def expect(salt, shape, offset, absolute=False):
    v = pattern(salt + offset, shape)
    return np.abs(v) if absolute else v


def main():
    writer, work = interop_check.args(__doc__, 1, 1)
    work = interop_check.workdir(work, "tfckpt_optimizers_")
    out = os.path.join(work, "written")
    shutil.rmtree(out, ignore_errors=True)  # a rerun must not see an earlier run's files
    subprocess.run([writer, out], check=True)
    paths = {}
    for name in ("sgd", "rmsprop", "sgd_legacy", "rmsprop_legacy"):
        paths[name] = tf.train.latest_checkpoint(os.path.join(out, name))
        check(paths[name] == os.path.join(out, name, "ckpt-1"), f"{name}: latest_checkpoint gave {paths[name]}")
    shards = sorted(f for f in os.listdir(os.path.join(out, "rmsprop_legacy")) if ".data-" in f)
    check(shards == ["ckpt-1.data-00000-of-00002", "ckpt-1.data-00001-of-00002"],
          f"rmsprop_legacy: two shards expected, found {shards}")

    # TF >= 2.11 SGD: _variables = [iterations, momentum of each variable]; list `momentums`.
    model = mlp()
    opt = tf_keras.optimizers.SGD(learning_rate=0.5, momentum=0.9)
    opt.build(model.trainable_variables)  # creates the momentums (normally on the first step)
    restore_and_compare("sgd", paths["sgd"], work, model, opt, tf.Variable(0, dtype=tf.int64),
                        lambda i, v: [("momentum", opt.momentums[i], expect(i + 1, v.shape.as_list(), 100)),
                                      (f"variables[{1 + i}]", opt.variables[1 + i],
                                       expect(i + 1, v.shape.as_list(), 100))])
    check(same_bits(opt._learning_rate.numpy(), np.float32(0.01)), "sgd: learning_rate")

    # TF >= 2.11 RMSprop(momentum, centered): blocked _variables = [iterations, velocities...,
    # momentums..., average_gradients...].
    model = mlp()
    opt = tf_keras.optimizers.RMSprop(learning_rate=0.5, momentum=0.9, centered=True)
    opt.build(model.trainable_variables)

    def rms_slots(i, v):
        s = v.shape.as_list()
        return [("velocity", opt._velocities[i], expect(i + 1, s, 200, True)),
                ("momentum", opt._momentums[i], expect(i + 1, s, 300)),
                ("average_gradient", opt._average_gradients[i], expect(i + 1, s, 400)),
                (f"variables[{1 + i}] (velocity)", opt.variables[1 + i], expect(i + 1, s, 200, True)),
                (f"variables[{5 + i}] (momentum)", opt.variables[5 + i], expect(i + 1, s, 300)),
                (f"variables[{9 + i}] (average_gradient)", opt.variables[9 + i], expect(i + 1, s, 400))]
    restore_and_compare("rmsprop", paths["rmsprop"], work, model, opt, tf.Variable(0, dtype=tf.int64), rms_slots)
    check(same_bits(opt._learning_rate.numpy(), np.float32(0.01)), "rmsprop: learning_rate")

    # Legacy (optimizer_v2) SGD: hyper-parameters as variables, slot `momentum`.
    model = mlp()
    opt = tf_keras.optimizers.legacy.SGD(learning_rate=0.5, momentum=0.5)
    opt._create_all_weights(model.trainable_variables)  # hypers, iterations and slots exist now
    restore_and_compare("sgd_legacy", paths["sgd_legacy"], work, model, opt, tf.Variable(0, dtype=tf.int64),
                        lambda i, v: [("momentum slot", opt.get_slot(v, "momentum"),
                                       expect(i + 1, v.shape.as_list(), 100))])
    check(same_bits(opt._get_hyper("momentum").numpy(), np.float32(0.9)), "sgd_legacy: momentum hyper-parameter")
    check(same_bits(opt._get_hyper("learning_rate").numpy(), np.float32(0.01)), "sgd_legacy: learning_rate")

    # Legacy RMSprop(momentum, centered): slots rms, momentum, mg.
    model = mlp()
    opt = tf_keras.optimizers.legacy.RMSprop(learning_rate=0.5, momentum=0.5, rho=0.5, centered=True)
    opt._create_all_weights(model.trainable_variables)

    def legacy_rms_slots(i, v):
        s = v.shape.as_list()
        return [("rms slot", opt.get_slot(v, "rms"), expect(i + 1, s, 200, True)),
                ("momentum slot", opt.get_slot(v, "momentum"), expect(i + 1, s, 300)),
                ("mg slot", opt.get_slot(v, "mg"), expect(i + 1, s, 400))]
    restore_and_compare("rmsprop_legacy", paths["rmsprop_legacy"], work, model, opt,
                        tf.Variable(0, dtype=tf.int64), legacy_rms_slots)
    check(same_bits(opt._get_hyper("rho").numpy(), np.float32(0.9)), "rmsprop_legacy: rho hyper-parameter")

    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
