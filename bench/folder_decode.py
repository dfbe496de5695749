"""torchvision's side of convnet's folder figure (convnet bench --only
folder --folder DIR): one epoch of DIR/train (or DIR) through ImageFolder
with RandomResizedCrop(224), RandomHorizontalFlip, ToTensor and Normalize
(ImageNet's), a DataLoader of batch 64, shuffled, with --workers
processes; the median over --reps epochs after a warm-up, in pictures a
second, as one JSON line.

Usage: /usr/bin/python3 bench/folder_decode.py DIR [--workers 2] [--reps 3]
"""
import argparse
import json
import os
import statistics
import time

import torch
import torchvision
from torchvision import transforms as T

ap = argparse.ArgumentParser()
ap.add_argument("root")
ap.add_argument("--workers", type=int, default=2)
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
torch.set_num_threads(a.threads)
root = os.path.join(a.root, "train") if os.path.isdir(os.path.join(a.root, "train")) else a.root
tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(),
                T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
ds = torchvision.datasets.ImageFolder(root, tf)
loader = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True, num_workers=a.workers)
runs = []
for rep in range(a.reps + 1):
    start = time.time()
    for x, y in loader:
        pass
    if rep > 0:
        runs.append(time.time() - start)
print(json.dumps({"key": "folder-decode-224", "workers": a.workers, "images": len(ds),
                  "value": len(ds) / statistics.median(runs), "unit": "img/s", "runs": runs}))
