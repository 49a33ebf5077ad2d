"""Example (b): C++ trains, Keras continues, C++ resumes -- and checkpoint_manager interop.

1. examples/linear_regression_train.cpp trains y = 3x + 2 with its own legacy-Adam state and
   saves with tfckpt::checkpoint_manager(max_to_keep=3) into WORK/cpp.
2. TensorFlow's tf.train.CheckpointManager on WORK/cpp sees the same `checkpoints` and
   `latest_checkpoint` as our manager printed; only those checkpoints' files remain.
3. tf_keras Sequential([Input(1), Dense(1)]) + tf_keras.optimizers.legacy.Adam restore the latest
   with assert_consumed(); weights, slots m/v, iter and hyper-parameters are bit-identical to the
   C++ dump (cpp_state.json); training continues a few steps; tf.train.Checkpoint.save to WORK/py.
4. `linear_regression_train --resume WORK/py` restores that with assert_consumed (exit 3
   otherwise), prints exactly Keras's bits, keeps training and saves with its manager; TF's
   manager then sees that checkpoint (and our manager left TF's plain save() alone).
5. A directory written by TF's CheckpointManager(max_to_keep=2): `--list` shows the same managed
   list; `--resume` saves the next number and deletes the oldest, and TF agrees afterwards.
Last line: "N passed, M failed"; exit status 1 if anything failed.

usage: example_b_cpp_to_keras.py EXAMPLE_BINARY [WORKDIR]
"""
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import interop_check  # noqa: E402  (the shared prologue; this directory is on sys.path)
from interop_check import check, check_consumed as assert_consumed  # noqa: E402

tf = interop_check.tensorflow()
tf_keras = interop_check.keras2()


def bits(x):
    return struct.unpack("<I", np.float32(x).tobytes())[0]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    print("$", " ".join(cmd), "->", r.returncode)
    if r.returncode != 0:
        print(r.stdout, r.stderr)
    return r


def parse(stdout):
    out = {"managed": [], "latest": None, "values": {}}
    for line in stdout.splitlines():
        p = line.split()
        if p[:1] == ["managed"]:
            out["managed"].append(p[1])
        elif p[:1] == ["latest"]:
            out["latest"] = p[1]
        elif p[:1] == ["value"]:
            out["values"][p[1]] = int(p[2], 16)
        elif p[:1] == ["iter"]:
            out["iter"] = int(p[1])
    return out


def keras_state():
    model = tf_keras.Sequential([tf_keras.Input(shape=(1,)), tf_keras.layers.Dense(1)])
    opt = tf_keras.optimizers.legacy.Adam(learning_rate=0.5)  # restored: 0.1 from C++
    opt._create_all_weights(model.trainable_variables)  # iter, hyper-parameters, slots exist now
    return model, opt, tf.train.Checkpoint(model=model, optimizer=opt)


def keras_bits(model, opt):
    k, b = model.layers[0].kernel, model.layers[0].bias
    v = {"kernel": k.numpy()[0, 0], "bias": b.numpy()[0],
         "kernel/m": opt.get_slot(k, "m").numpy()[0, 0], "kernel/v": opt.get_slot(k, "v").numpy()[0, 0],
         "bias/m": opt.get_slot(b, "m").numpy()[0], "bias/v": opt.get_slot(b, "v").numpy()[0]}
    for h in ("learning_rate", "beta_1", "beta_2", "decay"):
        v[h] = opt._get_hyper(h).numpy()
    return {name: bits(x) for name, x in v.items()}


def train(model, opt, steps):
    x = np.arange(16, dtype=np.float32).reshape(16, 1) * np.float32(0.125) - np.float32(1)
    y = 3 * x + 2
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    return float(loss)


def main():
    binary, work = interop_check.args(__doc__, 1, 1)
    work = interop_check.workdir(work, "tfckpt_example_b_")
    work = os.path.join(work, "example_b")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    cpp_dir, py_dir, tf_mgr_dir = (os.path.join(work, d) for d in ("cpp", "py", "tfmgr"))

    # 1-2. C++ trains and saves with its manager; TF's manager agrees on the state.
    r = run([binary, cpp_dir, "--steps", "200"])
    check(r.returncode == 0, "C++ training run")
    ours = parse(r.stdout)
    check(ours["managed"] == [os.path.join(cpp_dir, f"ckpt-{n}") for n in (2, 3, 4)], f"our list {ours['managed']}")
    model, opt, ckpt = keras_state()
    tf_mgr = tf.train.CheckpointManager(ckpt, cpp_dir, max_to_keep=3)
    check(tf_mgr.checkpoints == ours["managed"], f"TF manager sees {tf_mgr.checkpoints}, ours {ours['managed']}")
    check(tf_mgr.latest_checkpoint == ours["latest"], f"TF latest {tf_mgr.latest_checkpoint}, ours {ours['latest']}")
    check(tf.train.latest_checkpoint(cpp_dir) == ours["latest"], "tf.train.latest_checkpoint")
    present = sorted(f for f in os.listdir(cpp_dir) if ".index" in f or ".data-" in f)
    check(present == [f"ckpt-{n}.{s}" for n in (2, 3, 4) for s in ("data-00000-of-00001", "index")],
          f"files left by our sweep: {present}")

    # 3. Keras restores with assert_consumed; bit-identical to the C++ dump; trains on.
    status = ckpt.restore(tf_mgr.latest_checkpoint)
    assert_consumed(status, "Keras restoring C++")
    with open(os.path.join(cpp_dir, "cpp_state.json")) as f:
        dumped = json.load(f)
    got = keras_bits(model, opt)
    for name, b in got.items():
        check(b == dumped[name], f"{name}: Keras 0x{b:08x}, C++ dumped 0x{dumped[name]:08x}")
    check(got == ours["values"], "printed values equal the JSON dump")
    check(int(opt.iterations.numpy()) == dumped["iter"] == 200, f"iter {int(opt.iterations.numpy())}")
    check(int(ckpt.save_counter.numpy()) == 4, f"save_counter {int(ckpt.save_counter.numpy())}")
    train(model, opt, 10)
    check(int(opt.iterations.numpy()) == 210, "Keras continued training")
    py_path = ckpt.save(os.path.join(py_dir, "ckpt"))
    check(py_path == os.path.join(py_dir, "ckpt-5"), f"Keras saved {py_path}")
    keras_after = keras_bits(model, opt)

    # 4. C++ resumes from Keras's checkpoint.
    r = run([binary, "--resume", py_dir, "--steps", "20"])
    check(r.returncode == 0, f"C++ --resume (exit {r.returncode}; 3 = assert_consumed failed, 4 = no progress)")
    check("assert_consumed ok" in r.stdout, "C++ reported assert_consumed ok")
    restored_lines = r.stdout.split("restored ", 1)[-1].split("saved ", 1)[0]
    restored = parse(restored_lines)
    check(restored["values"] == keras_after, f"C++ restored {restored['values']}, Keras had {keras_after}")
    check(restored.get("iter") == 210, f"C++ restored iter {restored.get('iter')}")
    resumed = parse(r.stdout.split("saved ", 1)[-1])
    check(resumed.get("iter") == 230, f"C++ iter after resuming {resumed.get('iter')}")
    tf_mgr = tf.train.CheckpointManager(keras_state()[2], py_dir, max_to_keep=3)
    check(tf_mgr.checkpoints == [os.path.join(py_dir, "ckpt-6")], f"TF manager on py dir: {tf_mgr.checkpoints}")
    check(tf_mgr.latest_checkpoint == os.path.join(py_dir, "ckpt-6"), f"latest {tf_mgr.latest_checkpoint}")
    check(os.path.exists(py_path + ".index"), "Keras's plain save() is not managed, so not deleted")
    model2, opt2, ckpt2 = keras_state()
    assert_consumed(ckpt2.restore(tf_mgr.latest_checkpoint), "Keras restoring resumed C++")
    check(int(opt2.iterations.numpy()) == 230, "iter 230 after the round trip")

    # 5. A directory written by TF's CheckpointManager.
    model3, opt3, ckpt3 = keras_state()
    tf_mgr = tf.train.CheckpointManager(ckpt3, tf_mgr_dir, max_to_keep=2)
    for _ in range(4):
        train(model3, opt3, 3)
        tf_mgr.save()
    r = run([binary, "--list", tf_mgr_dir])
    listed = parse(r.stdout)
    check(listed["managed"] == tf_mgr.checkpoints, f"ours recovered {listed['managed']}, TF {tf_mgr.checkpoints}")
    check(listed["latest"] == tf_mgr.latest_checkpoint, f"ours latest {listed['latest']}")
    # Our manager keeps 3; with TF's two managed it deletes nothing yet; a second resume does.
    for expect in ([3, 4, 5], [4, 5, 6]):
        r = run([binary, "--resume", tf_mgr_dir, "--steps", "2"])
        check(r.returncode == 0, "C++ --resume on TF's manager dir")
        tf_view = tf.train.CheckpointManager(keras_state()[2], tf_mgr_dir, max_to_keep=3)
        want = [os.path.join(tf_mgr_dir, f"ckpt-{n}") for n in expect]
        check(tf_view.checkpoints == want, f"TF sees {tf_view.checkpoints}, expected {want}")
    left = sorted(f for f in os.listdir(tf_mgr_dir) if f.endswith(".index"))
    check(left == ["ckpt-4.index", "ckpt-5.index", "ckpt-6.index"], f"files left {left}")

    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
