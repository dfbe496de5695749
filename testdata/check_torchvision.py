#!/usr/bin/python3
"""Runs torchvision's networks with random weights and random batch-norm
statistics through `convnet inspect --input` and compares the outputs.

Each network is built by torchvision 0.14 (seed 0), its weights and every
BatchNorm's running mean and variance drawn at random, and its state_dict
saved as safetensors with the keys torchvision gives it; convnet loads that
file with no renaming, runs the same input in evaluation mode and writes its
output, which must equal PyTorch's within 1e-4 of the output's scale (the
largest |value|).

With --format pth the state_dict is saved by torch.save instead (a .pth
file, which convnet reads without running it), vgg11 may be among the
models (its torchvision keys, features.0.weight, are read as the
lesson's), and each file is then converted back by `convnet convert` to a
.pth (--keys torchvision for VGG) that torch.load reads into a fresh
torchvision model with load_state_dict(strict=True), whose output must be
the same.

Usage, from the module root (needs /usr/bin/python3 with python3-torch and
python3-torchvision; writes only to a temporary folder):

    /usr/bin/python3 testdata/check_torchvision.py [--models googlenet,resnet18,resnet50,mobilenet_v2] [--size 224]
    /usr/bin/python3 testdata/check_torchvision.py --format pth --models resnet18,vgg11
"""
import argparse
import os
import subprocess
import sys
import tempfile

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_reference import encode, read  # noqa: E402


def randomized(name):
    torch.manual_seed(0)
    kwargs = {"weights": None}
    if name == "googlenet":
        kwargs.update(aux_logits=True, init_weights=True)
    m = getattr(torchvision.models, name)(**kwargs)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
                mod.num_batches_tracked.fill_(7)
    return m.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="googlenet,resnet18,resnet50,mobilenet_v2")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--convnet", default="", help="a built convnet binary (default: go build one)")
    ap.add_argument("--format", choices=["safetensors", "pth"], default="safetensors")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp()
    convnet = args.convnet or os.path.join(tmp, "convnet")
    if not args.convnet:
        subprocess.run(["go", "build", "-o", convnet, "./cmd/convnet"], check=True)
    worst = 0.0
    for name in args.models.split(","):
        m = randomized(name)
        torch.manual_seed(1)
        x = torch.randn(args.batch, 3, args.size, args.size)
        with torch.no_grad():
            want = m(x)
        w, xin, out = (os.path.join(tmp, f"{name}.{k}.safetensors") for k in ("weights", "input", "out"))
        if args.format == "pth":
            w = os.path.join(tmp, f"{name}.pth")
            torch.save(m.state_dict(), w)
        else:
            open(w, "wb").write(encode(m.state_dict(), {"format": "pt"}))
        open(xin, "wb").write(encode({"input": x}, {}))
        subprocess.run([convnet, "inspect", "--checkpoint", w, "--model", name, "--input", xin, "--out", out],
                       check=True, stdout=subprocess.DEVNULL)
        got = read(out)[0]["output"]
        scale = want.abs().max().item()
        err = (got - want).abs().max().item() / scale
        worst = max(worst, err)
        print(f"{name}: output {list(want.shape)}, largest |value| {scale:.4g}, largest difference {err:.2e} of it")
        if args.format == "pth":
            back = os.path.join(tmp, f"{name}.back.pth")
            keys = ["--keys", "torchvision"] if name.startswith("vgg") else []
            subprocess.run([convnet, "convert", w, "--model", name, "--out", back] + keys, check=True,
                           stdout=subprocess.DEVNULL)
            fresh = getattr(torchvision.models, name)(weights=None, **({"aux_logits": True, "init_weights": True} if name == "googlenet" else {}))
            fresh.load_state_dict(torch.load(back), strict=True)
            with torch.no_grad():
                again = fresh.eval()(x)
            err = (again - want).abs().max().item() / scale
            worst = max(worst, err)
            print(f"{name}: converted back to .pth, loaded with strict=True: largest difference {err:.2e}")
    print("ok" if worst <= 1e-4 else "FAILED: over 1e-4")
    sys.exit(0 if worst <= 1e-4 else 1)


if __name__ == "__main__":
    main()
