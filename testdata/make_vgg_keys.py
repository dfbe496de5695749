"""Writes testdata/vgg_torchvision_keys.json: the state_dict keys and
shapes of torchvision 0.14's eight VGG networks (vgg11 ... vgg19_bn, 1000
classes), in order, for the test of models.TorchvisionNames, which maps
convnet's lesson names (feature.conv3-64, classifier.fc-1000, ...) onto
them. Run with /usr/bin/python3 (torch 1.13, torchvision 0.14)."""
import json
import os

import torchvision

out = {}
for name in ["vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]:
    m = getattr(torchvision.models, name)()
    out[name] = [[k, list(v.shape)] for k, v in m.state_dict().items()]
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vgg_torchvision_keys.json")
with open(path, "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print("wrote", path)
