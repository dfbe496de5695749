"""Prints the table of bench/compare.sh from the raw outputs in a folder."""
import json
import os
import re
import statistics
import sys

out = sys.argv[1]


def result(name):
    for line in open(f"{out}/{name}"):
        if line.startswith("RESULT_JSON "):
            return json.loads(line[len("RESULT_JSON "):])
    raise SystemExit(f"no RESULT_JSON in {out}/{name}")


def time_v(name, field):
    text = open(f"{out}/{name}").read()
    m = re.search(field + r".*?: (\S+)", text)
    return m.group(1) if m else None


def wall_seconds(name):
    v = time_v(name, "Elapsed \\(wall clock\\) time")
    parts = [float(p) for p in v.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


go = {}
if os.path.exists(f"{out}/convnet.jsonl"):
    for line in open(f"{out}/convnet.jsonl"):
        f = json.loads(line)
        go[f["key"]] = f


def jsonl(name):
    """The JSON lines of a file, or none if it is missing."""
    try:
        return [json.loads(line) for line in open(f"{out}/{name}") if line.strip()]
    except FileNotFoundError:
        return []


# zoo.py's fp32 lines, by model, and bench/googlenet_aux.py's.
zoo = {r["model"]: r for r in jsonl("pt_zoo.jsonl") + jsonl("pt_googlenet_aux.jsonl") if r["precision"] == "fp32"}
zoo_bf16 = {r["model"]: r for r in jsonl("pt_zoo.jsonl") + jsonl("pt_zoo_bf16.jsonl") if r["precision"] == "bf16"}


def lesson_rows():
    pre = result("pt_preloaded.txt")
    inf = result("pt_infer.txt")
    vgg = result("pt_vgg.txt")
    vgg_ob = result("pt_vgg_openblas.txt")
    mm = result("pt_matmul.txt")
    return [
        # figure, convnet value, PyTorch value, unit, lower is better
        ("LeNet-5 training epoch (60k, batch 64, Adam, data in memory)", go["lenet-train-epoch"]["value"],
         statistics.median(e["seconds"] for e in pre["epochs"]), "s", True),
        ("`convnet train` as the lesson runs it, 3 epochs + test eval, wall", wall_seconds("train.err"),
         wall_seconds("pt_train.err"), "s", True),
        ("LeNet-5 inference, 10k test images at batch 1000", go["lenet-infer-b1000"]["value"],
         inf["b1000"]["images_per_s"], "img/s", False),
        ("LeNet-5 inference at batch 1, median latency", go["lenet-infer-b1"]["value"],
         inf["b1"]["lat_median_us"], "us", True),
        ("VGG-11 forward, 10x3x224x224", go["vgg11-forward"]["value"],
         min(vgg["forward"]["median_s"], vgg_ob["forward"]["median_s"]), "s", True),
        ("VGG-11 training step at batch 10 (SGD)", go["vgg11-train-step"]["value"],
         min(vgg["train_step"]["median_s"], vgg_ob["train_step"]["median_s"]), "s", True),
        ("fp32 GEMM 4096x4096, OpenBLAS for PyTorch", go["gemm-4096"]["value"], mm["gflops_median"], "GFLOP/s", False),
        ("peak RSS of the lesson's training run", int(time_v("train.err", "Maximum resident set size")) / 1024,
         int(time_v("pt_train.err", "Maximum resident set size")) / 1024, "MiB", True),
        ("peak RSS of VGG-11 forward and training step at batch 10", int(time_v("convnet_vgg.log", "Maximum resident set size")) / 1024,
         vgg["train_step"]["maxrss_MiB"], "MiB", True),
    ]


# The torchvision networks: convnet's key, zoo.py's model and field, the row.
zoo_figures = [
    ("resnet18-forward", "resnet18", "forward_b10_s", "ResNet-18 forward, 10x3x224x224"),
    ("resnet18-train-step", "resnet18", "train_step_b10_s", "ResNet-18 training step at batch 10 (SGD)"),
    ("googlenet-forward", "googlenet", "forward_b10_s", "GoogLeNet forward, 10x3x224x224"),
    ("googlenet-train-step", "googlenet", "train_step_b10_s", "GoogLeNet training step at batch 10 (SGD, aux_logits=False)"),
    ("googlenet-train-step-aux", "googlenet_aux", "train_step_b10_s",
     "GoogLeNet training step at batch 10 (SGD, main + 0.3 x each aux loss)"),
]


def zoo_rows():
    return [(name, go[key]["value"], zoo[model][field], "s", True)
            for key, model, field, name in zoo_figures if key in go and model in zoo]


rows = []
if os.path.exists(f"{out}/pt_preloaded.txt"):  # not ONLY=zoo
    rows += lesson_rows()
rows += zoo_rows()

print(open(f"{out}/machine.txt").read().strip())
print()
if rows:
    print("| figure | convnet | PyTorch 1.13 | convnet's advantage |")
    print("| --- | --- | --- | --- |")
for name, g, p, unit, lower in rows:
    ratio = p / g if lower else g / p

    def fmt(v):
        return f"{v:,.0f}" if v >= 1000 else f"{v:.3g}"
    print(f"| {name} | {fmt(g)} {unit} | {fmt(p)} {unit} | {ratio:.2f}x |")
ort = {os.path.basename(r["model"]).removesuffix(".onnx"): r for r in jsonl("ort.jsonl")}
ort_rows = [(f"{label} forward, 10x3x224x224", go[f"{m}-forward"]["value"], ort[m]["median_s"])
            for m, label in (("vgg11", "VGG-11"), ("resnet18", "ResNet-18"), ("googlenet", "GoogLeNet"))
            if m in ort and f"{m}-forward" in go]
if ort_rows:
    print()
    print("| figure | convnet | ONNX Runtime 1.30 | convnet's advantage |")
    print("| --- | --- | --- | --- |")
    for name, g, o in ort_rows:
        print(f"| {name} | {g:.3g} s | {o:.3g} s | {o / g:.2f}x |")


def print_rounds(rounds, other, nets, what):
    """Prints an alternated run's table: rounds maps a network to its
    (convnet, other) seconds round by round; nets are the networks and
    their labels in order, what names the figure after the label."""
    if not rounds:
        return
    print()
    print(f"| figure, alternated | convnet (median) | {other} (median) | convnet's advantage, each round | median |")
    print("| --- | --- | --- | --- | --- |")
    for m, label in nets:
        if m not in rounds:
            continue
        pairs = rounds[m]
        ratios = [o / g for g, o in pairs]
        print(f"| {label} {what} | {statistics.median(g for g, _ in pairs):.3g} s | "
              f"{statistics.median(o for _, o in pairs):.3g} s | {', '.join(f'{r:.2f}' for r in ratios)} | "
              f"{statistics.median(ratios):.2f}x |")


# ONLY=ort: the rounds, each convnet's forward then ONNX Runtime's, in
# the same order in both files.
rounds = {}
for g, o in zip(jsonl("rounds_convnet.jsonl"), jsonl("rounds_ort.jsonl")):
    m = os.path.basename(o["model"]).removesuffix(".onnx")
    if g["key"] != f"{m}-forward":
        raise SystemExit(f"rounds out of step: {g['key']} beside {m}")
    rounds.setdefault(m, []).append((g["value"], o["median_s"]))
print_rounds(rounds, "ONNX Runtime 1.30", (("vgg11", "VGG-11"), ("resnet18", "ResNet-18"), ("googlenet", "GoogLeNet")),
             "forward, 10x3x224x224")
# ONLY=steps: the rounds of training steps, convnet's and zoo.py's, each
# network in the same order in both files.
step_rounds = {}
for g, pt in zip(jsonl("rounds_convnet_steps.jsonl"), jsonl("rounds_pt_steps.jsonl")):
    if g["key"] != f"{pt['model']}-train-step":
        raise SystemExit(f"step rounds out of step: {g['key']} beside {pt['model']}")
    step_rounds.setdefault(pt["model"], []).append((g["value"], pt["train_step_b10_s"]))
print_rounds(step_rounds, "PyTorch 1.13", (("resnet18", "ResNet-18"), ("googlenet", "GoogLeNet")),
             "training step at batch 10 (SGD)")
go_bf16 = {f["key"]: f for f in jsonl("convnet_bf16.jsonl")}
bf16_rows = [(f"{label} {what}", go_bf16[f"{m}-{key}"]["value"], zoo_bf16[m][field])
             for m, label in (("vgg11", "VGG-11"), ("resnet18", "ResNet-18"))
             for key, field, what in (("forward", "forward_b10_s", "forward, 10x3x224x224"),
                                      ("train-step", "train_step_b10_s", "training step at batch 10 (SGD)"))
             if m in zoo_bf16 and f"{m}-{key}" in go_bf16]
if bf16_rows:
    kernel = next(iter(go_bf16.values()))["kernel"]
    print()
    print(f"| figure, bf16 | convnet --precision bf16 ({kernel}) | PyTorch 1.13 bf16 autocast | convnet's advantage |")
    print("| --- | --- | --- | --- |")
    for name, g, p in bf16_rows:
        print(f"| {name} | {g:.3g} s | {p:.3g} s | {p / g:.2f}x |")
    if "gemm-4096" in go_bf16:
        fp32 = f", fp32 {go['gemm-4096']['value']:.0f}" if "gemm-4096" in go else ""
        print(f"| GEMM 4096x4096 | {go_bf16['gemm-4096']['value']:.0f} GFLOP/s{fp32} | | |")
print()
print("Ratios above 1 favour convnet.")
if "vgg11-forward" in go:
    print("PyTorch's VGG-11 figures are the better of its default BLAS and OpenBLAS.")
    one = {f["key"]: f for f in jsonl("convnet_vgg_1thread.jsonl")}
    if "vgg11-forward" in one:
        print(f"convnet's VGG-11 forward on 1 thread: {one['vgg11-forward']['value']:.3g} s, "
              f"{one['vgg11-forward']['value'] / go['vgg11-forward']['value']:.2f}x the time on {go['vgg11-forward']['threads']}.")
if zoo:
    print("ResNet-18 and GoogLeNet: PyTorch's are ../shared/bench/pytorch/zoo.py's fp32 medians (torchvision's resnet18() and "
          "googlenet(aux_logits=False)), and bench/googlenet_aux.py's for the step with the auxiliary losses.")
if zoo_bf16:
    print("PyTorch with bf16 autocast: " + ", ".join(
        f"{m} forward {r['forward_b10_s']:.3g} s, step {r['train_step_b10_s']:.3g} s" for m, r in zoo_bf16.items()) + ".")
if go:
    print("convnet's figures: " + ", ".join(f"{f['name']} {f['value']:.4g} {f['unit']}" + (f" ({f['gflops']:.1f} GFLOP/s)" if f.get('gflops') else "") for f in go.values()))
