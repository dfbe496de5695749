#!/usr/bin/python3
"""Writes testdata/bf16_autocast.safetensors: what torch.autocast (CPU,
bfloat16) gives for a small network, forward and backward, against which
convnet's bf16 precision (tensor.BFloat16) is checked.

Run from anywhere, with Debian's PyTorch 1.13 (python3-torch):

    /usr/bin/python3 testdata/make_bf16_reference.py

The network, on x of 4×3×17×15 (sizes that fill no vector or tile):

    conv1  Conv2d(3, 8, 3, padding=1) -> ReLU -> AvgPool2d(2)
    conv2  Conv2d(8, 16, 3, stride=2) -> ReLU
    fc     Linear(16*3*3, 10)
    loss   cross_entropy(logits.float(), labels)

Keys: x, labels (I64), each parameter under its state_dict name,
logits_bf16 and loss_bf16 (the forward pass under autocast, logits cast
to float32), grad.<name> (each parameter's gradient after the bf16
backward pass), and logits_fp32, loss_fp32, fp32grad.<name> (the same in
float32, without autocast). Random values from torch.manual_seed(3), on
one thread, so that reruns give the same bytes. Read by
tensor/bf16_ref_test.go.

A second, wider network is large enough for convnet's Winograd paths
(a 32→128 3×3 layer on 28×28 planes: its forward pass, input and weight
gradients):

    wide.conv_a  Conv2d(3, 32, 3, padding=1) -> ReLU
    wide.conv_b  Conv2d(32, 128, 3, padding=1) -> ReLU -> mean over H, W
    wide.fc      Linear(128, 10)

on x of 2×3×28×28. Its inputs and parameters are not stored: both sides
compute them as make_zoo_reference.py's hashu(k, n) times a scale, in
float32 (WIDE below; internal/testref.Hashu in Go); labels are 3 and 7.
Keys: wide.logits_bf16, wide.loss_bf16, wide.grad.<name> (the three
weights' gradients under autocast), and wide.logits_fp32 (which checks
that both sides built the same values).
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from make_zoo_reference import hashu
from safetensors_ref import encode

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "bf16_autocast.safetensors")

torch.set_num_threads(1)
torch.manual_seed(3)



class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
        self.fc = nn.Linear(16 * 3 * 3, 10)

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x))
        return self.fc(torch.flatten(x, 1))


net = Net()
x = torch.randn(4, 3, 17, 15)
labels = torch.randint(0, 10, (4,))

out = {"x": x, "labels": labels}
for k, v in net.state_dict().items():
    out[k] = v


def run(net, x, labels, autocast):
    net.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        logits = net(x)
    logits = logits.float()
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    return logits, loss, {k: p.grad.clone() for k, p in net.named_parameters()}


logits, loss, grads = run(net, x, labels, True)
assert all(g.dtype == torch.float32 for g in grads.values())
out["logits_bf16"], out["loss_bf16"] = logits, loss.reshape(1)
for k, g in grads.items():
    out["grad." + k] = g
logits, loss, grads = run(net, x, labels, False)
out["logits_fp32"], out["loss_fp32"] = logits, loss.reshape(1)
for k, g in grads.items():
    out["fp32grad." + k] = g


def formula(shape, k, scale):
    n = 1
    for d in shape:
        n *= d
    return torch.from_numpy(hashu(k, n) * np.float32(scale)).reshape(shape)


# name: (shape, hashu's k, scale), as tensor/bf16_ref_test.go's wideFormula.
WIDE = {
    "x": ((2, 3, 28, 28), 0, 1.0),
    "conv_a.weight": ((32, 3, 3, 3), 1, 0.2),
    "conv_a.bias": ((32,), 2, 0.05),
    "conv_b.weight": ((128, 32, 3, 3), 3, 0.06),
    "conv_b.bias": ((128,), 4, 0.05),
    "fc.weight": ((10, 128), 5, 0.09),
    "fc.bias": ((10,), 6, 0.05),
}


class Wide(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_a = nn.Conv2d(3, 32, 3, padding=1)
        self.conv_b = nn.Conv2d(32, 128, 3, padding=1)
        self.fc = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv_b(F.relu(self.conv_a(x))))
        return self.fc(x.mean(dim=(2, 3)))


wide = Wide()
with torch.no_grad():
    for k, p in wide.named_parameters():
        p.copy_(formula(*WIDE[k]))
wx, wlabels = formula(*WIDE["x"]), torch.tensor([3, 7])
logits, loss, grads = run(wide, wx, wlabels, True)
out["wide.logits_bf16"], out["wide.loss_bf16"] = logits, loss.reshape(1)
for k, g in grads.items():
    if k.endswith(".weight"):
        out["wide.grad." + k] = g
out["wide.logits_fp32"] = run(wide, wx, wlabels, False)[0]

with open(OUT, "wb") as f:
    f.write(encode(out, {"torch": torch.__version__}))
print("wrote", OUT)
