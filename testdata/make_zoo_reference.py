#!/usr/bin/python3
"""Writes testdata/zoo/, testdata/zoo.safetensors and
testdata/zoo_basicblock_state.safetensors: what torchvision 0.14 prints and computes for the
networks after the lesson (GoogLeNet, ResNet-18/34/50, MobileNetV2), so that
the models package checks its own against them (see README.md, "zoo/").

Run from anywhere, with Debian's PyTorch 1.13 and torchvision 0.14
(python3-torch, python3-torchvision):

    /usr/bin/python3 testdata/make_zoo_reference.py

No download and no weight file: every weight, running statistic and input is
a formula over its index (fill below, which models/zoo_test.go repeats bit
for bit), so both sides compute with the same numbers. Where
../shared/reference/zoo/ exists beside the project, the printouts, parameter
counts and state_dict keys must equal its copies; otherwise the script stops
with an error and writes nothing.
"""
import importlib
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

# The modules, not the functions of the same name that torchvision.models
# exports.
tv_googlenet = importlib.import_module("torchvision.models.googlenet")
tv_mobilenetv2 = importlib.import_module("torchvision.models.mobilenetv2")
tv_resnet = importlib.import_module("torchvision.models.resnet")

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "zoo")
SHARED = os.path.join(os.path.dirname(HERE), "..", "shared", "reference", "zoo")

torch.set_num_threads(1)  # one summation order, so reruns give the same bits

NAMES = ["googlenet", "resnet18", "resnet34", "resnet50", "mobilenet_v2"]


def build(name, classes=1000, channels=3):
    """torchvision's network, with channels input channels (conv1 replaced
    for other than 3, as one adapts it to MNIST)."""
    if name == "googlenet":
        m = torchvision.models.googlenet(num_classes=classes, aux_logits=True, init_weights=True)
        if channels != 3:
            m.conv1 = tv_googlenet.BasicConv2d(channels, 64, kernel_size=7, stride=2, padding=3)
    elif name.startswith("resnet"):
        m = getattr(torchvision.models, name)(num_classes=classes)
        if channels != 3:
            m.conv1 = nn.Conv2d(channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    elif name == "mobilenet_v2":
        m = torchvision.models.mobilenet_v2(num_classes=classes)
        if channels != 3:
            m.features[0][0] = nn.Conv2d(channels, 32, 3, 2, 1, bias=False)
    else:
        raise ValueError(name)
    return m


# --- the formula -----------------------------------------------------------

M32 = np.uint64(0xFFFFFFFF)


def hashu(k, n):
    """n values in [-1, 1), exact in float32: a 32-bit integer hash of
    (k, i) for i < n, its top 24 bits scaled by 2^-23, minus 1."""
    i = np.arange(n, dtype=np.uint64)
    x = (i * np.uint64(0x9E3779B1) + np.uint64(((k + 1) * 0x85EBCA77 + 0x165667B1) & 0xFFFFFFFF)) & M32
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x2C1B3C6D)) & M32
    x ^= x >> np.uint64(12)
    x = (x * np.uint64(0x297A2D39)) & M32
    x ^= x >> np.uint64(15)
    return ((x >> np.uint64(8)).astype(np.float32) * np.float32(2.0 ** -23) - np.float32(1)).astype(np.float32)


def formula(k, name, shape, bn):
    """The value of state_dict entry number k (name, shape): bn says whether
    it belongs to a batch norm (its module has a running_mean)."""
    n = int(np.prod(shape)) if len(shape) else 1
    u = hashu(k, n)
    leaf = name.rsplit(".", 1)[-1]
    if bn:
        if leaf in ("weight", "running_var"):
            v = np.float32(1) + u * np.float32(0.25 if leaf == "weight" else 0.5)
        else:  # bias, running_mean
            v = u * np.float32(0.25)
    elif len(shape) >= 2:
        fan_in = n // shape[0]
        v = u * np.float32(math.sqrt(6.0 / fan_in))
    else:  # a convolution's or linear layer's bias
        v = u * np.float32(0.1)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def fill(m):
    """Sets every parameter and buffer of m from the formula (a batch
    norm's num_batches_tracked stays 0)."""
    sd = m.state_dict()
    keys = list(sd.keys())
    with torch.no_grad():
        for k, name in enumerate(keys):
            if name.endswith("num_batches_tracked"):
                continue
            prefix = name.rsplit(".", 1)[0] if "." in name else ""
            bn = (prefix + ".running_mean" if prefix else "running_mean") in sd
            sd[name].copy_(formula(k, name, list(sd[name].shape), bn))


def inputs(k, *shape):
    return torch.from_numpy(hashu(k, int(np.prod(shape))).reshape(shape))


# --- safetensors -----------------------------------------------------------

DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def encode(tensors, meta):
    header, blobs, off = {"__metadata__": meta}, [], 0
    for k, t in tensors.items():
        name, np_dtype = DTYPES[t.dtype]
        raw = t.detach().contiguous().numpy().astype(np_dtype).tobytes()
        header[k] = {"dtype": name, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


# --- block cases -----------------------------------------------------------

def block_case(t, meta, case, m, x, train=True):
    """Forward and backward of block m on x in training mode (dropout off),
    loss sum(y * dy); then the running statistics and eval output."""
    fill(m)
    m.train()
    x = x.clone().requires_grad_(True)
    y = m(x)
    dy = inputs(998, *y.shape)
    (y * dy).sum().backward()
    t[case + ".x"] = x.detach()
    t[case + ".y"] = y.detach()
    t[case + ".dy"] = dy
    t[case + ".dx"] = x.grad
    for name, p in m.named_parameters():
        t[case + ".grad." + name] = p.grad.clone()
    for name, b in m.named_buffers():
        if b.dtype == torch.float32:
            t[case + ".state." + name] = b.clone()
    m.eval()
    with torch.no_grad():
        t[case + ".y_eval"] = m(x.detach())


def blocks(t, meta):
    cases = {
        "basicblock": (tv_resnet.BasicBlock(8, 16, 2, tv_resnet.nn.Sequential(
            tv_resnet.conv1x1(8, 16, 2), nn.BatchNorm2d(16))), (2, 8, 8, 8), "BasicBlock(8, 16, stride 2), downsample"),
        "basicblock_id": (tv_resnet.BasicBlock(8, 8, 1), (2, 8, 6, 6), "BasicBlock(8, 8, stride 1), identity shortcut"),
        "bottleneck": (tv_resnet.Bottleneck(16, 4, 2, nn.Sequential(
            tv_resnet.conv1x1(16, 16, 2), nn.BatchNorm2d(16))), (2, 16, 8, 8), "Bottleneck(16, 4, stride 2), downsample"),
        "bottleneck_id": (tv_resnet.Bottleneck(16, 4, 1), (2, 16, 5, 5), "Bottleneck(16, 4, stride 1), identity shortcut"),
        "inception": (tv_googlenet.Inception(16, 4, 4, 8, 2, 4, 4), (2, 16, 5, 5), "Inception(16, 4, 4, 8, 2, 4, 4)"),
        "invres": (tv_mobilenetv2.InvertedResidual(8, 8, 1, 6), (2, 8, 6, 6), "InvertedResidual(8, 8, stride 1, expand 6), residual"),
        "invres_s2": (tv_mobilenetv2.InvertedResidual(8, 16, 2, 6), (2, 8, 7, 7), "InvertedResidual(8, 16, stride 2, expand 6)"),
        "invres_t1": (tv_mobilenetv2.InvertedResidual(16, 8, 1, 1), (2, 16, 5, 5), "InvertedResidual(16, 8, stride 1, expand 1)"),
    }
    for case, (m, shape, what) in cases.items():
        block_case(t, meta, case, m, inputs(999, *shape))
        meta[case] = what + "; input " + "x".join(map(str, shape)) + ", training mode, loss sum(y*dy), then eval"
        meta[case + ".print"] = str(m)


# --- whole models ----------------------------------------------------------

MODEL_CASES = [
    # case, name, channels, size, classes, batch
    ("resnet18", "resnet18", 3, 32, 10, 2),
    ("resnet18_mnist", "resnet18", 1, 28, 10, 2),
    ("resnet34", "resnet34", 3, 32, 10, 2),
    ("resnet50", "resnet50", 3, 32, 10, 2),
    ("mobilenet_v2", "mobilenet_v2", 3, 32, 10, 2),
    ("mobilenet_v2_mnist", "mobilenet_v2", 1, 28, 10, 2),
    ("googlenet", "googlenet", 3, 32, 10, 2),
    ("googlenet_mnist", "googlenet", 1, 28, 10, 2),
]


TRAIN_CASES = [
    # case, name, channels, size, classes, batch, parameters whose gradients are kept
    ("resnet18", "resnet18", 3, 64, 10, 4, ["conv1.weight", "bn1.weight", "layer2.0.downsample.0.weight", "layer4.1.bn2.bias", "fc.weight"]),
    ("mobilenet_v2", "mobilenet_v2", 1, 64, 10, 4, ["features.0.0.weight", "features.2.conv.1.0.weight", "features.18.1.weight", "classifier.1.weight"]),
]


def models(t, meta):
    for case, name, ch, size, classes, batch in MODEL_CASES:
        m = build(name, classes, ch)
        fill(m)
        m.eval()
        x = inputs(997, batch, ch, size, size)
        with torch.no_grad():
            t["model." + case + ".x"] = x
            t["model." + case + ".y"] = m(x)
        meta["model." + case] = f"{name}, {ch}x{size}x{size} -> {classes}, batch {batch}, eval, formula weights"
    # Training steps: forward in training mode (batch statistics; dropout
    # off so that both sides compute the same), cross-entropy, backward;
    # the loss and the gradients of a few parameters.
    for case, name, ch, size, classes, batch, params in TRAIN_CASES:
        m = build(name, classes, ch)
        fill(m)
        m.train()
        for d in m.modules():
            if isinstance(d, nn.Dropout):
                d.eval()
        x = inputs(995, batch, ch, size, size)
        target = torch.arange(batch) * 3 % classes
        loss = F.cross_entropy(m(x), target)
        loss.backward()
        key = "train." + case
        t[key + ".target"] = target  # x is inputs(995, ...): not stored
        t[key + ".loss"] = loss.detach()
        grads = dict(m.named_parameters())
        for p in params:
            t[key + ".grad." + p] = grads[p].grad.clone()
        meta[key] = f"{name}, {ch}x{size}x{size} -> {classes}, batch {batch}, training mode with dropout off, formula weights, cross-entropy; gradients of " + ", ".join(params)
    # GoogLeNet in training mode (batch statistics; dropout off so that the
    # outputs are the same on both sides): main and auxiliary logits and the
    # training loss main + 0.3 * (aux1 + aux2).
    m = build("googlenet", 10, 3)
    fill(m)
    m.train()
    for d in m.modules():
        if isinstance(d, nn.Dropout):
            d.eval()
    seen = {}
    m.aux1.register_forward_hook(lambda mod, i, o: seen.__setitem__("aux1", o))
    m.aux2.register_forward_hook(lambda mod, i, o: seen.__setitem__("aux2", o))
    x = inputs(996, 4, 3, 64, 64)
    target = torch.tensor([1, 7, 3, 0])
    out = m(x)
    loss = F.cross_entropy(out.logits, target) + 0.3 * (F.cross_entropy(seen["aux1"], target) + F.cross_entropy(seen["aux2"], target))
    t["googlenet_train.target"] = target
    t["googlenet_train.y"] = out.logits.detach()
    t["googlenet_train.aux1"] = seen["aux1"].detach()
    t["googlenet_train.aux2"] = seen["aux2"].detach()
    t["googlenet_train.loss"] = loss.detach()
    meta["googlenet_train"] = "googlenet, 3x64x64 -> 10, batch 4, training mode with dropout off, formula weights; loss = CE(y) + 0.3 (CE(aux1) + CE(aux2))"


# --- printouts, counts, keys -----------------------------------------------

def structure():
    files, counts, keys = {}, {}, {}
    for name in NAMES:
        m = build(name)
        files[name + ".txt"] = (str(m) + "\n").encode()
        counts[name] = sum(p.numel() for p in m.parameters())
        keys[name] = [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in m.state_dict().items()]
    files["param_counts.json"] = json.dumps(counts, indent=1).encode()
    files["state_dict_keys.json"] = json.dumps(keys, indent=0).encode()
    return files


def check_against_shared(files):
    if not os.path.isdir(SHARED):
        return
    for name, data in files.items():
        path = os.path.join(SHARED, name)
        if name.endswith(".txt"):
            if open(path, "rb").read() != data:
                sys.exit(f"{name} differs from {path}")
        elif name.endswith(".json"):
            theirs, ours = json.load(open(path)), json.loads(data)
            for k, v in ours.items():
                if theirs.get(k) != v:
                    sys.exit(f"{name}: {k} differs from {path}")


def torchvision_state(t, meta):
    """A state_dict as torchvision leaves it, saved as safetensors the way
    safetensors.torch.save_file writes it (num_batches_tracked int64): a
    BasicBlock with downsample in PyTorch's default initialisation
    (seed 0) after two training forwards; its eval output goes to
    zoo.safetensors under tvstate.basicblock.*."""
    torch.manual_seed(0)
    m = tv_resnet.BasicBlock(8, 16, 2, nn.Sequential(tv_resnet.conv1x1(8, 16, 2), nn.BatchNorm2d(16)))
    m.train()
    with torch.no_grad():
        for _ in range(2):
            m(torch.randn(4, 8, 8, 8))
    m.eval()
    x = torch.randn(2, 8, 8, 8)
    with torch.no_grad():
        t["tvstate.basicblock.x"] = x
        t["tvstate.basicblock.y"] = m(x)
    meta["tvstate.basicblock"] = "zoo_basicblock_state.safetensors: torchvision BasicBlock(8, 16, 2, downsample), seed 0, two training forwards; x, y in eval mode"
    return encode(dict(m.state_dict()), {"format": "pt"})


def main():
    files = structure()
    check_against_shared(files)
    t, meta = {}, {"torch": torch.__version__, "torchvision": torchvision.__version__}
    blocks(t, meta)
    models(t, meta)
    state = torchvision_state(t, meta)
    os.makedirs(OUT, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    # Beside the other reference files: .gitignore keeps safetensors files
    # only directly in testdata/.
    files["zoo.safetensors"] = encode(t, meta)
    files["zoo_basicblock_state.safetensors"] = state
    for name in ("zoo.safetensors", "zoo_basicblock_state.safetensors"):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(files[name])
    total = sum(len(d) for d in files.values())
    print(f"wrote {len(files) - 2} files to {OUT}, zoo.safetensors and zoo_basicblock_state.safetensors to {HERE} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
