#!/usr/bin/python3
"""Times torchvision's GoogLeNet with its auxiliary classifiers
(aux_logits=True, init_weights=True): one SGD training step at batch 10 on
random 3x224x224 images, train mode, fp32, with the paper's loss as
torchvision's reference recipe computes it, main + 0.3 x each auxiliary
cross-entropy. The companion of convnet's googlenet-train-step-aux figure;
../shared/bench/pytorch/zoo.py times the model without them. One warm-up,
then the median of --reps. Prints one JSON line."""
import argparse, json, time, torch, torchvision
from torchvision import models
ap = argparse.ArgumentParser(); ap.add_argument("--threads", type=int, default=2); ap.add_argument("--reps", type=int, default=3)
a = ap.parse_args()
torch.set_num_threads(a.threads)
x = torch.randn(10, 3, 224, 224); y = torch.randint(0, 1000, (10,))
torch.manual_seed(0); m = models.googlenet(weights=None, aux_logits=True, init_weights=True)
opt = torch.optim.SGD(m.parameters(), lr=0.01)
def step():
    m.train(); opt.zero_grad()
    out, aux2, aux1 = m(x)
    ce = torch.nn.functional.cross_entropy
    loss = ce(out, y) + 0.3 * (ce(aux1, y) + ce(aux2, y))
    loss.backward(); opt.step()
step(); ts = []
for _ in range(a.reps):
    t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
print(json.dumps({"model": "googlenet_aux", "precision": "fp32", "threads": a.threads,
                  "train_step_b10_s": round(sorted(ts)[len(ts) // 2], 4), "runs": [round(t, 4) for t in ts]}), flush=True)
