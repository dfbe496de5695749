#!/usr/bin/python3
"""Writes testdata/onnx_ops.safetensors: PyTorch's results for the
operations an ONNX importer needs beyond the layers of the lesson's
networks: matmul, conv_transpose2d, pad, local_response_norm and
gather (index selection).

Run from anywhere, with Debian's PyTorch 1.13 (python3-torch):

    /usr/bin/python3 testdata/make_onnx_ops_reference.py

Random inputs from torch.manual_seed(2), on one thread, so that reruns
give the same bytes. One group of keys per case, <op>.<case>.<what>:

    matmul.<case>.{a,b,y,dy,da,db}         y = torch.matmul(a, b)
    convt.<case>.{x,w,b,y,dy,dx,dw,db}     y = conv_transpose2d(x, w, b, ...);
                                           b and db absent without bias
    pad.<case>.{x,y,dy,dx}                 y = F.pad(x, pads, mode, value)
    lrn.<case>.{x,y,dy,dx}                 y = F.local_response_norm(x, ...)
    gather.<case>.{x,indices,y,dy,dx}      y = x[:, ..., indices] along dim;
                                           indices is I64 in the index's
                                           shape, negative ones as given

dy is the upstream gradient (random); dx and the like are what backward
returns. The settings of each case are JSON in __metadata__["<op>.<case>"]:
stride, padding, output_padding, dilation (pairs), groups, bias for convt;
pads (left, right, top, bottom), mode, value for pad; size, alpha, beta, k
for lrn; dim and index_shape (the shape of indices) for gather. Read by tensor/onnx_ops_ref_test.go.
"""
import json
import os

import torch
import torch.nn.functional as F

from safetensors_ref import encode

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "onnx_ops.safetensors")

torch.set_num_threads(1)



def pair(v):
    return list(v) if isinstance(v, (tuple, list)) else [v, v]


# name, shape of a, shape of b
MATMULS = [
    ("dot", (5,), (5,)),
    ("mm", (3, 4), (4, 5)),
    ("vec_mat", (4,), (4, 3)),
    ("mat_vec", (3, 4), (4,)),
    ("batched", (2, 3, 4), (2, 4, 5)),
    ("batch_times_matrix", (2, 3, 3, 4), (4, 5)),   # a linear layer on a sequence
    ("matrix_times_batch", (3, 4), (2, 4, 5)),
    ("broadcast_both", (2, 1, 3, 4), (3, 4, 2)),
    ("broadcast_ones", (1, 3, 2, 4), (2, 1, 4, 3)),
    ("vec_batched", (4,), (2, 4, 3)),
    ("batched_vec", (2, 3, 4), (4,)),
]

# name, input shape, output channels, kernel (h, w), stride, padding,
# output_padding, dilation, groups, bias
CONVTS = [
    ("basic", (2, 3, 5, 5), 4, (3, 3), 1, 0, 0, 1, 1, True),
    ("s2_p1_op1", (2, 4, 4, 5), 3, (3, 3), 2, 1, 1, 1, 1, True),
    ("k4_s2_p1", (1, 2, 3, 3), 2, (4, 4), 2, 1, 0, 1, 1, False),   # DCGAN-style upsampling
    ("grouped", (1, 4, 5, 4), 6, (3, 3), 2, 0, 0, 1, 2, True),
    ("depthwise", (2, 3, 5, 5), 3, (3, 3), 2, 1, 0, 1, 3, False),
    ("dilated_rect", (2, 2, 4, 4), 3, (3, 2), (1, 2), (1, 0), (0, 1), (2, 1), 1, True),
    ("op_ge_stride", (1, 2, 4, 4), 2, (3, 3), 1, 1, 1, 2, 1, True),  # output padding 1 = stride, < dilation
    ("1x1_s2", (2, 3, 4, 4), 2, (1, 1), 2, 0, 1, 1, 1, True),
]

# name, input shape, pads (left, right, top, bottom), mode, value
PADS = [
    ("constant", (2, 3, 4, 5), (1, 2, 0, 3), "constant", 0.5),
    ("constant_crop", (2, 2, 5, 6), (-1, 2, 1, -2), "constant", 0.0),
    ("constant_2d", (4, 5), (2, 0, 1, 1), "constant", -1.0),
    ("reflect", (1, 2, 4, 5), (2, 1, 1, 3), "reflect", 0.0),
    ("reflect_crop", (1, 2, 4, 5), (1, -1, 2, -1), "reflect", 0.0),
    ("reflect_3d", (3, 4, 5), (1, 1, 2, 0), "reflect", 0.0),
    ("replicate", (2, 2, 3, 4), (3, 1, 2, 2), "replicate", 0.0),
    ("replicate_crop", (1, 2, 4, 5), (-2, 1, 0, -1), "replicate", 0.0),
]

# name, input shape, size, alpha, beta, k
LRNS = [
    ("alexnet", (2, 7, 3, 4), 5, 1e-4, 0.75, 2.0),
    ("strong", (2, 6, 3, 3), 3, 0.5, 0.75, 1.0),
    ("even", (1, 5, 2, 3), 4, 0.3, 0.6, 1.5),
    ("size1", (1, 3, 2, 2), 1, 0.4, 0.5, 1.0),
    ("wide", (2, 3, 2, 2), 7, 0.6, 0.75, 1.0),  # window wider than the channels
    ("3d", (2, 5, 4), 3, 0.4, 0.75, 1.0),
    ("5d", (1, 4, 2, 2, 3), 2, 0.5, 0.9, 1.0),
]

# name, input shape, dim, indices (nested lists give the index's shape)
GATHERS = [
    ("rows", (4, 3), 0, [2, 0, 2]),
    ("matrix_index", (2, 4, 3), 1, [[0, -1], [2, 1]]),
    ("scalar_index", (2, 3, 4), -1, -2),
    ("repeats", (2, 3, 5, 2), 2, [4, 4, 0, -1, 4]),
    ("last_dim", (3, 6), 1, [[5], [1], [-6]]),
]


def main():
    torch.manual_seed(2)
    t, meta = {}, {"torch": torch.__version__, "seed": "2"}
    for name, sa, sb in MATMULS:
        key = "matmul." + name + "."
        a = torch.randn(*sa).requires_grad_()
        b = torch.randn(*sb).requires_grad_()
        y = torch.matmul(a, b)
        dy = torch.randn(y.shape)
        y.backward(dy)
        t[key + "a"], t[key + "b"], t[key + "y"], t[key + "dy"] = a, b, y, dy
        t[key + "da"], t[key + "db"] = a.grad, b.grad
        meta["matmul." + name] = json.dumps({"a": list(sa), "b": list(sb)})
    for name, shape, cout, kernel, stride, padding, outpad, dilation, groups, bias in CONVTS:
        key = "convt." + name + "."
        x = torch.randn(*shape).requires_grad_()
        w = (torch.randn(shape[1], cout // groups, *kernel) * 0.5).requires_grad_()
        b = torch.randn(cout).requires_grad_() if bias else None
        y = F.conv_transpose2d(x, w, b, stride=stride, padding=padding, output_padding=outpad,
                               groups=groups, dilation=dilation)
        dy = torch.randn(y.shape)
        y.backward(dy)
        t[key + "x"], t[key + "w"], t[key + "y"], t[key + "dy"] = x, w, y, dy
        t[key + "dx"], t[key + "dw"] = x.grad, w.grad
        if bias:
            t[key + "b"], t[key + "db"] = b, b.grad
        meta["convt." + name] = json.dumps({"stride": pair(stride), "padding": pair(padding),
                                            "output_padding": pair(outpad), "dilation": pair(dilation),
                                            "groups": groups, "bias": bias})
    for name, shape, pads, mode, value in PADS:
        key = "pad." + name + "."
        x = torch.randn(*shape).requires_grad_()
        if mode == "constant":
            y = F.pad(x, pads, mode=mode, value=value)
        else:
            y = F.pad(x, pads, mode=mode)
        dy = torch.randn(y.shape)
        y.backward(dy)
        t[key + "x"], t[key + "y"], t[key + "dy"], t[key + "dx"] = x, y, dy, x.grad
        meta["pad." + name] = json.dumps({"pads": list(pads), "mode": mode, "value": value})
    for name, shape, size, alpha, beta, k in LRNS:
        key = "lrn." + name + "."
        x = (torch.randn(*shape) * 2).requires_grad_()
        y = F.local_response_norm(x, size, alpha=alpha, beta=beta, k=k)
        dy = torch.randn(y.shape)
        y.backward(dy)
        t[key + "x"], t[key + "y"], t[key + "dy"], t[key + "dx"] = x, y, dy, x.grad
        meta["lrn." + name] = json.dumps({"size": size, "alpha": alpha, "beta": beta, "k": k})
    for name, shape, dim, indices in GATHERS:
        key = "gather." + name + "."
        x = torch.randn(*shape).requires_grad_()
        idx = torch.tensor(indices, dtype=torch.int64)
        d = dim % len(shape)
        y = x[(slice(None),) * d + (idx % shape[d],)]
        dy = torch.randn(y.shape)
        y.backward(dy)
        t[key + "x"], t[key + "indices"], t[key + "y"], t[key + "dy"], t[key + "dx"] = x, idx, y, dy, x.grad
        meta["gather." + name] = json.dumps({"dim": dim, "index_shape": list(idx.shape)})
    data = encode(t, meta)
    with open(OUT + ".tmp", "wb") as f:
        f.write(data)
    os.replace(OUT + ".tmp", OUT)
    print("wrote %s (%d bytes, %d tensors)" % (OUT, len(data), len(t)))


if __name__ == "__main__":
    main()
