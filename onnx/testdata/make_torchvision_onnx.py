#!/usr/bin/python3
"""Exports torchvision's resnet18, googlenet and mobilenet_v2 to ONNX with
torch.onnx.export (opset 13, a dynamic batch), as their users do, for
onnx/torchvision_test.go: models no one at convnet wrote, run through
`convnet inspect --checkpoint NAME.onnx --input NAME_io.safetensors` and
compared with torchvision's own output.

    /usr/bin/python3 onnx/testdata/make_torchvision_onnx.py OUTDIR

writes OUTDIR/NAME.onnx and OUTDIR/NAME_io.safetensors ("input": 2x3x224x224,
"output": torchvision's 2x1000 logits in evaluation mode). The weights are
torchvision's initialisation under torch.manual_seed(0) (nothing is
downloaded), with the batch norms' weights and running statistics drawn
too, so that the output is not near zero (a fresh mobilenet_v2's is about
1e-9); the files are tens of megabytes, so they are written where the
test asks, not committed.
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata"))
from make_pth_reference import write_safetensors  # noqa: E402

MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(),
    # As torchvision builds it without weights: no auxiliary classifiers
    # run in evaluation mode, and no input transform.
    "googlenet": lambda: torchvision.models.googlenet(aux_logits=False, init_weights=True),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    names = sys.argv[2:] or list(MODELS)
    for name in names:
        torch.manual_seed(0)
        model = MODELS[name]().eval()
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0, 0.1)
                    m.running_mean.normal_(0, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
        x = torch.randn(2, 3, 224, 224)
        with torch.no_grad():
            y = model(x)
            torch.onnx.export(model, x, os.path.join(out, name + ".onnx"), opset_version=13,
                              input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
        write_safetensors(os.path.join(out, name + "_io.safetensors"), {"input": x, "output": y})


if __name__ == "__main__":
    main()
