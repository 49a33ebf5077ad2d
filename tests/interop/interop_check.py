"""Shared by the interop scripts (graph_tf_restores_ours*.py, example_*.py): a pass/fail tally
whose last printed line is "N passed, M failed", bit-exact array comparison, the value pattern
the C++ writers fill variables with, and TensorFlow's object graph of a checkpoint.

The scripts run as `python tests/interop/X.py`, so this directory is on sys.path; they set
sys.dont_write_bytecode before importing this module to keep __pycache__ out of the source tree.
"""
import numpy as np

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def summary():
    """Prints the tally line; the exit status for sys.exit (1 if anything failed)."""
    print(f"{passed} passed, {failed} failed")
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


def graph_of(prefix):
    """The TrackableObjectGraph stored in the checkpoint at `prefix`."""
    import tensorflow as tf
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
