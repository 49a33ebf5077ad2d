"""Shared helpers: convert between TF tensors and the hex representation used by the
fixtures' expected.json and by the C++ writer's manifest.

Representation (one tensor):
  numeric/bool : {"dtype": name, "shape": [...], "data_hex": raw little-endian row-major bytes}
  string       : {"dtype": "string", "shape": [...], "strings_hex": [hex of each element, row-major]}
  variant      : {"dtype": "variant", "shape": [...], "skip_values": true}

Conversions go through raw bytes in both directions (never through Python floats), so NaN payloads,
-0.0 and subnormals survive exactly.
"""

import interop_check  # the shared prologue: logging, little-endian check (this directory is on sys.path)
import numpy as np

tf = interop_check.tensorflow()

# dtype name (tf.as_dtype(x).name) -> numpy dtype used to reinterpret raw bytes.
# bfloat16 is handled separately (via uint16 + tf.bitcast) so we do not depend on ml_dtypes.
NUMPY_DTYPES = {
    "float16": np.float16, "float32": np.float32, "float64": np.float64,
    "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
    "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
    "bool": np.bool_, "complex64": np.complex64, "complex128": np.complex128,
}
SUPPORTED_DTYPES = set(NUMPY_DTYPES) | {"bfloat16", "string"}


def num_elements(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def tensor_to_bytes(value, dtype_name):
    """Raw row-major bytes of a numeric value returned by CheckpointReader.get_tensor."""
    if dtype_name == "bfloat16":
        arr = np.asarray(value)
        if arr.dtype.name == "bfloat16":  # ml_dtypes array (current TF): bytes are already raw
            return np.ascontiguousarray(arr).tobytes()
        # numpy without bfloat16 support: reinterpret through TF.
        return tf.bitcast(tf.constant(value, dtype=tf.bfloat16), tf.uint16).numpy().tobytes()
    arr = np.ascontiguousarray(np.asarray(value, dtype=NUMPY_DTYPES[dtype_name]))
    return arr.tobytes()


def tensor_to_strings(value):
    """Row-major list of element bytes of a string value returned by get_tensor."""
    if isinstance(value, bytes):  # get_tensor returns bare bytes for a string scalar
        return [value]
    return [bytes(x) for x in np.asarray(value, dtype=object).reshape(-1)]


def describe(reader, key, dtype_name, shape):
    """expected.json entry for one key of a TF checkpoint (values read by TF itself)."""
    entry = {"key": key, "dtype": dtype_name, "shape": list(shape)}
    if dtype_name == "variant":
        entry["skip_values"] = True  # no numpy representation; value is opaque to us
    elif dtype_name == "string":
        entry["strings_hex"] = [s.hex() for s in tensor_to_strings(reader.get_tensor(key))]
    else:
        entry["data_hex"] = tensor_to_bytes(reader.get_tensor(key), dtype_name).hex()
    return entry


def make_tensor(spec):
    """Build a tf.Tensor bit-exactly from a manifest/expected entry."""
    dtype, shape = spec["dtype"], list(spec["shape"])
    if dtype == "string":
        elems = [bytes.fromhex(h) for h in spec["strings_hex"]]
        if len(elems) != num_elements(shape):
            raise ValueError(f"{spec['key']!r}: {len(elems)} strings for shape {shape}")
        arr = np.empty(len(elems), dtype=object)
        arr[:] = elems  # element-wise so bytes are not coerced into a fixed-width numpy type
        return tf.constant(arr.reshape(shape), dtype=tf.string)
    raw = bytes.fromhex(spec["data_hex"])
    if dtype == "bfloat16":
        bits = np.frombuffer(raw, dtype=np.uint16).reshape(shape)
        return tf.bitcast(tf.constant(bits, dtype=tf.uint16), tf.bfloat16)
    if dtype not in NUMPY_DTYPES:
        raise ValueError(f"{spec['key']!r}: dtype {dtype!r} cannot be built from hex")
    npdt = np.dtype(NUMPY_DTYPES[dtype])
    if len(raw) != num_elements(shape) * npdt.itemsize:
        raise ValueError(f"{spec['key']!r}: {len(raw)} bytes for {dtype}{shape}")
    # np.frombuffer + tf.constant copy memory verbatim (no NaN canonicalisation).
    return tf.constant(np.frombuffer(raw, dtype=npdt).reshape(shape), dtype=tf.as_dtype(dtype))
