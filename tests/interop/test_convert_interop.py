#!/usr/bin/env python3
"""`tfckpt export` / `tfckpt import` against TensorFlow, numpy and the `safetensors` package.

Usage:  .venv/bin/python tests/interop/test_convert_interop.py CLI_PATH FIXTURES_DIR WORK_DIR

1. export: every TF-written fixture (FIXTURES_DIR/*/expected.json) is exported to safetensors and
   to npz; every tensor tf.train.load_checkpoint reads must come back byte-identical (dtype, shape,
   raw bytes; strings element by element) from safetensors.safe_open / load_file and np.load
   (allow_pickle=False), or be listed as skipped exactly when the format has no such dtype.
   --filter and --no-optimizer select the expected keys.
2. import name-based: Python writes safetensors (safetensors.numpy.save_file) and npz (np.savez,
   including |S and <U strings, complex, Fortran-order and big-endian arrays); `tfckpt import`
   writes a bundle whose tensors tf.train.load_checkpoint reads back identical.
3. import object-based: names like "model/dense/kernel" become an object graph that
   tf.train.Checkpoint(model=..., step=...) restores with assert_consumed(); also --map, and a
   TF-written checkpoint (with a legacy optimizer's slot variables) exported and imported back.
Prints "ok ..." / "FAIL ..." lines and "N passed, M failed" last; exit status 1 on any failure.
"""

import json
import os
import shutil
import struct
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_check  # noqa: E402  (the shared prologue, before TensorFlow is imported)
from interop_check import check  # noqa: E402
import tf_values  # noqa: E402,F401
from tf_values import tf, tensor_to_bytes, tensor_to_strings  # noqa: E402
import numpy as np  # noqa: E402

# run_py.sh checks TensorFlow only; the same skip-or-fail policy for safetensors.
interop_check.require_module("safetensors")
from safetensors import safe_open  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402

SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
ST_DTYPES = {"float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8",
             "uint64", "uint32", "uint16", "uint8", "bool", "float8_e5m2", "float8_e4m3fn"}
NPZ_DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint64", "uint32",
              "uint16", "uint8", "bool", "complex64", "complex128", "string"}

def run(cli, *args, want=0):
    p = subprocess.run([cli, *args], capture_output=True, timeout=300)
    ok = check(p.returncode == want, f"tfckpt {' '.join(args)}: exit {p.returncode}, want {want}; "
               f"stderr: {p.stderr.decode(errors='replace')[:600]}")
    return p if ok else None


def name_of(key):
    return key[:-len(SUFFIX)] if key.endswith(SUFFIX) and len(key) > len(SUFFIX) else key


def is_optimizer(key):
    return ("/.OPTIMIZER_SLOT/" in key or key.startswith("optimizer/") or key == "save_counter"
            or key.startswith("save_counter/") or key == "_CHECKPOINTABLE_OBJECT_GRAPH")


def tf_contents(prefix):
    """{key: (dtype name, shape, raw bytes | [element bytes])} as TensorFlow reads them."""
    r = tf.train.load_checkpoint(prefix)
    out = {}
    for key, dt in r.get_variable_to_dtype_map().items():
        if key == "_CHECKPOINTABLE_OBJECT_GRAPH":
            continue
        shape = r.get_variable_to_shape_map()[key]
        if dt.name == "string":
            out[key] = ("string", list(shape), tensor_to_strings(r.get_tensor(key)))
        elif dt.name in tf_values.NUMPY_DTYPES or dt.name == "bfloat16":
            out[key] = (dt.name, list(shape), tensor_to_bytes(r.get_tensor(key), dt.name))
        else:
            out[key] = (dt.name, list(shape), None)  # variant etc.: never exported
    return out


def safetensors_raw(path):
    """name -> (dtype code, shape, raw bytes), parsed by hand (covers BF16, which numpy lacks)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    return {k: (v["dtype"], v["shape"], body[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items() if k != "__metadata__"}, header.get("__metadata__", {})


def check_export_fixture(cli, fixture, work):
    with open(os.path.join(fixture, "expected.json")) as f:
        prefix = os.path.join(fixture, json.load(f)["prefix"])
    name = os.path.basename(fixture)
    want = tf_contents(prefix)

    st = os.path.join(work, name + ".safetensors")
    if not any(dt in ST_DTYPES for (dt, _, _) in want.values()):
        p = run(cli, "export", prefix, "--to", "safetensors", st, want=1)
        check(p is not None and b"nothing to export" in p.stderr, f"{name}: nothing to export: error")
    elif run(cli, "export", prefix, "--to", "safetensors", st):
        raw, meta = safetensors_raw(st)
        keys_meta = json.loads(meta.get("tfckpt.checkpoint_keys", "{}"))
        check(meta.get("format") == "tf", f"{name}: safetensors __metadata__ format is {meta.get('format')!r}, want 'tf'")
        with safe_open(st, framework="np") as f:
            names = set(f.keys())
            for key, (dt, shape, value) in want.items():
                n = name_of(key)
                if dt not in ST_DTYPES:
                    check(n not in names, f"{name}: {key} ({dt}) should be skipped in safetensors")
                    continue
                if not check(n in names, f"{name}: {key} missing from safetensors as {n}"):
                    continue
                check(keys_meta.get(n, n) == key, f"{name}: metadata maps {n} to {keys_meta.get(n)}, want {key}")
                code, sshape, body = raw[n]
                check(sshape == shape and body == value, f"{name}: safetensors {n} raw bytes/shape differ")
                if dt in tf_values.NUMPY_DTYPES:
                    a = f.get_tensor(n)
                    check(a.dtype == np.dtype(tf_values.NUMPY_DTYPES[dt]) and list(a.shape) == shape
                          and np.ascontiguousarray(a).tobytes() == value,
                          f"{name}: safe_open get_tensor({n}) differs")
            check(len(names) == sum(1 for (dt, _, _) in want.values() if dt in ST_DTYPES),
                  f"{name}: safetensors holds extra tensors")
        if not any(dt == "bfloat16" for (dt, _, _) in want.values()):
            loaded = load_file(st)
            check(set(loaded) == names, f"{name}: safetensors.numpy.load_file names differ")

    npz = os.path.join(work, name + ".npz")
    if run(cli, "export", prefix, "--to", "npz", npz):
        with np.load(npz, allow_pickle=False) as z:
            files = set(z.files)
            mapping = {}
            if "__tfckpt_keys__" in files:
                mapping = {a.decode(): b.decode() for a, b in z["__tfckpt_keys__"]}
            for key, (dt, shape, value) in want.items():
                n = name_of(key)
                if dt not in NPZ_DTYPES or (dt == "string" and any(e.endswith(b"\0") for e in value)):
                    check(n not in files, f"{name}: {key} ({dt}) should be skipped in npz")
                    continue
                if not check(n in files, f"{name}: {key} missing from npz as {n}"):
                    continue
                check(mapping.get(n, n) == key, f"{name}: npz key table maps {n} to {mapping.get(n)}")
                a = z[n]
                if dt == "string":
                    check(a.dtype.kind == "S" and list(a.shape) == shape
                          and [bytes(x) for x in a.reshape(-1)] == value, f"{name}: npz strings {n} differ")
                else:
                    check(a.dtype == np.dtype(tf_values.NUMPY_DTYPES[dt]) and list(a.shape) == shape
                          and np.ascontiguousarray(a).tobytes() == value, f"{name}: npz {n} differs")

    # Round trip: export -> import -> TF reads the original keys back, identical.
    for fmt, path in (("safetensors", st), ("npz", npz)):
        out = os.path.join(work, "rt", fmt, name, "ckpt")
        if not os.path.exists(path) or not run(cli, "import", path, "--to", out):
            continue
        got = tf_contents(out)
        ok_dtypes = ST_DTYPES if fmt == "safetensors" else NPZ_DTYPES
        for key, (dt, shape, value) in want.items():
            if dt not in ok_dtypes or (dt == "string" and any(e.endswith(b"\0") for e in value)):
                continue
            check(got.get(key) == (dt, shape, value), f"{name}: {fmt} round trip of {key} differs")


def check_selection(cli, fixtures, work):
    prefix = os.path.join(fixtures, "keras_adam_legacy", "ckpt-1")
    if not os.path.exists(prefix + ".index"):
        return
    keys = [k for k in tf_contents(prefix)]
    out = os.path.join(work, "noopt.safetensors")
    if run(cli, "export", prefix, "--to", "safetensors", out, "--no-optimizer"):
        raw, _ = safetensors_raw(out)
        check(set(raw) == {name_of(k) for k in keys if not is_optimizer(k)}, "--no-optimizer selection")
    out = os.path.join(work, "filter.npz")
    if run(cli, "export", prefix, "--to", "npz", out, "--filter", "kernel/\\.ATTRIBUTES"):
        with np.load(out) as z:
            check(set(z.files) - {"__tfckpt_keys__"} == {name_of(k) for k in keys if "kernel/.ATTRIBUTES" in k},
                  "--filter selection")
    run(cli, "export", prefix, "--to", "npz", os.path.join(work, "none.npz"), "--filter", "^no_such_key$", want=1)
    strings = os.path.join(fixtures, "strings")
    if os.path.isdir(strings):
        with open(os.path.join(strings, "expected.json")) as f:
            sp = os.path.join(strings, json.load(f)["prefix"])
        p = run(cli, "export", sp, "--to", "safetensors", os.path.join(work, "s.safetensors"), "--filter", ".", want=1)
        check(p is not None and b"unsupported" in p.stderr, "filter to strings only: error for safetensors")


def python_arrays():
    rng = np.random.default_rng(7)
    arrs = {}
    for dt in ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
               "uint8", "uint16", "uint32", "uint64"):
        if dt.startswith("float"):
            a = rng.standard_normal((3, 4)).astype(dt)
            a.flat[0] = np.nan
            a.flat[1] = -0.0
            a.flat[2] = np.inf
        else:
            info = np.iinfo(dt)
            a = rng.integers(info.min, info.max, size=(2, 5), dtype=dt, endpoint=True)
            a.flat[0] = info.min
            a.flat[1] = info.max
        arrs[f"v/{dt}"] = a
    arrs["v/bool"] = np.array([[True, False, True]])
    arrs["v/scalar"] = np.array(3.5, dtype=np.float32)
    arrs["v/empty"] = np.zeros((0, 3), dtype=np.float32)
    return arrs


def tf_equal(prefix, key, arr):
    got = tf_contents(prefix).get(key)
    if arr.dtype.kind in "SU":
        vals = [x.encode() if isinstance(x, str) else bytes(x) for x in arr.reshape(-1).tolist()]
        return got == ("string", list(arr.shape), vals)
    want = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<")))
    return got == (tf.as_dtype(want.dtype).name, list(arr.shape), want.tobytes())


def check_import_name_based(cli, work):
    arrs = python_arrays()
    st = os.path.join(work, "py.safetensors")
    save_file(arrs, st)
    out = os.path.join(work, "py_st", "ckpt")
    if run(cli, "import", st, "--to", out):
        check(not os.path.exists(os.path.join(work, "py_st", "checkpoint")), "import writes no checkpoint file")
        check(set(tf_contents(out)) == set(arrs), "safetensors import: keys")
        for k, a in arrs.items():
            check(tf_equal(out, k, a), f"safetensors import: {k} differs in TensorFlow")

    npz_arrs = dict(arrs)
    npz_arrs["v/complex64"] = (np.arange(6) + 1j * np.arange(6)[::-1]).astype(np.complex64).reshape(2, 3)
    npz_arrs["v/complex128"] = np.array([1 + 2j, np.nan - 3j])
    npz_arrs["v/bytes"] = np.array([[b"a", b""], [b"\x00\xffz", b"long string"]])
    npz_arrs["v/unicode"] = np.array(["h\u00e9llo", "\u2603", ""])
    npz_arrs["v/fortran"] = np.asfortranarray(np.arange(24, dtype=np.int32).reshape(2, 3, 4))
    npz_arrs["v/bigendian"] = np.arange(5, dtype=">f8") / 3
    npz = os.path.join(work, "py.npz")
    np.savez(npz, **npz_arrs)
    out = os.path.join(work, "py_npz", "ckpt")
    if run(cli, "import", npz, "--to", out):
        check(set(tf_contents(out)) == set(npz_arrs), "npz import: keys")
        for k, a in npz_arrs.items():
            check(tf_equal(out, k, a), f"npz import: {k} differs in TensorFlow")
    # np.savez_compressed: clear error, no output.
    npzc = os.path.join(work, "pyc.npz")
    np.savez_compressed(npzc, a=np.zeros(3))
    p = run(cli, "import", npzc, "--to", os.path.join(work, "pyc", "ckpt"), want=1)
    check(p is not None and b"savez_compressed" in p.stderr, "compressed npz: clear error")
    check(not os.path.exists(os.path.join(work, "pyc", "ckpt.index")), "compressed npz: nothing written")


class Dense(tf.Module):
    def __init__(self, k, b):
        super().__init__()
        self.kernel = tf.Variable(k)
        self.bias = tf.Variable(b)


class Model(tf.Module):
    def __init__(self, k, b):
        super().__init__()
        self.dense = Dense(k, b)


def check_import_object_based(cli, work):
    k = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    b = np.array([1.5, -2.0, 0.25, 8.0], dtype=np.float32)
    step = np.array(42, dtype=np.int64)
    st = os.path.join(work, "obj.safetensors")
    save_file({"model/dense/kernel": k, "model/dense/bias": b, "step": step}, st)
    out = os.path.join(work, "obj", "ckpt")
    if run(cli, "import", st, "--to", out, "--object-graph"):
        m = Model(np.zeros_like(k), np.zeros_like(b))
        s = tf.Variable(np.int64(0))
        tf.train.Checkpoint(model=m, step=s).restore(out).assert_consumed()
        check(np.array_equal(m.dense.kernel.numpy(), k) and np.array_equal(m.dense.bias.numpy(), b)
              and s.numpy() == 42, "object-based import: restored values")
    # --map renames, from npz.
    npz = os.path.join(work, "obj.npz")
    np.savez(npz, w=k, bb=b)
    out = os.path.join(work, "objmap", "ckpt")
    if run(cli, "import", npz, "--to", out, "--object-graph", "--map", "w=net/dense/kernel", "--map", "bb=net/dense/bias"):
        m = Model(np.zeros_like(k), np.zeros_like(b))
        tf.train.Checkpoint(net=m).restore(out).assert_consumed()
        check(np.array_equal(m.dense.kernel.numpy(), k) and np.array_equal(m.dense.bias.numpy(), b),
              "object-based import with --map: restored values")
    # Name-based import of the same file: TF's list has the plain names.
    out = os.path.join(work, "objname", "ckpt")
    if run(cli, "import", st, "--to", out):
        check(set(tf_contents(out)) == {"model/dense/kernel", "model/dense/bias", "step"}, "name-based default keys")
    run(cli, "import", st, "--to", os.path.join(work, "bad", "ckpt"), "--map", "nope=x", want=1)


def check_tf_round_trip(cli, work):
    """A TF-written checkpoint with a legacy optimizer (slot variables) -> export -> import ->
    restored by TensorFlow into a fresh object tree with assert_consumed."""
    m = Model(np.ones((3, 4), np.float32), np.zeros(4, np.float32))
    try:
        import tf_keras
        opt = tf_keras.optimizers.legacy.Adam(0.1)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(m.dense.kernel ** 2) + tf.reduce_sum(m.dense.bias)
        opt.apply_gradients(zip(tape.gradient(loss, [m.dense.kernel, m.dense.bias]),
                                [m.dense.kernel, m.dense.bias]))
    except ImportError as e:
        print("note: no tf_keras, round trip without an optimizer:", e)
        opt = None
    objs = {"model": m, "optimizer": opt} if opt is not None else {"model": m}
    src = os.path.join(work, "tfsrc", "ckpt")
    tf.train.Checkpoint(**objs).write(src)
    want = tf_contents(src)
    for fmt in ("safetensors", "npz"):
        path = os.path.join(work, "tfsrc." + fmt)
        out = os.path.join(work, "tfrt_" + fmt, "ckpt")
        if not run(cli, "export", src, "--to", fmt, path) or not run(cli, "import", path, "--to", out):
            continue
        got = tf_contents(out)
        got.pop("save_counter/.ATTRIBUTES/VARIABLE_VALUE", None)  # added by import for assert_consumed
        check(got == want, f"TF checkpoint {fmt} round trip: tensors differ")
        m2 = Model(np.zeros((3, 4), np.float32), np.zeros(4, np.float32))
        objs2 = {"model": m2}
        if opt is not None:
            opt2 = type(opt)(0.5)
            objs2["optimizer"] = opt2
        status = tf.train.Checkpoint(**objs2).restore(out)
        if opt is not None:
            # Slot variables are created by the optimizer on first use; restore defers them.
            opt2._create_all_weights([m2.dense.kernel, m2.dense.bias])
        status.assert_consumed()
        check(np.array_equal(m2.dense.kernel.numpy(), m.dense.kernel.numpy()), f"{fmt} round trip: kernel restored")
        if opt is not None:
            check(np.array_equal(opt2.get_slot(m2.dense.kernel, "m").numpy(), opt.get_slot(m.dense.kernel, "m").numpy()),
                  f"{fmt} round trip: Adam slot m restored")
        # diff of the original and the round trip: tensors identical.
        p = run(cli, "diff", src, out, "--filter", "^(?!_CHECKPOINTABLE_OBJECT_GRAPH$|save_counter/)", want=0)
        check(p is not None and p.stdout == b"", f"{fmt} round trip: diff reports no tensor difference")


def main():
    cli, fixtures, work = interop_check.args(__doc__, 3)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    if os.environ.get("CONVERT_ONLY") == "round_trip":  # development shortcut
        check_tf_round_trip(cli, work)
        return interop_check.summary()
    exported = 0
    for d in sorted(os.listdir(fixtures)):
        if os.path.isfile(os.path.join(fixtures, d, "expected.json")):
            check_export_fixture(cli, os.path.join(fixtures, d), work)
            exported += 1
    check(exported >= 10, f"only {exported} fixtures (*/expected.json) under {fixtures}")
    check_selection(cli, fixtures, work)
    check_import_name_based(cli, work)
    check_import_object_based(cli, work)
    check_tf_round_trip(cli, work)
    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
