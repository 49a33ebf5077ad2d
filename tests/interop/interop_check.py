"""The prologue and tally shared by every script under tests/interop/.

Import it first, as `import interop_check` (the scripts run as `python tests/interop/X.py`, so
this directory is on sys.path). Importing it
  * keeps __pycache__ out of the source tree (sys.dont_write_bytecode) and TensorFlow's C++
    logging off the output (TF_CPP_MIN_LOG_LEVEL, set before anything imports TensorFlow);
  * refuses big-endian hosts (the expected values are little-endian bytes).
Then:
  * tensorflow() imports TensorFlow, or exits 77 (ctest: skipped, loudly) -- 1 when CI is set,
    so CI never skips interop; require_module() does the same for other packages (safetensors);
  * args(doc, n_required, n_optional) is sys.argv[1:] checked against the usage in `doc`;
  * workdir(path, prefix) is the given directory or a fresh temporary one;
  * check(ok, what) counts one check; summary() prints "N passed, M failed" as the last line and
    gives the exit status, which is 1 if anything failed OR NOTHING WAS CHECKED (a script that
    found no inputs must not pass).
Also: bit-exact array comparison (of two checkpoints too), the value pattern the C++ writers fill
variables with, TensorFlow's object graph of a checkpoint, assert_consumed() as a check.
"""
import importlib
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

if sys.byteorder != "little":
    raise SystemExit("interop scripts assume a little-endian host")

import numpy as np  # noqa: E402

passed = failed = 0


def is_ci():
    return os.environ.get("CI", "") not in ("", "0", "false", "False", "FALSE", "no")


def require_module(name, fix="bash scripts/install-deps.sh"):
    """Imports `name`; if that fails, exit 77 (skipped, loudly) or 1 under CI."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        print(f"# interop: {name} is not importable with {sys.executable} ({e}); fix: {fix}", file=sys.stderr)
        if is_ci():
            print("# CI is set: FAILING instead of skipping.", file=sys.stderr)
            sys.exit(1)
        print("# SKIPPED (exit 77).", file=sys.stderr)
        sys.exit(77)


def tensorflow():
    return require_module("tensorflow")


def keras2():
    """The Keras 2 API: tf_keras, or under TF <= 2.15 (the .venv-tf215 interop run) tf.keras, which
    is Keras 2 there; with a Keras 3 TensorFlow and no tf_keras, exit 77 or 1 as require_module."""
    try:
        return importlib.import_module("tf_keras")
    except ImportError:
        tf = tensorflow()
        major, minor = (int(x) for x in tf.__version__.split(".")[:2])
        if (major, minor) <= (2, 15):
            return tf.keras
        return require_module("tf_keras")


def args(doc, required, optional=0):
    """sys.argv[1:] when it has `required` to `required + optional` items; else the usage, exit 2."""
    a = sys.argv[1:]
    if not required <= len(a) <= required + optional:
        print((doc or "").strip(), file=sys.stderr)
        sys.exit(2)
    return a + [None] * (required + optional - len(a))


def workdir(path, prefix):
    """`path` (created if needed) or, when None, a fresh temporary directory."""
    if path is None:
        return tempfile.mkdtemp(prefix=prefix)
    os.makedirs(path, exist_ok=True)
    return path


def check(ok, what):
    """Counts one check; prints "FAIL: what" when it failed. Returns `ok`."""
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)
    return ok


def summary():
    """Prints the tally line; the exit status for sys.exit: 1 if anything failed or no check ran."""
    print(f"{passed} passed, {failed} failed")
    if passed + failed == 0:
        print("FAIL: no check ran (missing inputs?)")
        return 1
    return 1 if failed else 0


def same_bits(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def pattern(salt, shape):
    """Mirror of pattern() in the C++ writers (examples/keras_mlp_adam_export.cpp,
    tests/interop/write_keras_*.cpp): ((salt*31 + i*7) % 97) / 64 - 0.75, exact in float32."""
    n = int(np.prod(shape)) if shape else 1
    i = np.arange(n)
    vals = ((salt * 31 + i * 7) % 97).astype(np.float32) / np.float32(64.0) - np.float32(0.75)
    return vals.astype(np.float32).reshape(shape)


def checkpoint_tensors(prefix):
    """Every stored tensor of the checkpoint at `prefix` by key, the object graph left out."""
    r = tensorflow().train.load_checkpoint(prefix)
    return {k: r.get_tensor(k) for k in r.get_variable_to_shape_map() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def check_same_tensors(theirs, ours, what):
    """The two checkpoints hold the same keys, each value bit for bit (one check per key)."""
    a, b = checkpoint_tensors(theirs), checkpoint_tensors(ours)
    check(sorted(a) == sorted(b), f"{what}: keys differ: {sorted(set(a) ^ set(b))}")
    for k in a:
        if k in b:
            check(same_bits(a[k], b[k]), f"{what}: {k} differs after the C++ round trip")


def compile_driver(cxx, src, work, name="driver"):
    """Compiles WORK/NAME.cpp against SOURCE_DIR's headers (and WORK's generated ones, and
    $TFCKPT_EXTRA_INCLUDES) with the project's warnings as errors, -O0 (instantiating save and
    restore is what costs): the binary WORK/NAME and the CompletedProcess."""
    includes = ["-I" + os.path.join(src, "include"), "-I" + work]
    includes += ["-I" + d for d in os.environ.get("TFCKPT_EXTRA_INCLUDES", "").split()]
    binary = os.path.join(work, name)
    cc = subprocess.run([cxx, "-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-O0", "-g0", *includes,
                         os.path.join(work, name + ".cpp"), "-o", binary], capture_output=True, text=True)
    return binary, cc


def check_consumed(status, what):
    """TensorFlow's assert_consumed() on a restore status, as one check."""
    try:
        status.assert_consumed()
        check(True, "")
    except AssertionError as e:
        check(False, f"{what}: TF assert_consumed: {e}")


def graph_of(prefix):
    """The TrackableObjectGraph stored in the checkpoint at `prefix`."""
    tf = tensorflow()
    from tensorflow.core.protobuf import trackable_object_graph_pb2

    g = trackable_object_graph_pb2.TrackableObjectGraph()
    g.ParseFromString(tf.train.load_checkpoint(prefix).get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    return g


def first_graph_difference(a, b):
    """Nodes, children, attribute names/keys, slot references, has_checkpoint_values (not full_name)."""
    if len(a.nodes) != len(b.nodes):
        return f"node count {len(a.nodes)} vs {len(b.nodes)}"
    for i, (x, y) in enumerate(zip(a.nodes, b.nodes)):
        cx = [(c.node_id, c.local_name) for c in x.children]
        cy = [(c.node_id, c.local_name) for c in y.children]
        if cx != cy:
            return f"node {i}: children {cx} vs {cy}"
        ax = [(t.name, t.checkpoint_key) for t in x.attributes]
        ay = [(t.name, t.checkpoint_key) for t in y.attributes]
        if ax != ay:
            return f"node {i}: attributes {ax} vs {ay}"
        sx = [(s.original_variable_node_id, s.slot_name, s.slot_variable_node_id) for s in x.slot_variables]
        sy = [(s.original_variable_node_id, s.slot_name, s.slot_variable_node_id) for s in y.slot_variables]
        if sx != sy:
            return f"node {i}: slot_variables {sx} vs {sy}"
        hx = x.has_checkpoint_values.value if x.HasField("has_checkpoint_values") else None
        hy = y.has_checkpoint_values.value if y.HasField("has_checkpoint_values") else None
        if hx != hy:
            return f"node {i}: has_checkpoint_values {hx} vs {hy}"
    return ""
