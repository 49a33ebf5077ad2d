"""`tfckpt struct` on TensorFlow checkpoints of many kinds (issue #13's acceptance), TF as the judge.

For each case (TF 2.21 with Keras 3, tf_keras and tf.Module; TF 2.15 with its tf.keras, Keras 2):
  1. TensorFlow writes the checkpoint (Keras: after one training step, optimizer built);
  2. `tfckpt struct` generates a header (one namespace per case);
  3. ONE C++ driver per compiler includes every header (-std=c++20 -Wall -Wextra -Wpedantic
     -Werror): the first compiler builds and runs it (restore with assert_consumed(), save to a
     new prefix), the others check it compiles (-fsyntax-only: the same diagnostics);
  4. `tfckpt diff` finds every value of the C++ output equal to TensorFlow's;
  5. TensorFlow restores the C++ output into freshly built objects (Keras: one training step
     first, so every optimizer slot exists) with assert_consumed(), writes them again, and every
     tensor equals, bit for bit and key for key, what it wrote in step 1.
The default cases are a cheap selection (CI); --all runs the whole zoo. Last line: "N passed,
M failed"; exit status 1 if anything failed. The writers and checkers run in subprocesses, one
per TensorFlow: TFCKPT_PYTHON (default: this interpreter) and TFCKPT_PYTHON_TF215 (default
SOURCE_DIR/.venv-tf215/bin/python). A TensorFlow that is not importable skips its cases loudly
(exit 77 if nothing ran) -- or fails them when CI is set.

usage: struct_zoo.py TFCKPT_BIN SOURCE_DIR WORKDIR [--all] [--reuse] [--cases A,B,...] [--cxx CXX[,CXX...]]
       (--reuse: keep what TensorFlow wrote in WORKDIR last time, for debugging)
       struct_zoo.py --write WORKDIR CASE...   (internal: TensorFlow writes; prints a JSON manifest)
       struct_zoo.py --check MANIFEST          (internal: TensorFlow restores the C++ output)
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import interop_check  # noqa: E402

# ------------------------------------------------------------------------------------------
# The cases. Each is built by a function of the TensorFlow process that writes or checks it;
# `fill` says whether to give the variables their distinctive values (writer) or leave them at
# values a restore must overwrite (checker).
# ------------------------------------------------------------------------------------------
CASES = {}  # name -> (tf env, builder, in the CI selection)


def case(env, ci=False):
    def reg(fn):
        CASES[fn.__name__] = (env, fn, ci)
        return fn
    return reg


class Built:
    """What a builder returns: the checkpoint root's children (or `model` for save_weights), the
    training step to run before saving and before restoring, and save options."""

    def __init__(self, children=None, train=None, options=None, weights_of=None):
        self.children = children
        self.train = train
        self.options = options
        self.weights_of = weights_of  # a Keras 2 model written with save_weights (root = model)


def tf():
    return interop_check.tensorflow()


# ---- tf.Module cases ---------------------------------------------------------------------

DTYPES = ["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
          "uint32", "uint64", "bool", "complex64", "complex128", "string"]


def values(dtype, shape, salt, fill):
    """Distinctive values of `dtype` (all bits meaningful: negative, fractional, imaginary)."""
    import numpy as np
    n = int(np.prod(shape)) if shape else 1
    i = np.arange(n) + salt
    if dtype == "string":
        words = [b"", b"a", b"\xff\x00bytes", "\u00e9t\u00e9".encode(), b"x" * 300]
        a = np.array([words[k % len(words)] + str(k).encode() if fill else b"" for k in i], dtype=object)
        return a.reshape(shape)
    if dtype == "bool":
        return ((i % 3 == 0) if fill else np.zeros(n, bool)).reshape(shape)
    t = tf().as_dtype(dtype)
    if not fill:
        return tf().zeros(shape, t).numpy()
    if t.is_complex:
        return (i * 0.5 - 2 + 1j * (i * 0.25 + 1)).astype(t.as_numpy_dtype).reshape(shape)
    if t.is_floating:
        return tf().cast(tf().constant(i * 0.375 - 3.125, tf().float64), t).numpy().reshape(shape)
    lo, hi = int(t.min), int(t.max)
    v = [(hi - k) if k % 2 else (lo + k) for k in i.tolist()]  # the extremes of the range
    return np.array(v, dtype=t.as_numpy_dtype).reshape(shape)


@case("tf221", ci=True)
def mod_all_dtypes(fill):
    """Every dtype a variable can hold, as a scalar, a [2,3] tensor and an empty [0,2] tensor."""
    m = tf().Module()
    for k, dt in enumerate(DTYPES):
        for suffix, shape in (("scalar", []), ("matrix", [2, 3]), ("empty", [0, 2]), ("vec", [5])):
            setattr(m, f"{dt}_{suffix}", tf().Variable(values(dt, shape, k, fill), dtype=dt))
    return Built({"m": m})


@case("tf215")
def mod_all_dtypes_tf215(fill):
    return mod_all_dtypes(fill)


@case("tf221", ci=True)
def mod_6000_list(fill):
    """A list of 6,000 float32 variables of several shapes."""
    m = tf().Module()
    shapes = ([3], [2, 2], [1], [4])
    m.vs = [tf().Variable(values("float32", shapes[i % 4], i, fill)) for i in range(6000)]
    return Built({"model": m})


@case("tf221")
def mod_6000_mixed(fill):
    """6,000 variables of mixed types (scalars, tensors, int64): no single C++ element type."""
    m = tf().Module()
    m.vs = [tf().Variable(values(("float32", "int64", "float32")[i % 3], ([], [], [2])[i % 3], i, fill))
            for i in range(6000)]
    return Built({"model": m})


@case("tf221")
def mod_6000_root(fill):
    """6,000 variables as direct children of the checkpoint root."""
    return Built({f"v{i}": tf().Variable(values("float32", [2], i, fill)) for i in range(6000)})


@case("tf221", ci=True)
def mod_wide_structs(fill):
    """Structs wider than Boost.PFR's 100 fields: 120 root children, a module with 130 attributes."""
    m = tf().Module()
    for i in range(130):
        setattr(m, f"w{i}", tf().Variable(values("int32" if i % 2 else "float32", [i % 3 + 1], i, fill)))
    children = {f"v{i}": tf().Variable(values("float32", [2], i, fill)) for i in range(119)}
    children["wide"] = m
    return Built(children)


@case("tf221", ci=True)
def mod_max_shard(fill):
    """TF 2.21's sharding policy: many shards, one variable split into slices."""
    m = tf().Module()
    m.big = tf().Variable(values("float32", [40, 8], 1, fill))
    m.small = [tf().Variable(values("int32", [17], i, fill)) for i in range(6)]
    # Strings shorter than a shard: TF 2.21's policy loops forever on a longer one.
    m.s = tf().Variable(values("string", [3], 0, fill))
    opts = tf().train.CheckpointOptions(
        experimental_sharding_callback=tf().train.experimental.MaxShardSizePolicy(max_shard_size=200))
    return Built({"m": m}, options=opts)


@case("tf221")
def mod_sharded_variable(fill):
    """A ShardedVariable (what ParameterServerStrategy makes): its parts as one saveable."""
    from tensorflow.python.distribute import sharded_variable
    import numpy as np
    full = values("float32", [10, 3], 5, fill)
    parts = np.array_split(full, 3)
    sv = sharded_variable.ShardedVariable([tf().Variable(p, name=f"shard_{i}") for i, p in enumerate(parts)])
    m = tf().Module()
    m.emb = sv
    m.bias = tf().Variable(values("float32", [3], 1, fill))
    return Built({"m": m})


@case("tf221", ci=True)
def mod_nested_shared(fill):
    """Nested dicts and lists of modules, odd names, and shared variables and modules reached by
    two paths (and one list holding the same variable twice)."""
    t = tf()

    def block(salt):
        b = t.Module()
        b.w = t.Variable(values("float32", [2, 2], salt, fill))
        b.b = t.Variable(values("float32", [2], salt + 1, fill))
        return b
    shared_v = t.Variable(values("float64", [3], 7, fill))
    shared_m = block(20)
    m = t.Module()
    m.encoder = {"layers": [block(1), block(2), {"inner": block(3), "x-y": block(4)}], "class": block(5),
                 "a/b": shared_v, "1st": shared_m}
    m.decoder = [shared_m, [shared_v, shared_v], {"self": block(8)}]
    m.empty_list = []
    m.empty_dict = {}
    m.tied = shared_v
    # A list too long for a std::tuple of its mixed element types (6,000 in mod_6000_mixed),
    # and a short list of bool tensors: both vectors of tfckpt::tensor.
    m.mixed = [t.Variable(values(("float32", "int64", "float32")[i % 3], ([], [], [2])[i % 3], i, fill))
               for i in range(70)]
    m.flags = [t.Variable(values("bool", [3], i, fill)) for i in range(2)]
    # A root child named like the root struct (a member may not have its class's name).
    return Built({"net": m, "also": shared_m, "checkpoint_state": t.Variable(values("int16", [1], 2, fill))})


@case("tf221")
def mod_name_clashes(fill):
    """Names that become the same C++ identifier, keywords, and names the generator uses."""
    t = tf()
    kids = {}
    for k, name in enumerate(["a-b", "a_b", "a.b", "int", "std", "tfckpt", "_X", "__y", "operator", "_9", "9",
                              "checkpoint_state", "tfckpt_slots", "v", "v_2", "\u00e9"]):
        kids[name] = t.Variable(values("int32", [2], k, fill))
    m = t.Module()
    m.d = kids
    return Built({"m": m, "int": t.Variable(values("int8", [], 1, fill))})


@case("tf221")
def mod_empty_key(fill):
    """A dict key "" (an empty local name)."""
    m = tf().Module()
    m.d = {"": tf().Variable(values("int32", [2], 0, fill)), "x": tf().Variable(values("int32", [2], 1, fill))}
    return Built({"m": m})


@case("tf221")
def mod_keras3_opt_on_module(fill):
    """A Keras 3 optimizer updating a tf.Module's variables (no Keras model)."""
    import keras
    t = tf()
    m = t.Module()
    m.w = t.Variable(values("float32", [3, 2], 1, fill))
    m.b = t.Variable(values("float32", [2], 2, fill))
    opt = keras.optimizers.Adam(0.01)

    def train():
        with t.GradientTape() as tape:
            loss = t.reduce_sum(t.square(t.ones([1, 3]) @ m.w + m.b))
        opt.apply_gradients(zip(tape.gradient(loss, [m.w, m.b]), [m.w, m.b]))
    return Built({"module": m, "opt": opt}, train=train)


# ---- Keras models ------------------------------------------------------------------------

def keras_of(kind):
    if kind == "k3":
        return interop_check.require_module("keras")
    if kind == "tfk":
        return interop_check.require_module("tf_keras")
    return tf().keras  # TF 2.15: Keras 2


def model_conv2d(K, kind):
    L = K.layers
    i = K.Input((8, 8, 3))
    h = L.Conv2D(4, 3, padding="same")(i)
    h = L.DepthwiseConv2D(3, padding="same")(h)
    h = L.SeparableConv2D(4, 3)(h)
    h = L.Conv2DTranspose(2, 3)(h)
    h = L.GroupNormalization(groups=2)(h)
    return K.Model(i, L.Dense(3)(L.Flatten()(h))), ("float32", (2, 8, 8, 3))


def model_conv13(K, kind):
    L = K.layers
    a = K.Input((6, 3))
    b = K.Input((4, 4, 4, 2))
    x = L.Flatten()(L.Conv1D(2, 3)(a))
    y = L.Flatten()(L.BatchNormalization()(L.Conv3D(2, 3)(b)))
    return K.Model([a, b], L.Dense(2)(L.Concatenate()([x, y]))), ("float32", [(2, 6, 3), (2, 4, 4, 4, 2)])


def model_rnn(K, kind):
    L = K.layers
    return K.Sequential([K.Input((5, 3)), L.LSTM(4, return_sequences=True), L.GRU(4, return_sequences=True),
                         L.Bidirectional(L.SimpleRNN(3)), L.Dense(2)]), ("float32", (2, 5, 3))


def model_text(K, kind):
    L = K.layers
    i = K.Input((6,), dtype="int32")
    e = L.Embedding(20, 4)(i)
    a = L.MultiHeadAttention(2, 4)(e, e)
    h = L.LayerNormalization()(L.Add()([e, a]))
    h = L.TimeDistributed(L.Dense(3))(h)
    return K.Model(i, L.Dense(2)(L.GlobalAveragePooling1D()(h))), ("int32", (2, 6))


def custom_layer(K):
    class Scale(K.layers.Layer):
        """add_weight: a trainable vector and a non-trainable int64 counter."""

        def build(self, shape):
            self.scale = self.add_weight(name="scale", shape=(shape[-1],), initializer="ones")
            self.calls = self.add_weight(name="calls", shape=(), dtype="int64", initializer="zeros", trainable=False)
            self.table = self.add_weight(name="table", shape=(2, 2), initializer="zeros", trainable=False)

        def call(self, x):
            self.calls.assign_add(1)
            return x * self.scale
    return Scale


def model_nested(K, kind):
    """A functional model holding a Sequential and an add_weight custom layer."""
    L = K.layers
    inner = K.Sequential([K.Input((4,)), L.Dense(5, activation="relu"), L.Dense(4)])
    i = K.Input((4,))
    h = custom_layer(K)()(inner(i))
    return K.Model(i, L.Dense(2)(h)), ("float32", (2, 4))


def model_sub(K, kind):
    """A subclassed model: layers in a list and a dict, a nested functional model, a custom layer."""
    L = K.layers
    Scale = custom_layer(K)

    class Sub(K.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [L.Dense(4, activation="relu"), L.Dense(4)]
            self.heads = {"a": L.Dense(2), "b": L.Dense(2, use_bias=False)}
            self.scale = Scale()
            self.norm = L.BatchNormalization()

        def call(self, x, training=False):
            for b in self.blocks:
                x = b(x)
            x = self.norm(self.scale(x), training=training)
            return self.heads["a"](x) + self.heads["b"](x)
    return Sub(), ("float32", (2, 3))


def model_mixed(K, kind):
    L = K.layers
    return K.Sequential([K.Input((4,)), L.Dense(8, dtype="mixed_float16"), L.BatchNormalization(dtype="mixed_float16"),
                         L.Dense(2, dtype="float32")]), ("float32", (2, 4))


MODELS = {"conv2d": model_conv2d, "conv13": model_conv13, "rnn": model_rnn, "text": model_text,
          "nested": model_nested, "sub": model_sub, "mixed": model_mixed, "dense": None}


def model_dense(K, kind):
    L = K.layers
    return K.Sequential([K.Input((4,)), L.Dense(3, activation="relu"), L.Dense(2)]), ("float32", (2, 4))


MODELS["dense"] = model_dense


def inputs(spec):
    import numpy as np
    dtype, shapes = spec
    one = isinstance(shapes, tuple)
    out = []
    for s in ([shapes] if one else shapes):
        n = int(np.prod(s))
        a = (np.arange(n) % 7 if dtype == "int32" else np.linspace(-1.0, 1.0, n)).astype(dtype).reshape(s)
        out.append(a)
    return out[0] if one else out


def optimizer(K, kind, name):
    O = K.optimizers
    legacy = name.startswith("legacy_")
    if legacy:
        O = O.legacy
        name = name[len("legacy_"):]
    if name == "sgd_nesterov":
        return O.SGD(0.01, momentum=0.9, nesterov=True)
    if name == "sgd_momentum":
        return O.SGD(0.01, momentum=0.5)
    if name == "rmsprop_centered":
        return O.RMSprop(0.01, momentum=0.9, centered=True)
    if name == "adam_schedule":
        return O.Adam(K.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9))
    if name == "adam_amsgrad":
        return O.Adam(0.01, amsgrad=True)
    if name == "lso_adam":
        inner = K.optimizers.Adam(0.01)
        return K.optimizers.LossScaleOptimizer(inner) if kind == "k3" else K.mixed_precision.LossScaleOptimizer(inner)
    cls = {"adam": "Adam", "adamw": "AdamW", "nadam": "Nadam", "adamax": "Adamax", "adagrad": "Adagrad",
           "adadelta": "Adadelta", "rmsprop": "RMSprop", "sgd": "SGD", "ftrl": "Ftrl", "lion": "Lion",
           "adafactor": "Adafactor", "lamb": "Lamb", "muon": "Muon"}[name]
    return getattr(O, cls)(0.01) if name != "adadelta" else O.Adadelta(1.0)


def keras_case(kind, model_name, opt_name, root="split", fit=False):
    """A Keras model after one training step: Checkpoint(model=, optimizer=) (root="split"),
    Checkpoint(model=) of a compiled model ("compiled"), or Keras 2 save_weights ("weights")."""
    def build(fill):
        K = keras_of(kind)
        t = tf()
        model, spec = MODELS[model_name](K, kind)
        opt = optimizer(K, kind, opt_name)
        x = inputs(spec)
        if root in ("compiled", "weights") or fit:
            model.compile(optimizer=opt, loss="mse")

        def train():
            if fit:
                y = model(x)
                model.fit(x, t.zeros_like(t.cast(y, t.float32)), epochs=1, batch_size=2, verbose=0)
                return
            with t.GradientTape() as tape:
                loss = t.reduce_mean(t.square(t.cast(model(x, training=True), t.float32)))
            vs = model.trainable_variables
            grads = tape.gradient(loss, vs)
            opt.apply_gradients([(g, v) for g, v in zip(grads, vs) if g is not None])
        if root == "weights":
            return Built(train=train, weights_of=model)
        if root == "compiled":
            return Built({"model": model}, train=train)
        return Built({"model": model, "optimizer": opt, "step": t.Variable(3 if fill else 0, dtype=t.int64)},
                     train=train)
    return build


# The Keras zoo: (kind, model, optimizer[, root, fit]); kind k3 = Keras 3, tfk = tf_keras 2.21,
# k2 = TF 2.15's tf.keras. The first of each kind marked ci is in the cheap selection.
KERAS = [
    ("k3", "conv2d", "nadam", "split", False, True),
    ("k3", "rnn", "adamax", "split", False, False),
    ("k3", "text", "adamw", "split", False, False),
    ("k3", "conv13", "adadelta", "split", False, False),
    ("k3", "nested", "adagrad", "split", False, False),
    ("k3", "sub", "rmsprop_centered", "split", False, False),
    ("k3", "dense", "sgd_nesterov", "split", False, False),
    ("k3", "dense", "ftrl", "split", False, False),
    ("k3", "dense", "lion", "split", False, False),
    ("k3", "conv2d", "adafactor", "split", False, False),
    ("k3", "mixed", "lso_adam", "split", False, False),
    ("k3", "dense", "adam_schedule", "split", False, False),
    ("k3", "dense", "adam_amsgrad", "split", False, False),
    ("k3", "dense", "lamb", "split", False, False),
    ("k3", "dense", "muon", "split", False, False),
    ("k3", "text", "adam", "compiled", True, False),
    ("tfk", "rnn", "adam", "split", False, True),
    ("tfk", "conv2d", "nadam", "split", False, False),
    ("tfk", "text", "adamw", "split", False, False),
    ("tfk", "conv13", "ftrl", "split", False, False),
    ("tfk", "nested", "lion", "split", False, False),
    ("tfk", "sub", "adafactor", "split", False, False),
    ("tfk", "mixed", "lso_adam", "split", False, False),
    ("tfk", "dense", "adam_schedule", "split", False, False),
    ("tfk", "conv2d", "legacy_adam", "split", False, False),
    ("tfk", "rnn", "legacy_sgd_nesterov", "split", False, False),
    ("tfk", "text", "legacy_rmsprop_centered", "split", False, False),
    ("tfk", "conv13", "legacy_adagrad", "split", False, False),
    ("tfk", "nested", "legacy_adadelta", "split", False, False),
    ("tfk", "sub", "legacy_adamax", "split", False, False),
    ("tfk", "dense", "legacy_nadam", "split", False, False),
    ("tfk", "dense", "legacy_ftrl", "split", False, False),
    ("k2", "text", "legacy_rmsprop_centered", "split", False, True),
    ("k2", "conv2d", "adamax", "split", False, False),
    ("k2", "rnn", "rmsprop", "split", False, False),
    ("k2", "conv13", "adamw", "split", False, False),
    ("k2", "nested", "ftrl", "split", False, False),
    ("k2", "sub", "adagrad", "split", False, False),
    ("k2", "mixed", "lso_adam", "split", False, False),
    ("k2", "dense", "sgd_momentum", "split", False, False),
    ("k2", "dense", "lion", "split", False, False),
    ("k2", "dense", "adafactor", "split", False, False),
    ("k2", "dense", "adadelta", "split", False, False),
    ("k2", "conv2d", "legacy_nadam", "split", False, False),
    ("k2", "rnn", "legacy_adam", "split", False, False),
    ("k2", "sub", "legacy_sgd_momentum", "split", False, False),
    ("k2", "dense", "legacy_adamax", "weights", True, False),
    ("k2", "nested", "adam", "compiled", True, False),
]
for _kind, _model, _opt, _root, _fit, _ci in KERAS:
    _name = f"{_kind}_{_model}_{_opt}" + ("" if _root == "split" else "_" + _root)
    CASES[_name] = ("tf215" if _kind == "k2" else "tf221", keras_case(_kind, _model, _opt, _root, _fit), _ci)

ENV_LABEL = {"tf221": "TF 2.21", "tf215": "TF 2.15"}


def label(name):
    env = CASES[name][0]
    kind = name.split("_")[0]
    what = {"k3": "Keras 3", "tfk": "tf_keras", "k2": "tf.keras 2.15", "mod": "tf.Module"}.get(kind, "")
    return f"{ENV_LABEL[env]} {what}"


# ------------------------------------------------------------------------------------------
# The TensorFlow side (--write, --check): run in the venv of the cases' TensorFlow.
# ------------------------------------------------------------------------------------------

def save_case(built, prefix):
    t = tf()
    if built.train:
        built.train()
    if built.weights_of is not None:
        built.weights_of.save_weights(prefix)
        return prefix, t.train.Checkpoint(), False
    ck = t.train.Checkpoint(**built.children)
    return ck.save(prefix, options=built.options), ck, True


def write_main(work, names):
    manifest = {}
    for name in names:
        t0 = time.time()
        try:
            built = CASES[name][1](True)
            path, _, counter = save_case(built, os.path.join(work, name, "tf", "ckpt"))
            manifest[name] = {"prefix": path, "counter": counter, "seconds": round(time.time() - t0, 1)}
        except Exception as e:  # a case TensorFlow itself cannot write is reported, not fatal
            manifest[name] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"}
    print("MANIFEST " + json.dumps(manifest))
    return 0


def tensors(prefix):
    r = tf().train.load_checkpoint(prefix)
    return {k: r.get_tensor(k) for k in r.get_variable_to_shape_map() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"}


def same(a, b):
    """Bit for bit; strings (numpy object arrays of bytes) element by element."""
    import numpy as np
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype == object or b.dtype == object:
        return a.dtype == b.dtype and a.shape == b.shape and a.ravel().tolist() == b.ravel().tolist()
    return interop_check.same_bits(a, b)


def check_main(manifest_path):
    """For each case with a C++ output: fresh objects restore it with assert_consumed(), and
    written again they hold exactly what TensorFlow wrote first."""
    t = tf()
    with open(manifest_path) as f:
        manifest = json.load(f)
    results = {}
    for name, m in manifest.items():
        try:
            built = CASES[name][1](False)
            if built.train:
                built.train()  # creates every optimizer slot; the restore overwrites the values
            if built.weights_of is not None:
                status = built.weights_of.load_weights(m["cpp"])
            else:
                ck = t.train.Checkpoint(**built.children)
                status = ck.restore(m["cpp"])
            try:
                status.assert_consumed()
            except AssertionError as e:
                results[name] = "TF assert_consumed: " + str(e).replace("\n", " ")[:400]
                continue
            again = os.path.join(os.path.dirname(m["cpp"]), "..", "again", "ckpt")
            if built.weights_of is not None:
                built.weights_of.save_weights(again)
            else:
                again = ck.write(again)
            a, b = tensors(m["prefix"]), tensors(again)
            if sorted(a) != sorted(b):
                results[name] = f"TF re-save: keys differ: {sorted(set(a) ^ set(b))[:6]}"
                continue
            bad = [k for k in a if not same(a[k], b[k])]
            results[name] = f"TF values differ: {bad[:4]}" if bad else "ok"
        except Exception as e:
            results[name] = f"TF check raised {type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
    print("RESULTS " + json.dumps(results))
    return 0


# ------------------------------------------------------------------------------------------
# The runner: no TensorFlow in this process.
# ------------------------------------------------------------------------------------------

DRIVER_MAIN = r"""
template <class Root>
int run_case(const char* name, const char* src, const char* out, bool counter) {
  auto r = std::make_unique<Root>();
  tfckpt::checkpoint<Root> ck(*r);
  auto st = counter ? ck.restore(src) : ck.read(src);
  if (!st) return std::printf("FAIL %s restore: %s\n", name, st.error().to_string().c_str()), 1;
  if (auto ok = st->assert_consumed(); !ok)
    return std::printf("FAIL %s assert_consumed: %s\n", name, ok.error().to_string().c_str()), 1;
  if (counter) ck.set_save_counter(ck.save_counter() - 1);  // save() increments it
  auto w = counter ? ck.save(out) : ck.write(out);
  if (!w) return std::printf("FAIL %s save: %s\n", name, w.error().to_string().c_str()), 1;
  std::printf("SAVED %s %s\n", name, w->c_str());
  return 0;
}
"""


def one_line(s, n=300):
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n] + "..."


def main():
    argv = sys.argv[1:]
    if argv and argv[0] == "--write":
        return write_main(argv[1], argv[2:])
    if argv and argv[0] == "--check":
        return check_main(argv[1])
    run_all, reuse = "--all" in argv, "--reuse" in argv
    argv = [a for a in argv if a not in ("--all", "--reuse")]
    only, cxxs = None, ["g++", "clang++"]
    while len(argv) > 3 and argv[-2] in ("--cases", "--cxx"):
        if argv[-2] == "--cases":
            only = argv[-1].split(",")
        else:
            cxxs = argv[-1].split(",")
        argv = argv[:-2]
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    tfckpt, src, work = argv
    tfckpt, src = os.path.abspath(tfckpt), os.path.abspath(src)
    work = os.path.abspath(interop_check.workdir(work, "tfckpt_struct_zoo_"))
    names = [n for n, (_, _, ci) in CASES.items() if (only and n in only) or (not only and (run_all or ci))]
    pythons = {"tf221": os.environ.get("TFCKPT_PYTHON") or sys.executable,
               "tf215": os.environ.get("TFCKPT_PYTHON_TF215") or os.path.join(src, ".venv-tf215", "bin", "python")}
    result = {n: None for n in names}  # None: ok so far; else the first failed step
    t0 = time.time()

    # 1. TensorFlow writes (the two TensorFlows in parallel).
    manifest = {}
    for n in names:
        done = os.path.join(work, n, "manifest.json")
        if reuse and os.path.exists(done):  # --reuse: what TensorFlow wrote last time (debugging)
            with open(done) as f:
                manifest[n] = json.load(f)
            shutil.rmtree(os.path.join(work, n, "cpp"), ignore_errors=True)
            shutil.rmtree(os.path.join(work, n, "again"), ignore_errors=True)
        else:
            shutil.rmtree(os.path.join(work, n), ignore_errors=True)
    procs = {}
    skipped = []
    for env in pythons:
        mine = [n for n in names if CASES[n][0] == env and n not in manifest]
        if mine and not os.path.exists(pythons[env]):
            what = f"# struct_zoo: {pythons[env]} does not exist (bash scripts/install-deps.sh makes it)"
            if interop_check.is_ci():
                interop_check.check(False, what + "; CI is set: failing")
                for n in mine:
                    result[n] = "no " + ENV_LABEL[env]
            else:
                print(what + f": {env} cases SKIPPED")
                skipped += mine
        elif mine:
            procs[env] = (mine, subprocess.Popen(
                [pythons[env], os.path.abspath(__file__), "--write", work, *mine], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")))
    for env, (mine, p) in procs.items():
        out, err = p.communicate()
        got = None
        for line in out.splitlines():
            if line.startswith("MANIFEST "):
                got = json.loads(line[len("MANIFEST "):])
        if got is None:
            if p.returncode == 77:  # TensorFlow missing, not CI: loudly skipped
                print(f"# struct_zoo: {env} cases SKIPPED ({pythons[env]}: no TensorFlow)\n{err[-400:]}")
                skipped += mine
            else:
                interop_check.check(False, f"{env} writer ({pythons[env]}) exit {p.returncode}: {err[-1500:]}")
                for n in mine:
                    result[n] = "TF write: the writer process failed"
            continue
        for n, m in got.items():
            if "error" in m:
                result[n] = "TF write: " + m["error"]
            else:
                manifest[n] = m
                with open(os.path.join(work, n, "manifest.json"), "w") as f:
                    json.dump(m, f)
    names = [n for n in names if n not in skipped]
    t_write = time.time() - t0

    # 2. Generate.
    driver = ["#include <cstdio>", "#include <memory>", "#include <tfckpt/tfckpt.hpp>"]
    calls = []
    for n in names:
        if n not in manifest:
            continue
        m = manifest[n]
        gen = subprocess.run([tfckpt, "struct", m["prefix"], "--namespace", n], capture_output=True, text=True)
        if gen.returncode != 0:
            result[n] = "tfckpt struct: " + one_line(gen.stderr)
            continue
        if gen.stderr.strip():
            result[n] = "tfckpt struct warned: " + one_line(gen.stderr)
            continue
        with open(os.path.join(work, n + ".hpp"), "w") as f:
            f.write(gen.stdout)
        driver.append(f'#include "{n}.hpp"')
        m["cpp_dir"] = os.path.join(work, n, "cpp")
        calls.append(f'  rc |= run_case<{n}::checkpoint_state>("{n}", "{m["prefix"]}", '
                     f'"{os.path.join(m["cpp_dir"], "ckpt")}", {"true" if m["counter"] else "false"});')
    source = "\n".join(driver) + "\n" + DRIVER_MAIN + "\nint main() {\n  int rc = 0;\n" + "\n".join(calls) + \
        "\n  return rc;\n}\n"
    with open(os.path.join(work, "driver.cpp"), "w") as f:
        f.write(source)

    # 3. Compile: the first compiler builds, the others check (in parallel); then run.
    includes = ["-I" + os.path.join(src, "include"), "-I" + work]
    includes += ["-I" + d for d in os.environ.get("TFCKPT_EXTRA_INCLUDES", "").split()]
    flags = ["-std=c++20", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-O0", "-g0", *includes]
    binary = os.path.join(work, "driver")
    t1 = time.time()
    ccs = []
    for k, cxx in enumerate(cxxs if calls else []):  # nothing generated: nothing to compile
        if shutil.which(cxx) is None:
            interop_check.check(False, f"compiler {cxx} not found")
            continue
        cmd = [cxx, *flags, os.path.join(work, "driver.cpp")] + (["-o", binary] if k == 0 else ["-fsyntax-only"])
        ccs.append((cxx, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
    built = False
    for k, (cxx, p) in enumerate(ccs):
        out, _ = p.communicate()
        ok = interop_check.check(p.returncode == 0, f"{cxx}: the generated headers do not compile:\n{out[:6000]}")
        if not ok:
            for n in names:  # name the cases whose headers the diagnostics point into
                if f"/{n}.hpp" in out and result[n] is None:
                    result[n] = f"{os.path.basename(cxx)} compile: " + one_line(
                        next((line for line in out.splitlines() if f"/{n}.hpp" in line and "error" in line), ""))
        built = built or (k == 0 and ok)
    t_compile = time.time() - t1
    saved = {}
    if built:
        run = subprocess.run([binary], capture_output=True, text=True)
        for line in run.stdout.splitlines():
            parts = line.split(" ", 2)
            if parts[0] == "SAVED":
                saved[parts[1]] = parts[2]
            elif parts[0] == "FAIL":
                result[parts[1]] = "C++ " + one_line(parts[2], 400)
        interop_check.check(run.returncode == 0 or any(line.startswith("FAIL") for line in run.stdout.splitlines()),
                            f"driver exit {run.returncode}: {run.stderr[-1000:]}")
    for n in names:
        if n in manifest and result[n] is None and n not in saved:
            result[n] = "C++: not compiled or nothing saved"

    # 4. tfckpt diff: every value equal.
    for n, out in saved.items():
        d = subprocess.run([tfckpt, "diff", manifest[n]["prefix"], out, "--filter", "^(?!_CHECKPOINTABLE_OBJECT_GRAPH$)"],
                           capture_output=True, text=True)
        if d.returncode != 0:
            result[n] = "tfckpt diff: " + one_line(d.stdout + d.stderr)
        else:
            manifest[n]["cpp"] = out

    # 5. TensorFlow restores the C++ output into fresh objects.
    procs = {}
    for env in pythons:
        mine = {n: manifest[n] for n in names if CASES[n][0] == env and result[n] is None and "cpp" in manifest[n]}
        if mine:
            path = os.path.join(work, f"check_{env}.json")
            with open(path, "w") as f:
                json.dump(mine, f)
            procs[env] = subprocess.Popen([pythons[env], os.path.abspath(__file__), "--check", path],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    for env, p in procs.items():
        out, err = p.communicate()
        got = None
        for line in out.splitlines():
            if line.startswith("RESULTS "):
                got = json.loads(line[len("RESULTS "):])
        if got is None:
            interop_check.check(False, f"{env} checker exit {p.returncode}: {err[-1500:]}")
            continue
        for n, r in got.items():
            result[n] = None if r == "ok" else r

    # The table.
    print(f"\n{'case':42} {'TF / Keras':22} result")
    for n in names:
        r = result[n]
        print(f"{n:42} {label(n):22} {'ok' if r is None else r}")
        interop_check.check(r is None, f"{n}: {r}")
    print(f"# {len(names)} cases; TF writes {t_write:.0f} s, compile {t_compile:.0f} s, "
          f"total {time.time() - t0:.0f} s")
    if not names:
        print("# struct_zoo: every case skipped (no TensorFlow)")
        return 77
    return interop_check.summary()


if __name__ == "__main__":
    sys.exit(main())
