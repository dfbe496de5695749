#!/usr/bin/python3
"""Writes the reference pictures of testdata/transforms/ (see its README.md).

Run from anywhere, with Debian's torchvision 0.14 and PIL 9 (python3-torchvision):

    /usr/bin/python3 testdata/make_transforms_reference.py

The inputs are small pictures drawn from formulas (no randomness, no
download); every output is what torchvision.transforms.functional gives for
a PIL image, with fixed parameters, saved as a PNG (bytes) or a raw
little-endian float32 file (tensors). cases.json lists them: for each case
the input, the operation with its parameters and the output, which the Go
tests in data/transforms and datasets/folder read. Reruns give the same
bytes.
"""
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch
import torchvision
import torchvision.transforms.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "transforms")


def pattern_rgb(w, h):
    """A picture with gradients, sharp edges and a pseudo-random texture."""
    a = np.zeros((h, w, 3), np.uint8)
    for y in range(h):
        for x in range(w):
            n = (x * 7919 + y * 104729 + x * y * 31) % 251  # a fixed texture
            r = (x * 255) // max(1, w - 1)
            g = (y * 255) // max(1, h - 1)
            b = 255 if (x // 4 + y // 3) % 2 else 0
            if (x - w // 2) ** 2 + (y - h // 2) ** 2 < (min(w, h) // 3) ** 2:
                r, g = 255 - r, n
            a[y, x] = (r, g, (b + n) % 256)
    return Image.fromarray(a, "RGB")


def pattern_gray(w, h):
    a = np.zeros((h, w), np.uint8)
    for y in range(h):
        for x in range(w):
            a[y, x] = (x * 37 + y * 11 + (x * y) % 13 * 9) % 256
    return Image.fromarray(a, "L")


def save_png(img, name):
    img.save(os.path.join(OUT, name), format="PNG", optimize=False, compress_level=9)
    return name


def save_f32(t, name):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(t.detach().contiguous().numpy().astype("<f4").tobytes())
    return name


def main():
    print("torch", torch.__version__, "torchvision", torchvision.__version__, "PIL", Image.__version__)
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f != "README.md":
            os.remove(os.path.join(OUT, f))
    inputs = {
        "rgb": pattern_rgb(37, 23),
        "tall": pattern_rgb(19, 31),
        "gray": pattern_gray(29, 17),
    }
    for k, im in inputs.items():
        save_png(im, f"in_{k}.png")
    cases = []

    def case(name, inp, op, params, out, tol=0):
        img = inputs[inp]
        cases.append({
            "name": name, "input": f"in_{inp}.png", "op": op, "params": params,
            "output": save_png(out(img), f"{name}.png"), "tolerance": tol,
        })

    for inp in ("rgb", "tall", "gray"):
        for size in (5, 9, 16, 23, 50):
            case(f"resize{size}_{inp}", inp, "resize", {"size": size}, lambda im: F.resize(im, size))
        for h, w in ((5, 30), (23, 20), (7, 7), (40, 3), (1, 1), (64, 64)):
            case(f"resize{h}x{w}_{inp}", inp, "resize_to", {"height": h, "width": w}, lambda im: F.resize(im, [h, w]))
        for h, w in ((20, 20), (30, 20), (25, 41), (8, 12), (16, 15), (23, 37)):
            case(f"centercrop{h}x{w}_{inp}", inp, "center_crop", {"height": h, "width": w}, lambda im: F.center_crop(im, [h, w]))
        case(f"hflip_{inp}", inp, "hflip", {}, F.hflip)
        for n in (1, 3):
            case(f"gray{n}_{inp}", inp, "grayscale", {"channels": n}, lambda im: F.to_grayscale(im, n))
        for angle in (30, -45, 90, 180, 270, 12.5, -100.25, 359.9, 1e-9):
            case(f"rotate{angle}_{inp}", inp, "rotate", {"angle": angle}, lambda im: F.rotate(im, angle))
        for f in (0.0, 0.5, 1.0, 1.7, 3.0):
            case(f"brightness{f}_{inp}", inp, "brightness", {"factor": f}, lambda im: F.adjust_brightness(im, f))
            case(f"contrast{f}_{inp}", inp, "contrast", {"factor": f}, lambda im: F.adjust_contrast(im, f))
            case(f"saturation{f}_{inp}", inp, "saturation", {"factor": f}, lambda im: F.adjust_saturation(im, f))
        for f in (0.1, -0.27, 0.5, -0.5, 0.0, 0.33):
            case(f"hue{f}_{inp}", inp, "hue", {"factor": f}, lambda im: F.adjust_hue(im, f))
        case(f"resizedcrop_{inp}", inp, "resized_crop", {"top": 3, "left": 5, "height": 12, "width": 13, "size": 16},
             lambda im: F.resized_crop(im, 3, 5, 12, 13, [16, 16]))

    # ToTensor, then Normalize.
    for inp in ("rgb", "gray"):
        img = inputs[inp]
        c = 3 if inp == "rgb" else 1
        mean, std = [0.485, 0.456, 0.406][:c], [0.229, 0.224, 0.225][:c]
        t = F.normalize(F.to_tensor(img), mean, std)
        cases.append({"name": f"tensor_{inp}", "input": f"in_{inp}.png", "op": "to_tensor_normalize",
                      "params": {"mean": mean, "std": std}, "output": save_f32(t, f"tensor_{inp}.f32"),
                      "tolerance": 0})

    # Decoding: files that PIL reads, and the RGB picture of convert("RGB").
    decode = []

    def dec(name, data):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        rgb = Image.open(os.path.join(OUT, name)).convert("RGB")
        decode.append({"file": name, "mode": Image.open(os.path.join(OUT, name)).mode,
                       "rgb": save_png(rgb, name.replace(".", "_") + ".rgb.png")})

    def encode(im, fmt, **kw):
        b = io.BytesIO()
        im.save(b, format=fmt, **kw)
        return b.getvalue()

    rgb = inputs["rgb"]
    dec("photo444.jpg", encode(rgb, "JPEG", quality=92, subsampling=0))
    dec("photo420.jpg", encode(rgb, "JPEG", quality=92, subsampling=2))
    dec("gray.jpg", encode(inputs["gray"], "JPEG", quality=92))
    dec("cmyk.jpg", encode(rgb.convert("CMYK"), "JPEG", quality=95))
    dec("lossy.webp", encode(rgb, "WEBP", quality=90))
    dec("lossless.webp", encode(rgb, "WEBP", lossless=True))
    dec("palette.gif", encode(rgb.quantize(16), "GIF"))
    dec("rgb.bmp", encode(rgb, "BMP"))
    dec("la.png", encode(Image.merge("LA", (inputs["rgb"].convert("L"), inputs["rgb"].getchannel(0))), "PNG"))
    rgba = rgb.copy()
    rgba.putalpha(rgb.getchannel(1))
    dec("rgba.png", encode(rgba, "PNG"))
    dec("palette_trns.png", encode(rgb.quantize(8), "PNG", transparency=3))
    g16 = (np.arange(29 * 17, dtype=np.int32).reshape(17, 29) * 131) % 65536
    dec("gray16.png", encode(Image.fromarray(g16.astype(np.uint16), "I;16"), "PNG"))

    with open(os.path.join(OUT, "cases.json"), "w") as f:
        # One case a line, so that a diff shows what changed.
        f.write('{"torch": %s, "torchvision": %s, "PIL": %s,\n' % tuple(
            json.dumps(v) for v in (torch.__version__, torchvision.__version__, Image.__version__)))
        for key, items in (("cases", cases), ("decode", decode)):
            f.write(' "%s": [\n  ' % key)
            f.write(",\n  ".join(json.dumps(c, separators=(",", ":")) for c in items))
            f.write("\n ]" + ("," if key == "cases" else "") + "\n")
        f.write("}\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(cases)} cases and {len(decode)} decodings to {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
