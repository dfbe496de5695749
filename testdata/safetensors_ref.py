"""The safetensors encoder of the reference scripts here that share it
(make_onnx_ops_reference.py, make_bf16_reference.py): encode(tensors,
meta) gives a file's bytes, tensors in the order given, float tensors as
F32 and integer ones as I64, the header padded with spaces to 8 bytes."""
import json
import struct

import torch


def encode(tensors, meta):
    """The safetensors bytes of tensors (an ordered dict), data in order:
    float tensors as F32, integer ones as I64."""
    header, blobs, off = {"__metadata__": meta}, [], 0
    for k, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.int64:
            raw, dtype = t.numpy().astype("<i8").tobytes(), "I64"
        else:
            raw, dtype = t.float().numpy().astype("<f4").tobytes(), "F32"
        header[k] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)
