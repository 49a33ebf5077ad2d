"""Minimal, independent pure-Python reader for a TF bundle `.index` file (LevelDB-style SSTable).

Used by the interop scripts to *assert structural facts* that TF's Python API does not expose
(number of index data blocks, block compression type, record offsets and order in the data files).
It deliberately shares no code with the C++ library, so it can serve as a cross-check.
Layout references are docs/format.md §3 (table) and §5.3 (BundleEntryProto).
"""

import struct

import interop_check  # noqa: F401  (the shared prologue; imports no TensorFlow)

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
TRAILER_SIZE = 5


def _varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _snappy_decompress(buf):
    """Raw (unframed) Snappy block decompression; index blocks may be Snappy (docs/format.md §3.2)."""
    n, pos = _varint(buf, 0)
    out = bytearray()
    while pos < len(buf):
        tag = buf[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            ln = tag >> 2
            if ln >= 60:
                nb = ln - 59
                ln = int.from_bytes(buf[pos:pos + nb], "little")
                pos += nb
            ln += 1
            out += buf[pos:pos + ln]
            pos += ln
            continue
        if kind == 1:
            ln = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | buf[pos]
            pos += 1
        elif kind == 2:
            ln = (tag >> 2) + 1
            off = int.from_bytes(buf[pos:pos + 2], "little")
            pos += 2
        else:
            ln = (tag >> 2) + 1
            off = int.from_bytes(buf[pos:pos + 4], "little")
            pos += 4
        for _ in range(ln):  # byte-by-byte: copies may overlap their own output
            out.append(out[-off])
    assert len(out) == n, "snappy: length mismatch"
    return bytes(out)


def _block_entries(contents):
    """Yield (key, value) of one block, undoing prefix compression."""
    num_restarts = struct.unpack_from("<I", contents, len(contents) - 4)[0]
    limit = len(contents) - 4 - 4 * num_restarts
    pos, key = 0, b""
    while pos < limit:
        shared, pos = _varint(contents, pos)
        non_shared, pos = _varint(contents, pos)
        vlen, pos = _varint(contents, pos)
        key = key[:shared] + contents[pos:pos + non_shared]
        pos += non_shared
        yield key, contents[pos:pos + vlen]
        pos += vlen


def _read_block(data, offset, size):
    contents = data[offset:offset + size]
    btype = data[offset + size]
    if btype == 1:
        contents = _snappy_decompress(contents)
    elif btype != 0:
        raise ValueError(f"bad block type {btype} at offset {offset}")
    return contents, btype


def _handle(buf, pos):
    off, pos = _varint(buf, pos)
    size, pos = _varint(buf, pos)
    return (off, size), pos


def parse_entry(value):
    """Decode the BundleEntryProto fields we care about (docs/format.md §5.3)."""
    e = {"dtype": 0, "shape": [], "shard_id": 0, "offset": 0, "size": 0, "crc32c": 0, "num_slices": 0}
    pos = 0
    while pos < len(value):
        tag, pos = _varint(value, pos)
        field, wt = tag >> 3, tag & 7
        if wt == 0:
            v, pos = _varint(value, pos)
            e[{1: "dtype", 3: "shard_id", 4: "offset", 5: "size"}.get(field, f"f{field}")] = v
        elif wt == 5:
            e["crc32c"] = struct.unpack_from("<I", value, pos)[0]
            pos += 4
        elif wt == 2:
            ln, pos = _varint(value, pos)
            sub = value[pos:pos + ln]
            pos += ln
            if field == 2:  # TensorShapeProto: repeated Dim dim = 2 { int64 size = 1; }
                e["shape"] = _shape_dims(sub)
            elif field == 7:
                e["num_slices"] += 1
        else:
            raise ValueError(f"unexpected wire type {wt}")
    return e


def _shape_dims(sub):
    dims, pos = [], 0
    while pos < len(sub):
        tag, pos = _varint(sub, pos)
        ln, pos = _varint(sub, pos)
        dim, p2, size = sub[pos:pos + ln], 0, 0
        while p2 < len(dim):
            t2, p2 = _varint(dim, p2)
            v, p2 = _varint(dim, p2)
            if t2 >> 3 == 1:
                size = v - (1 << 64) if v >= 1 << 63 else v
        dims.append(size)
        pos += ln
    return dims


def read_index(path):
    """Return a dict describing the table: data block handles/types, index keys, entries."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < FOOTER_SIZE:
        raise ValueError("file is too short to be an sstable")
    footer = data[-FOOTER_SIZE:]
    lo, hi = struct.unpack_from("<II", footer, 40)
    if (hi << 32 | lo) != TABLE_MAGIC:
        raise ValueError("bad magic number")
    meta_handle, pos = _handle(footer, 0)
    index_handle, _ = _handle(footer, pos)
    index_contents, index_type = _read_block(data, *index_handle)
    blocks, entries = [], []
    for sep, handle_bytes in _block_entries(index_contents):
        handle, _ = _handle(handle_bytes, 0)
        contents, btype = _read_block(data, *handle)
        blocks.append({"separator": sep, "offset": handle[0], "size": handle[1], "type": btype})
        entries.extend(_block_entries(contents))
    return {
        "file_size": len(data),
        "metaindex": meta_handle,
        "index": index_handle,
        "index_type": index_type,
        "blocks": blocks,
        "entries": entries,  # list of (key bytes, raw value bytes); entries[0] is the header ""
    }


def data_records(path):
    """Entries (except header and sliced-tensor parents) with their data-file placement."""
    out = []
    for key, value in read_index(path)["entries"][1:]:
        e = parse_entry(value)
        if e["num_slices"]:
            continue  # full-tensor entry of a partitioned variable: owns no bytes
        e["key"] = key
        out.append(e)
    return out
