#!/usr/bin/python3
"""Writes the torch.save() fixtures in testdata/pth/ that package pth reads.

Run from anywhere, with Debian's PyTorch 1.13 (python3-torch; call
/usr/bin/python3, not another python3 on PATH):

    /usr/bin/python3 testdata/make_pth_reference.py

For each fixture NAME.pth that holds tensors it also writes NAME.safetensors:
the tensors package pth must return, as PyTorch sees them after
torch.load(...) and .contiguous(), in the state_dict's order. The files:

  lenet.pth        a LeNet-shaped module's state_dict (OrderedDict with
                   _metadata): float32 weights, and a BatchNorm2d whose
                   num_batches_tracked is an int64 0-d buffer. The third
                   convolution has 12 output channels, not LeNet-5's 120,
                   to keep the files small.
  dtypes.pth       one tensor of each storage type: float64, float16,
                   bfloat16, int64, int32, int16, int8, uint8, bool.
  views.pth        a transposed view saved with its strides, two views of
                   one storage (one with an offset and a gap), a 0-d
                   tensor, a zero-size tensor, a stride-0 expanded tensor
                   and an nn.Parameter (torch._utils._rebuild_parameter).
  checkpoint.pth   {"state_dict": a small Sequential's state_dict (a
                   convolution, a batch norm, a linear layer), "epoch": 3,
                   "optimizer": SGD's state_dict (momentum buffers),
                   "args": an argparse.Namespace}: pth reads "state_dict"
                   and skips the rest (NAME.safetensors holds the
                   state_dict).
  model.pth        {"model": the same state_dict, "epoch": 3}, as
                   torchvision's reference scripts save.
  legacy.pth       a state_dict saved with _use_new_zipfile_serialization=
                   False (refused: legacy format).
  evil.pth         {"x": an object whose __reduce__ is (os.system,
                   ("echo hi",))}: pickled as the global posix.system,
                   which pth must refuse without running anything.
  module.pth       a whole nn.Linear(2, 2), not its state_dict: refused
                   (torch.nn.modules.linear.Linear is not on the
                   allow-list).

The script also checks what it wrote: each .pth is loaded back with
torch.load and compared with its .safetensors file. Reruns write the same
bytes, except in legacy.pth, whose storage keys are memory addresses.

    /usr/bin/python3 testdata/make_pth_reference.py --check FILE.pth

loads FILE.pth (one the Go writer wrote, say) with torch.load, prints each
tensor's name, dtype, shape, stride and a checksum, and, if FILE.safetensors
exists beside it, compares the values with it and prints the result:

    PTH_TORCH_CHECK=/tmp/go.pth go test ./pth -run TestWriteForTorch
    /usr/bin/python3 testdata/make_pth_reference.py --check /tmp/go.pth

checks that torch.load reads what pth.WriteFile writes.
"""
import argparse
import collections
import copy
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "pth")

DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


def tensor_bytes(t):
    """Little-endian row-major bytes of t."""
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        # numpy has no bfloat16: reinterpret as int16 of the same bits.
        t = t.view(torch.int16)
    if t.dtype == torch.bool:
        t = t.to(torch.uint8)
    assert sys.byteorder == "little"
    return t.numpy().tobytes()


def write_safetensors(path, tensors):
    """Writes an ordered dict of name -> tensor as a safetensors file."""
    header = {}
    blobs = []
    off = 0
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {
            "dtype": DTYPES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [off, off + len(b)],
        }
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = collections.OrderedDict()
    for name, e in header.items():
        if name == "__metadata__":
            continue
        out[name] = (e["dtype"], e["shape"], data[e["data_offsets"][0] : e["data_offsets"][1]])
    return out


class LeNet(nn.Module):
    """The lesson's LeNet-5, with a batch norm after the first convolution
    and the third convolution narrowed to 12 channels."""

    def __init__(self):
        super().__init__()
        self.cnn1 = nn.Conv2d(1, 6, 5, padding=2)
        self.bn1 = nn.BatchNorm2d(6)
        self.cnn2 = nn.Conv2d(6, 16, 5)
        self.cnn3 = nn.Conv2d(16, 12, 5)
        self.fc1 = nn.Linear(12, 84)
        self.fc2 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.bn1(self.cnn1(x))), 2)
        x = F.avg_pool2d(torch.tanh(self.cnn2(x)), 2)
        x = torch.tanh(self.cnn3(x)).flatten(1)
        return self.fc2(torch.tanh(self.fc1(x)))


class Evil:
    """Pickles as a call of os.system: a loader that runs it prints hi."""

    def __reduce__(self):
        return (os.system, ("echo hi",))


def lenet_state():
    torch.manual_seed(0)
    m = LeNet()
    m.train()
    for _ in range(3):  # move the running statistics; num_batches_tracked = 3
        m(torch.randn(4, 1, 28, 28))
    # A copy, so that the optimizer step below leaves it as it is (it keeps
    # the OrderedDict's _metadata).
    return m, copy.deepcopy(m.state_dict())


def fixtures():
    """Returns name -> (object to save, expected tensors or None, kwargs)."""
    m, lenet = lenet_state()
    out = {}
    out["lenet"] = (lenet, lenet, {})

    torch.manual_seed(1)
    dt = collections.OrderedDict()
    dt["f64"] = torch.randn(2, 3, dtype=torch.float64)
    dt["f16"] = torch.randn(3, 2).half()
    dt["bf16"] = torch.randn(2, 2, 2).bfloat16()
    dt["i64"] = torch.tensor([-(2**40), -1, 0, 2**62], dtype=torch.int64)
    dt["i32"] = torch.tensor([[-(2**31), 7], [2**31 - 1, 0]], dtype=torch.int32)
    dt["i16"] = torch.tensor([-32768, 32767, 5], dtype=torch.int16)
    dt["i8"] = torch.tensor([-128, 127, 0, 3], dtype=torch.int8)
    dt["u8"] = torch.tensor([0, 255, 128], dtype=torch.uint8)
    dt["bool"] = torch.tensor([[True, False], [False, True]])
    out["dtypes"] = (dt, dt, {})

    base = torch.arange(24, dtype=torch.float32) * 0.5 - 3
    x = torch.randn(3, 4)
    views = collections.OrderedDict()
    views["t"] = x.t()  # shape (4, 3), stride (1, 4)
    views["shared_a"] = base[2:10].view(2, 4)  # offset 2, contiguous
    views["shared_b"] = base.view(4, 6)[1:, 1:5:2]  # offset 7, stride (6, 2)
    views["scalar"] = torch.tensor(2.5)
    views["empty"] = torch.zeros(0, 3)
    views["expand"] = torch.tensor([1.0, -2.0, 3.0]).expand(2, 3)  # stride (0, 1)
    views["param"] = nn.Parameter(torch.randn(2, 2))
    assert views["shared_a"].storage().data_ptr() == views["shared_b"].storage().data_ptr()
    assert not views["t"].is_contiguous() and not views["shared_b"].is_contiguous()
    out["views"] = (views, views, {})

    torch.manual_seed(3)
    tiny = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 3))
    opt = torch.optim.SGD(tiny.parameters(), lr=0.1, momentum=0.9)
    tiny(torch.randn(2, 1, 4, 4)).sum().backward()
    opt.step()
    small = copy.deepcopy(tiny.state_dict())
    ckpt = {
        "state_dict": small,
        "epoch": 3,
        "optimizer": opt.state_dict(),
        "args": argparse.Namespace(lr=0.1, model="tiny"),
    }
    out["checkpoint"] = (ckpt, small, {})
    out["model"] = ({"model": small, "epoch": 3}, small, {})

    out["legacy"] = (small, None, {"_use_new_zipfile_serialization": False})
    out["evil"] = ({"x": Evil()}, None, {})
    torch.manual_seed(2)
    out["module"] = (nn.Linear(2, 2), None, {})
    return out


def contiguous_state(obj):
    """The tensors torch.load gives, in order, for comparison."""
    return collections.OrderedDict((k, v.detach().contiguous()) for k, v in obj.items())


def compare(loaded, expected_path):
    """Compares torch.load's dict with a safetensors file; returns errors."""
    want = read_safetensors(expected_path)
    errs = []
    if list(loaded.keys()) != list(want.keys()):
        errs.append("names differ: %s vs %s" % (list(loaded.keys()), list(want.keys())))
    for name, (dtype, shape, data) in want.items():
        if name not in loaded:
            continue
        t = loaded[name]
        if DTYPES[t.dtype] != dtype or list(t.shape) != shape or tensor_bytes(t) != data:
            errs.append("%s differs: %s %s vs %s %s" % (name, DTYPES[t.dtype], list(t.shape), dtype, shape))
    return errs


def check(path):
    """Loads path with torch.load and prints what it holds; compares with
    path's .safetensors sibling where there is one. Returns an exit code."""
    obj = torch.load(path, map_location="cpu")
    print("torch %s loaded %s: %s of %d entries" % (torch.__version__, path, type(obj).__name__, len(obj)))
    # The restricted unpickler of torch.load(weights_only=True) reads it too.
    safe = torch.load(path, map_location="cpu", weights_only=True)
    assert list(safe.keys()) == list(obj.keys())
    assert all(torch.equal(safe[k], v) for k, v in obj.items())
    print("weights_only=True: the same %d tensors" % len(safe))
    for k, v in obj.items():
        t = v.detach()
        s = float(t.double().sum()) if t.numel() else 0.0
        print("  %-24s %-5s shape=%-14s stride=%-14s sum=%.6g" % (k, DTYPES[t.dtype], list(t.shape), list(t.stride()), s))
    expected = os.path.splitext(path)[0] + ".safetensors"
    if os.path.exists(expected):
        errs = compare(obj, expected)
        for e in errs:
            print("MISMATCH", e)
        print("%s: %s" % (expected, "all tensors equal" if not errs else "%d mismatches" % len(errs)))
        return 1 if errs else 0
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", metavar="FILE", help="load FILE with torch.load and print it")
    a = ap.parse_args()
    if a.check:
        sys.exit(check(a.check))

    os.makedirs(OUT, exist_ok=True)
    for name, (obj, expected, kwargs) in fixtures().items():
        path = os.path.join(OUT, name + ".pth")
        torch.save(obj, path, **kwargs)
        if expected is None:
            continue
        exp_path = os.path.join(OUT, name + ".safetensors")
        write_safetensors(exp_path, contiguous_state(expected))
        loaded = torch.load(path)
        if name in ("checkpoint", "model"):
            loaded = loaded["state_dict" if name == "checkpoint" else "model"]
        errs = compare(loaded, exp_path)
        if errs:
            sys.exit("%s: %s" % (path, errs))
    total = 0
    for f in sorted(os.listdir(OUT)):
        n = os.path.getsize(os.path.join(OUT, f))
        total += n
        print("%-24s %7d bytes" % (f, n))
    print("total %d bytes" % total)


if __name__ == "__main__":
    main()
