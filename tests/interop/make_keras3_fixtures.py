"""Dumps the object-graph layouts TF 2.21 Keras 3 (`import keras`) writes, the observations the
tfckpt::keras3 types are built from (include/tfckpt/keras/keras3_*.hpp), and optionally keeps
the checkpoints for inspection (`tfckpt graph DIR/<case>/ckpt`).

  .venv/bin/python tests/interop/make_keras3_fixtures.py [OUTDIR]

For each case (Sequential, functional, subclassed models; Dense, Conv1D/2D, Embedding,
BatchNormalization, LayerNormalization; Adam, AdamW, SGD with and without momentum, RMSprop,
Adagrad; tf.train.Checkpoint(model=..., optimizer=...) and Checkpoint(model=...), compiled or
not) prints one line per saved node: `id: local_name->child ... | checkpoint keys`.
Nothing is written into the source tree: the interop test (keras3_both_ways.py) has TensorFlow
write its checkpoints at test time.

Rules read off these dumps (TF 2.21, Keras 3.x):
  * Sequential: model/_functional/_operations/N, N = 0 the InputLayer; functional Model:
    model/_operations/N; subclassed: model/<attribute>. Layers without variables are nodes too.
    (A Python list attribute of layers in a subclassed model is not a checkpoint edge; its
    layers' variables are reachable only through the optimizer.)
  * Dense/Conv*: _kernel, bias; Embedding: _embeddings; LayerNormalization: gamma, beta;
    BatchNormalization: gamma, beta, moving_mean, moving_variance (the last two not trainable).
  * A compiled model also lists `optimizer` (the same node as the root's optimizer) and an
    empty `_compiled_trainable_state`.
  * Optimizer: _variables [iterations, learning_rate, slots by build() group, each per
    trainable variable], _trainable_variables (the model's variables: second edges),
    _trainable_variables_indices (empty), _iterations, _learning_rate, then the slot lists:
    Adam/AdamW _momentums, _velocities (interleaved in _variables; AdamW also an empty
    _exclude_from_weight_decay_cache); SGD momentums (empty with momentum=0); RMSprop
    _velocities, _momentums, _average_gradients (blocked); Adagrad _accumulators.
  * Keys are shortest paths: with the optimizer a root child, model weights are keyed
    optimizer/_trainable_variables/K; with Checkpoint(model=compiled) the slots are
    model/optimizer/_variables/K.
"""
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from tensorflow.core.protobuf import trackable_object_graph_pb2  # noqa: E402

L = keras.layers
O = keras.optimizers


def dump(prefix):
    g = trackable_object_graph_pb2.TrackableObjectGraph()
    g.ParseFromString(tf.train.load_checkpoint(prefix).get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    for i, n in enumerate(g.nodes):
        ch = " ".join(f"{c.local_name}->{c.node_id}" for c in n.children)
        keys = " ".join(a.checkpoint_key for a in n.attributes)
        print(f"  {i}: {ch} | {keys}")


class Sub(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = L.Dense(8)
        self.b = L.Dense(3)

    def call(self, x):
        return self.b(self.a(x))


def functional():
    i = keras.Input((4,))
    return keras.Model(i, L.Dense(3)(L.Dense(8)(i)))


def sub():
    m = Sub()
    m(np.zeros((1, 4), "float32"))
    return m


MODELS = {
    "seq_dense": (lambda: keras.Sequential([keras.Input((4,)), L.Dense(8), L.Dense(3)]), (4,), (3,), False),
    "func_dense": (functional, (4,), (3,), False),
    "sub_dense": (sub, (4,), (3,), False),
    "seq_conv1d_ln_bn": (lambda: keras.Sequential([keras.Input((6, 4)), L.Conv1D(2, 3), L.LayerNormalization(),
                                                   L.BatchNormalization(), L.Flatten(), L.Dense(2)]),
                         (6, 4), (2,), False),
    "seq_conv2d": (lambda: keras.Sequential([keras.Input((5, 5, 2)), L.Conv2D(3, 2), L.Flatten(), L.Dense(2)]),
                   (5, 5, 2), (2,), False),
    "seq_embedding": (lambda: keras.Sequential([keras.Input((3,), dtype="int32"), L.Embedding(10, 4), L.Flatten(),
                                                L.Dense(2)]), (3,), (2,), True),
}
OPTIMIZERS = {
    "adam": lambda: O.Adam(),
    "adamw": lambda: O.AdamW(),
    "sgd": lambda: O.SGD(),
    "sgd_momentum": lambda: O.SGD(momentum=0.9),
    "rmsprop": lambda: O.RMSprop(),
    "rmsprop_momentum_centered": lambda: O.RMSprop(momentum=0.9, centered=True),
    "adagrad": lambda: O.Adagrad(),
}


def case(out, name, model_key, opt_key, roots):
    make, in_shape, out_shape, ints = MODELS[model_key]
    model = make()
    x = (np.arange(4 * int(np.prod(in_shape))) % 10).reshape((4,) + in_shape)
    x = x.astype("int32" if ints else "float32")
    opt = None
    if opt_key:
        opt = OPTIMIZERS[opt_key]()
        model.compile(optimizer=opt, loss="mse")
        model.train_on_batch(x, np.zeros((4,) + out_shape, "float32"))
    kw = {"model": model, "optimizer": opt} if roots == "mo" else {"model": model}
    prefix = tf.train.Checkpoint(**kw).write(os.path.join(out, name, "ckpt"))
    print(f"== {name}: {model_key}, optimizer {opt_key}, Checkpoint({', '.join(kw)})")
    dump(prefix)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="tfckpt_keras3_layouts_")
    print(f"# TensorFlow {tf.__version__}, Keras {keras.__version__}; checkpoints in {out}")
    for m in ("seq_dense", "func_dense", "sub_dense"):
        case(out, f"{m}_adam", m, "adam", "mo")
        case(out, f"{m}_adam_model_only", m, "adam", "m")
        case(out, f"{m}_uncompiled", m, None, "m")
    for o in (o for o in OPTIMIZERS if o != "adam"):  # Adam: seq_dense_adam above
        case(out, f"seq_dense_{o}", "seq_dense", o, "mo")
    for m in ("seq_conv1d_ln_bn", "seq_conv2d", "seq_embedding"):
        case(out, f"{m}_sgd_momentum", m, "sgd_momentum", "mo")
    return 0


if __name__ == "__main__":
    sys.exit(main())
