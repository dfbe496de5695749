"""torchvision's resnet18 on MNIST as `convnet train --model resnet18
--dataset mnist --epochs 1` trains it: one input channel (conv1 rebuilt
with kaiming_normal_ as torchvision initialises it), ten classes, Adam at
1e-3, batch 64, the training set in file order (or --shuffle), no
normalisation, one epoch, then the test accuracy in eval mode. With
--schedule onecycle, OneCycleLR peaking at the rate, stepped after every
batch, as `convnet train --schedule onecycle` does.

Usage: /usr/bin/python3 bench/resnet18_mnist.py [--data /tmp/mnist-torch]
       [--seed 0] [--shuffle] [--schedule none|onecycle] [--threads 2]
(../shared/bench/pytorch/prepare.sh unpacks MNIST into /tmp/mnist-torch.)
"""
import argparse
import time

import torch
import torchvision
from torchvision import datasets

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="/tmp/mnist-torch")
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--shuffle", action="store_true")
ap.add_argument("--schedule", choices=["none", "onecycle"], default="none")
ap.add_argument("--lr", type=float, default=1e-3)
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

train = datasets.MNIST(args.data, train=True, download=False)
test = datasets.MNIST(args.data, train=False, download=False)
x, y = train.data.float().div(255).unsqueeze(1), train.targets
m = torchvision.models.resnet18(num_classes=10)
m.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
torch.nn.init.kaiming_normal_(m.conv1.weight, mode="fan_out", nonlinearity="relu")
opt = torch.optim.Adam(m.parameters(), args.lr)
batches = (len(x) + 63) // 64
sched = None
if args.schedule == "onecycle":
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=1, steps_per_epoch=batches)
order = torch.randperm(len(x)) if args.shuffle else torch.arange(len(x))
m.train()
start = time.time()
for i in range(batches):
    b = order[i * 64:(i + 1) * 64]
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(m(x[b]), y[b])
    loss.backward()
    opt.step()
    if sched:
        sched.step()
seconds = time.time() - start
m.eval()
correct = 0
with torch.no_grad():
    xt = test.data.float().div(255).unsqueeze(1)
    for i in range(0, len(xt), 1000):
        correct += (m(xt[i:i + 1000]).argmax(1) == test.targets[i:i + 1000]).sum().item()
print(f"seed {args.seed} schedule {args.schedule} shuffle {args.shuffle}: "
      f"test_accr={correct / len(xt):.4f}, epoch {seconds:.1f} s")
