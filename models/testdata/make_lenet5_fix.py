#!/usr/bin/python3
"""Writes lenet5_fix.safetensors: the init.*, grad.* and step1.* tensors that
../shared/reference/lenet5.safetensors was meant to hold.

In the shared file, init.*, step1.* and step10.* all hold the weights after
ten steps, and grad.* the gradients of the tenth batch (the generator saved
live tensors, not copies); its input, target, act.*, loss, losses and step10.*
are right. This script rebuilds the lesson's LeNet-5 with PyTorch's default
initialisation at seed 0, checks that it reproduces the shared act.* and
step10.*, and saves copies. Run with Debian's PyTorch 1.13:

    /usr/bin/python3 models/testdata/make_lenet5_fix.py
"""
import json
import os
import struct

import torch
import torch.nn as nn

here = os.path.dirname(os.path.abspath(__file__))
shared = os.path.join(here, "..", "..", "..", "shared", "reference", "lenet5.safetensors")


def read(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    out = {}
    for k, d in h.items():
        if k == "__metadata__":
            continue
        s, e = d["data_offsets"]
        dt = {"F32": torch.float32, "I64": torch.int64}[d["dtype"]]
        out[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=dt).reshape(d["shape"])
    return out


def write(path, tensors, meta):
    header, blobs, off = {"__metadata__": meta}, [], 0
    for k, t in tensors.items():
        raw = t.contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class LeNetSeq(nn.Module):
    def __init__(self):
        super().__init__()
        self.feature = nn.Sequential()
        f = self.feature
        f.add_module("cnn1", nn.Conv2d(1, 6, 5, padding=2)); f.add_module("cnn1_act", nn.Tanh())
        f.add_module("avgpool1", nn.AvgPool2d(2, 2))
        f.add_module("cnn2", nn.Conv2d(6, 16, 5)); f.add_module("cnn2_act", nn.Tanh())
        f.add_module("avgpool2", nn.AvgPool2d(2, 2))
        f.add_module("cnn3", nn.Conv2d(16, 120, 5)); f.add_module("cnn3_act", nn.Tanh())
        self.classifier = nn.Sequential()
        c = self.classifier
        c.add_module("fc1", nn.Linear(120, 84)); c.add_module("fc1_act", nn.Tanh())
        c.add_module("fc2", nn.Linear(84, 10))

    def forward(self, x):
        x = self.feature(x)
        return self.classifier(x.view(x.size(0), -1))


ref = read(shared)
torch.manual_seed(0)
m = LeNetSeq()
out = {"init." + k: v.clone() for k, v in m.state_dict().items()}
y = m(ref["input"])
assert (y - ref["act.classifier.fc2"]).abs().max() < 1e-6, "initial weights do not reproduce act.*"
nn.functional.cross_entropy(y, ref["target"]).backward()
out.update({"grad." + k: p.grad.clone() for k, p in m.named_parameters()})
torch.optim.Adam(m.parameters(), lr=1e-3).step()
out.update({"step1." + k: v.clone() for k, v in m.state_dict().items()})

m.load_state_dict({k[5:]: v for k, v in out.items() if k.startswith("init.")})
opt = torch.optim.Adam(m.parameters(), lr=1e-3)
X, Y = ref["train_inputs"], ref["train_targets"]
for i in range(10):
    opt.zero_grad()
    nn.functional.cross_entropy(m(X[i * 16:(i + 1) * 16]), Y[i * 16:(i + 1) * 16]).backward()
    opt.step()
for k, v in m.state_dict().items():
    assert (v - ref["step10." + k]).abs().max() < 1e-5, "step10 does not reproduce " + k

write(os.path.join(here, "lenet5_fix.safetensors"), out,
      {"note": "init.*, grad.*, step1.* for ../shared/reference/lenet5.safetensors (see make_lenet5_fix.py)",
       "torch": torch.__version__, "seed": "0"})
print("wrote lenet5_fix.safetensors")
