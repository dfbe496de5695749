#!/usr/bin/python3
"""Writes testdata/conv_more.safetensors: PyTorch's results for the
convolution and pooling settings beyond LeNet's and VGG's (see README.md).

Run from anywhere, with Debian's PyTorch 1.13 (python3-torch):

    /usr/bin/python3 testdata/make_conv_reference.py

Random inputs from torch.manual_seed(0), on one thread, so that reruns
give the same bytes. One group of keys per case:

    conv.<case>.{x,w,b,y,dy,dx,dw,db}   y = conv2d(x, w, b, ...); b and db
                                        are absent without bias
    pool.<case>.{x,y,dy,dx}             y = the pooling of x

dy is the upstream gradient; dx, dw, db are what backward returns. The
settings of each case are JSON in __metadata__["conv.<case>"] or
["pool.<case>"]: stride, padding, dilation (pairs), groups, bias for
convolutions; op (max_pool2d, avg_pool2d, adaptive_avg_pool2d,
adaptive_max_pool2d), kernel, stride, padding, dilation, ceil_mode,
count_include_pad or output_size for poolings.
"""
import json
import os
import struct

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "conv_more.safetensors")

torch.set_num_threads(1)


def encode(tensors, meta):
    """The safetensors bytes of tensors (an ordered dict), data in order."""
    header, blobs, off = {"__metadata__": meta}, [], 0
    for k, t in tensors.items():
        raw = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


# name, input shape, out channels, kernel (h, w), stride, padding, dilation, groups, bias
CONVS = [
    ("nobias_s2", (2, 3, 15, 15), 4, (7, 7), 2, 3, 1, 1, False),       # ResNet's conv1, small
    ("nobias_1x1_s2", (2, 6, 8, 8), 5, (1, 1), 2, 0, 1, 1, False),     # ResNet's downsample
    ("grouped", (2, 4, 7, 7), 6, (3, 3), 1, 1, 1, 2, True),
    ("grouped_1x1", (2, 6, 5, 6), 9, (1, 1), 1, 0, 1, 3, False),
    ("depthwise_s1", (2, 4, 9, 9), 4, (3, 3), 1, 1, 1, 4, True),       # MobileNetV2's
    ("depthwise_s2", (2, 4, 10, 11), 4, (3, 3), 2, 1, 1, 4, False),
    ("depthwise_mult", (1, 3, 8, 8), 6, (3, 3), 1, 1, 1, 3, True),
    ("depthwise_5x5", (2, 3, 9, 8), 3, (5, 5), (1, 2), 2, 1, 3, True),
    ("dilated", (2, 3, 11, 11), 4, (3, 3), 1, 2, 2, 1, True),
    ("dilated_depthwise", (1, 4, 10, 10), 4, (3, 3), 1, 2, 2, 4, False),
    ("rect", (2, 2, 9, 12), 3, (3, 5), (2, 1), (0, 2), (1, 2), 1, True),
]

# name, op, input shape, settings
POOLS = [
    ("max_ceil", "max_pool2d", (2, 3, 15, 16), dict(kernel=3, stride=2, padding=0, ceil_mode=True)),  # GoogLeNet
    ("max_ceil_s1", "max_pool2d", (1, 2, 7, 7), dict(kernel=3, stride=1, padding=1, ceil_mode=True)),
    ("max_pad", "max_pool2d", (2, 3, 16, 15), dict(kernel=3, stride=2, padding=1)),  # ResNet
    ("max_pad_ceil", "max_pool2d", (1, 2, 8, 8), dict(kernel=3, stride=2, padding=1, ceil_mode=True)),
    ("max_2x2_ceil", "max_pool2d", (1, 2, 7, 9), dict(kernel=2, stride=2, padding=0, ceil_mode=True)),
    ("max_dilated", "max_pool2d", (1, 2, 11, 12), dict(kernel=3, stride=2, padding=1, dilation=2)),
    ("max_dilated_ceil", "max_pool2d", (1, 2, 10, 9), dict(kernel=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 3), ceil_mode=True)),
    ("avg_ceil", "avg_pool2d", (1, 2, 8, 9), dict(kernel=3, stride=2, padding=0, ceil_mode=True)),
    ("avg_pad", "avg_pool2d", (1, 2, 7, 8), dict(kernel=3, stride=2, padding=1)),
    ("avg_pad_exclude", "avg_pool2d", (1, 2, 7, 7), dict(kernel=3, stride=1, padding=1, count_include_pad=False)),
    ("avg_pad_ceil", "avg_pool2d", (1, 2, 8, 8), dict(kernel=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pad_ceil_exclude", "avg_pool2d", (1, 2, 9, 8), dict(kernel=(3, 2), stride=(3, 2), padding=1, ceil_mode=True, count_include_pad=False)),
    ("adaptive_avg_1", "adaptive_avg_pool2d", (2, 3, 7, 7), dict(output_size=(1, 1))),
    ("adaptive_avg_4", "adaptive_avg_pool2d", (2, 3, 14, 14), dict(output_size=(4, 4))),  # GoogLeNet's aux
    ("adaptive_avg_3x5", "adaptive_avg_pool2d", (1, 2, 10, 7), dict(output_size=(3, 5))),
    ("adaptive_avg_up", "adaptive_avg_pool2d", (1, 2, 3, 2), dict(output_size=(5, 4))),
    ("adaptive_max_1", "adaptive_max_pool2d", (2, 3, 7, 7), dict(output_size=(1, 1))),
    ("adaptive_max_3x5", "adaptive_max_pool2d", (1, 2, 10, 7), dict(output_size=(3, 5))),
    ("adaptive_max_up", "adaptive_max_pool2d", (1, 2, 3, 2), dict(output_size=(5, 4))),
]


def main():
    torch.manual_seed(0)
    t, meta = {}, {"torch": torch.__version__, "seed": "0"}
    for name, shape, k, kernel, stride, padding, dilation, groups, bias in CONVS:
        key = "conv." + name + "."
        x = torch.randn(*shape).requires_grad_()
        w = (torch.randn(k, shape[1] // groups, *kernel) * 0.5).requires_grad_()
        b = torch.randn(k).requires_grad_() if bias else None
        y = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
        dy = torch.randn(*y.shape)
        y.backward(dy)
        t[key + "x"], t[key + "w"], t[key + "y"], t[key + "dy"] = x, w, y, dy
        t[key + "dx"], t[key + "dw"] = x.grad, w.grad
        if bias:
            t[key + "b"], t[key + "db"] = b, b.grad
        meta["conv." + name] = json.dumps({"stride": pair(stride), "padding": pair(padding),
                                           "dilation": pair(dilation), "groups": groups, "bias": bias})
    for name, op, shape, s in POOLS:
        key = "pool." + name + "."
        x = torch.randn(*shape).requires_grad_()
        if op == "max_pool2d":
            y = F.max_pool2d(x, s["kernel"], s["stride"], s["padding"], s.get("dilation", 1), s.get("ceil_mode", False))
        elif op == "avg_pool2d":
            y = F.avg_pool2d(x, s["kernel"], s["stride"], s["padding"], s.get("ceil_mode", False), s.get("count_include_pad", True))
        elif op == "adaptive_avg_pool2d":
            y = F.adaptive_avg_pool2d(x, s["output_size"])
        else:
            y = F.adaptive_max_pool2d(x, s["output_size"])
        dy = torch.randn(*y.shape)
        y.backward(dy)
        t[key + "x"], t[key + "y"], t[key + "dy"], t[key + "dx"] = x, y, dy, x.grad
        m = {"op": op}
        if "output_size" in s:
            m["output_size"] = pair(s["output_size"])
        else:
            m.update(kernel=pair(s["kernel"]), stride=pair(s["stride"]), padding=pair(s["padding"]),
                     dilation=pair(s.get("dilation", 1)), ceil_mode=s.get("ceil_mode", False),
                     count_include_pad=s.get("count_include_pad", True))
        meta["pool." + name] = json.dumps(m)
    data = encode(t, meta)
    with open(OUT + ".tmp", "wb") as f:
        f.write(data)
    os.replace(OUT + ".tmp", OUT)
    print("wrote %s (%d bytes, %d tensors)" % (OUT, len(data), len(t)))


if __name__ == "__main__":
    main()
