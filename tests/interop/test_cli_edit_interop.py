#!/usr/bin/env python3
"""`tfckpt export --no-optimizer`, `filter`, `merge`, `rename` and `stats` against TensorFlow.

Usage:  .venv/bin/python tests/interop/test_cli_edit_interop.py CLI_PATH WORK_DIR

TensorFlow writes, at test time, Keras models with their optimizers through
tf.train.Checkpoint(model=model, optimizer=optimizer).save: tf_keras with a legacy Adam (slot
variables), tf_keras with the current Adam (optimizer/_variables/N) and Keras 3 with Adam (model
weights keyed under optimizer/_trainable_variables/N). For each:
1. `filter --no-optimizer`: TF restores the result into tf.train.Checkpoint(model=fresh model)
   with assert_consumed(), and the weights equal the trained model's.
2. `export --no-optimizer --to safetensors`: exactly the model's weights, named by model path,
   values equal; __metadata__ "format" is "tf".
3. `stats --json`: min, max, mean, std, nan, inf, zero_fraction equal numpy's on the values
   tf.train.load_checkpoint reads.
Then `merge` of two bundles TF wrote with SaveV2 (TF reads every tensor back and restores the
model; the inputs are left in place) and `rename` of tf.Module objects (TF restores the renamed
checkpoint into the renamed objects with assert_consumed()). Also `filter --drop`.
Prints "ok ..." / "FAIL ..." lines and "N passed, M failed" last; exit status 1 on any failure.
"""

import json
import os
import shutil
import struct
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok", what)
    else:
        failed += 1
        print("FAIL", what)
    return cond


def run(cli, *args, want=0):
    p = subprocess.run([cli, *args], capture_output=True, timeout=300)
    check(p.returncode == want, f"tfckpt {' '.join(args)}: exit {p.returncode}, want {want}; "
          f"stderr: {p.stderr.decode(errors='replace')[:600]}")
    return p


def run_json(cli, *args, want=0):
    p = run(cli, *args, "--json", want=want)
    try:
        j = json.loads(p.stdout)
    except ValueError:
        check(False, f"tfckpt {' '.join(args)} --json: not JSON: {p.stdout[:300]!r}")
        return None
    check(j.get("json_version") == 1 and j.get("ok") is (want == 0), f"tfckpt {args[0]} --json envelope")
    return j


def mlp(k):
    m = k.Sequential([k.Input(shape=(4,)), k.layers.Dense(8, activation="relu"), k.layers.Dense(3)])
    return m


def trained(k, opt):
    m = mlp(k)
    m.compile(optimizer=opt, loss="mse")
    rng = np.random.default_rng(0)
    m.fit(rng.random((16, 4), dtype=np.float32), rng.random((16, 3), dtype=np.float32), epochs=2, verbose=0)
    return m


def cases():
    out = []
    try:
        import tf_keras
        out.append(("tf_keras_legacy_adam", tf_keras, lambda: tf_keras.optimizers.legacy.Adam(0.01)))
        out.append(("tf_keras_adam", tf_keras, lambda: tf_keras.optimizers.Adam(0.01)))
    except ImportError as e:
        check(False, f"tf_keras importable: {e}")
    import keras
    check(keras.__version__.startswith("3"), f"Keras 3 installed (keras {keras.__version__})")
    out.append(("keras3_adam", keras, lambda: keras.optimizers.Adam(0.01)))
    return out


def safetensors_header(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def check_stats(cli, prefix, name):
    j = run_json(cli, "stats", prefix)
    if j is None:
        return
    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    got = {e["key"]: e for e in j["tensors"]}
    numeric = [k for k in dtypes if k != "_CHECKPOINTABLE_OBJECT_GRAPH" and dtypes[k] != tf.string]
    check(set(numeric) <= set(got), f"{name}: stats lists every numeric tensor")
    bad = []
    for k in numeric:
        a = np.asarray(reader.get_tensor(k)).astype(np.float64).reshape(-1)
        e = got.get(k)
        if e is None:
            continue
        fin = a[np.isfinite(a)]
        want = {"nan": int(np.isnan(a).sum()), "inf": int(np.isinf(a).sum()),
                "zero_fraction": float((a == 0).mean()) if a.size else None,
                "min": float(fin.min()) if fin.size else None, "max": float(fin.max()) if fin.size else None,
                "mean": float(fin.mean()) if fin.size else None, "std": float(fin.std()) if fin.size else None}
        for f, w in want.items():
            g = e.get(f)
            if w is None or g is None:
                if w is not g and not (w is None and g is None):
                    bad.append((k, f, g, w))
            elif not np.isclose(g, w, rtol=1e-9, atol=1e-12):
                bad.append((k, f, g, w))
        if e.get("dtype") is None or e.get("shape") != list(reader.get_variable_to_shape_map()[k]):
            bad.append((k, "shape", e.get("shape"), None))
    check(not bad, f"{name}: stats equal numpy's {bad[:3]}")


def model_case(cli, work, name, k, make_opt):
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    m = trained(k, make_opt())
    prefix = tf.train.Checkpoint(model=m, optimizer=m.optimizer).save(os.path.join(d, "full", "ckpt"))
    weights = [np.asarray(w) for w in m.weights]

    # 1. filter --no-optimizer -> Checkpoint(model=fresh).restore().assert_consumed()
    slim = os.path.join(d, "slim", "ckpt")
    j = run_json(cli, "filter", prefix, slim, "--no-optimizer")
    if j is not None:
        check(j["dropped"] and all("optimizer" in x or "OPTIMIZER_SLOT" in x for x in j["dropped"]),
              f"{name}: filter dropped only optimizer state")
    fresh = mlp(k)
    try:
        tf.train.Checkpoint(model=fresh).restore(slim).assert_consumed()
        check(True, f"{name}: TF restores the filtered checkpoint with assert_consumed()")
    except Exception as e:  # noqa: BLE001
        check(False, f"{name}: assert_consumed on filtered checkpoint: {e}")
    check(len(fresh.weights) == len(weights) and all(np.array_equal(np.asarray(a), b)
                                                      for a, b in zip(fresh.weights, weights)),
          f"{name}: restored weights equal the trained model's")
    keys = [kk for kk, _ in tf.train.list_variables(slim)]
    check(not any("optimizer" in kk for kk in keys), f"{name}: no optimizer keys left {keys}")

    # 2. export --no-optimizer: the model's weights, by model path
    st = os.path.join(d, "model.safetensors")
    run(cli, "export", prefix, "--to", "safetensors", st, "--no-optimizer")
    if os.path.exists(st):
        header, body = safetensors_header(st)
        meta = header.pop("__metadata__", {})
        check(meta.get("format") == "tf", f"{name}: safetensors format metadata {meta.get('format')!r}")
        check(len(header) == len(weights), f"{name}: export --no-optimizer holds {len(header)} tensors, "
              f"the model has {len(weights)}: {sorted(header)}")
        check(all(n.startswith("model/") for n in header), f"{name}: exported names are model paths {sorted(header)}")
        vals = sorted(np.frombuffer(body[v["data_offsets"][0]:v["data_offsets"][1]], np.float32).tobytes()
                      for v in header.values())
        check(vals == sorted(w.astype(np.float32).tobytes() for w in weights), f"{name}: exported values equal the weights")

    # 3. stats against numpy
    check_stats(cli, prefix, name)
    return prefix


def merge_case(cli, work, prefix):
    reader = tf.train.load_checkpoint(prefix)
    keys = sorted(reader.get_variable_to_shape_map())
    half = len(keys) // 2
    parts = []
    for i, ks in enumerate((keys[:half], keys[half:])):
        p = os.path.join(work, "merge", f"part{i}")
        tf.raw_ops.SaveV2(prefix=p, tensor_names=ks, shape_and_slices=[""] * len(ks),
                          tensors=[tf.constant(reader.get_tensor(kk)) for kk in ks])
        parts.append(p)
    out = os.path.join(work, "merge", "out", "ckpt")
    j = run_json(cli, "merge", out, *parts)
    if j is not None:
        check(j["tensors"] == len(keys), "merge: every tensor in the result")
    check(all(os.path.exists(p + ".index") for p in parts), "merge: inputs left in place")
    r2 = tf.train.load_checkpoint(out)
    check(sorted(r2.get_variable_to_shape_map()) == keys and all(
        np.array_equal(r2.get_tensor(kk), reader.get_tensor(kk)) for kk in keys
        if kk != "_CHECKPOINTABLE_OBJECT_GRAPH"), "merge: TF reads every tensor back")
    run(cli, "merge", os.path.join(work, "merge", "dup"), parts[0], parts[0], want=1)


def module_cases(cli, work):
    class Net(tf.Module):
        def __init__(self, first="w"):
            super().__init__()
            setattr(self, first, tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3)))
            self.b = tf.Variable(np.array([1.5, -2.0], np.float64))
            self.s = tf.Variable(tf.constant(["a", "bc"]))
            self.h = tf.Variable(tf.constant([1, 2], tf.bfloat16))

    src = tf.train.Checkpoint(dense=Net()).save(os.path.join(work, "module", "ckpt"))
    out = os.path.join(work, "module", "renamed", "ckpt")
    j = run_json(cli, "rename", src, out, "--map", "^dense=layer", "--map", "/w$=/kernel")
    if j is not None:
        check({e["to"] for e in j["renamed"]} >= {"layer/kernel/.ATTRIBUTES/VARIABLE_VALUE"}, "rename: keys renamed")
    target = Net(first="kernel")
    for v in target.trainable_variables:
        v.assign(tf.zeros_like(v))
    target.s.assign(tf.constant(["", ""]))
    try:
        tf.train.Checkpoint(layer=target).restore(out).assert_consumed()
        check(True, "rename: TF restores into the renamed objects with assert_consumed()")
    except Exception as e:  # noqa: BLE001
        check(False, f"rename: assert_consumed: {e}")
    check(np.array_equal(target.kernel.numpy(), np.arange(6).reshape(2, 3)) and target.b.numpy()[1] == -2.0
          and list(target.s.numpy()) == [b"a", b"bc"] and target.h.dtype == tf.bfloat16
          and list(target.h.numpy().astype(np.float32)) == [1, 2], "rename: values and dtypes kept")
    run(cli, "rename", src, os.path.join(work, "module", "bad"), "--map", "^dense/w$=other/w", want=1)

    # filter --drop: the dropped object leaves the graph; TF restores into a module without it.
    dropped = os.path.join(work, "module", "dropped", "ckpt")
    run(cli, "filter", src, dropped, "--drop", "^dense/s/")

    class NoS(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(tf.zeros((2, 3)))
            self.b = tf.Variable(tf.zeros((2,), tf.float64))
            self.h = tf.Variable(tf.zeros((2,), tf.bfloat16))

    t = NoS()
    try:
        tf.train.Checkpoint(dense=t).restore(dropped).assert_consumed()
        check(True, "filter --drop: TF restores with assert_consumed()")
    except Exception as e:  # noqa: BLE001
        check(False, f"filter --drop: assert_consumed: {e}")
    check(np.array_equal(t.w.numpy(), np.arange(6).reshape(2, 3)), "filter --drop: values kept")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    cli, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    k3 = None
    for name, k, make_opt in cases():
        p = model_case(cli, work, name, k, make_opt)
        if name == "keras3_adam":
            k3 = p
    if k3:
        merge_case(cli, work, k3)
    module_cases(cli, work)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
