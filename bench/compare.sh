#!/usr/bin/env bash
# Runs convnet's benchmarks and the lesson's PyTorch programs one after the
# other on this machine, and prints both columns and their ratio.
#
# Usage: bench/compare.sh            (from the project root; about 10 minutes)
#        ONLY=zoo bench/compare.sh   (ResNet-18 and GoogLeNet alone; about 4)
#        ONLY=bf16 bench/compare.sh  (the bf16 table alone; about 3)
#        ONLY=steps bench/compare.sh (convnet's and PyTorch's training steps
#                                     of ResNet-18 and GoogLeNet alternated,
#                                     ROUNDS times, default 5; about 6)
#        ONLY=ort bench/compare.sh   (convnet and ONNX Runtime alternated,
#                                     ROUNDS times, default 5; about 4)
#        FOLDER=DIR bench/compare.sh  (also a folder of pictures decoded to
#                                      224x224 tensors, beside torchvision's
#                                      DataLoader with as many workers)
# Env:   THREADS (default 2), REPS (default 3), PYTORCH_BENCH (the folder of
#        the PyTorch scripts, default ../shared/bench/pytorch), ORT_BENCH (ONNX
#        Runtime's, default ../shared/bench/onnxruntime; onnxruntime-node is
#        installed in CONVNET_ORT_DIR, default ~/.cache/convnet-ort), OUT (a folder
#        to keep the raw outputs in, default a temporary one), ONLY ("zoo",
#        "ort", "steps" or "bf16", above), ROUNDS (the alternated runs'
#        rounds, default 5).
# bf16: convnet's --precision bf16 beside PyTorch's bf16 autocast (zoo.py)
# for VGG-11 and ResNet-18, and the bf16 GEMM, in a table of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-2}
reps=${REPS:-3}
pt=${PYTORCH_BENCH:-../shared/bench/pytorch}
ortb=${ORT_BENCH:-../shared/bench/onnxruntime}
out=${OUT:-$(mktemp -d)}
only=${ONLY:-}
mkdir -p "$out"
openblas=(env LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX)

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u +%Y-%m-%d)" | tee "$out/machine.txt"
bash "$pt/prepare.sh" /tmp/mnist-torch >/dev/null
go build -o "$out/convnet" ./cmd/convnet

# ONNX Runtime (onnxruntime-node 1.30, fp32) on torchvision's networks,
# exported by torch.onnx.export: the forward pass at batch 10, 224x224.
ort_setup() {
  local ortdir=${CONVNET_ORT_DIR:-$HOME/.cache/convnet-ort}
  if [ ! -d "$ortdir/node_modules/onnxruntime-node" ]; then
    npm install --prefix "$ortdir" --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0 >/dev/null
  fi
  ortnode=(env NODE_PATH="$ortdir/node_modules" node "$ortb/bench.js")
  if [ ! -f "$out/ort-models/googlenet.onnx" ]; then
    mkdir -p "$out/ort-models"
    /usr/bin/python3 "$ortb/export.py" "$out/ort-models" >/dev/null 2>"$out/ort_export.err"
  fi
}
ort() {
  ort_setup
  echo "ONNX Runtime, $* ..."
  for m in "$@"; do
    "${ortnode[@]}" "$out/ort-models/$m.onnx" "$threads" "$reps" >>"$out/ort.jsonl"
  done
}
# convnet_forward NET REPS appends convnet's forward figure for NET to the
# rounds' file.
convnet_forward() {
  "$out/convnet" bench --json --threads "$threads" --reps "$2" --only "$1" 2>>"$out/convnet_rounds.log" |
    grep -- '-forward"' >>"$out/rounds_convnet.jsonl"
}
# ONLY=ort: convnet's forward and ONNX Runtime's alternated, network by
# network, ROUNDS times (default 5), so that both meet the machine's same
# moments (its load moves either by up to 1.5x within minutes);
# compare_table.py prints each round's ratio and their median.
ort_rounds() {
  ort_setup
  : >"$out/rounds_convnet.jsonl"
  : >"$out/rounds_ort.jsonl"
  # ONNX Runtime's first runs are slow: medians of 5 unless REPS says.
  local rounds=${ROUNDS:-5} reps=${REPS:-5}
  for r in $(seq "$rounds"); do
    echo "round $r of $rounds: $* ..."
    for m in "$@"; do
      # Which goes first alternates, so that a drift in the machine's
      # load (after VGG-11's 2.5 GB, say) favours neither.
      if ((r % 2)); then
        convnet_forward "$m" "$reps"
        "${ortnode[@]}" "$out/ort-models/$m.onnx" "$threads" "$reps" >>"$out/rounds_ort.jsonl"
      else
        "${ortnode[@]}" "$out/ort-models/$m.onnx" "$threads" "$reps" >>"$out/rounds_ort.jsonl"
        convnet_forward "$m" "$reps"
      fi
    done
  done
}

# ONLY=steps: convnet's SGD training steps of ResNet-18 and GoogLeNet and
# zoo.py's (fp32) alternated, ROUNDS times (default 5), as ort_rounds does
# for the forward passes.
step_rounds() {
  : >"$out/rounds_convnet_steps.jsonl"
  : >"$out/rounds_pt_steps.jsonl"
  local rounds=${ROUNDS:-5}
  for r in $(seq "$rounds"); do
    echo "round $r of $rounds: resnet18 googlenet ..."
    for m in resnet18 googlenet; do
      local go=("$out/convnet" bench --json --threads "$threads" --reps "$reps" --only "$m")
      local py=(/usr/bin/python3 "$pt/zoo.py" --models "$m" --threads "$threads" --reps "$reps")
      if ((r % 2)); then
        "${go[@]}" 2>>"$out/convnet_rounds.log" | grep -- "\"$m-train-step\"" >>"$out/rounds_convnet_steps.jsonl"
        "${py[@]}" 2>>"$out/pt_rounds.err" | grep '"fp32"' >>"$out/rounds_pt_steps.jsonl"
      else
        "${py[@]}" 2>>"$out/pt_rounds.err" | grep '"fp32"' >>"$out/rounds_pt_steps.jsonl"
        "${go[@]}" 2>>"$out/convnet_rounds.log" | grep -- "\"$m-train-step\"" >>"$out/rounds_convnet_steps.jsonl"
      fi
    done
  done
}

# The torchvision networks: ResNet-18 and GoogLeNet forward and SGD step at
# batch 10, 3x224x224, convnet's then zoo.py's (fp32 and bf16 autocast),
# and GoogLeNet's step with its auxiliary classifiers' losses.
zoo() {
  echo "convnet bench, ResNet-18 and GoogLeNet ..."
  "$out/convnet" bench --json --threads "$threads" --reps "$reps" --only resnet18,googlenet >>"$out/convnet.jsonl" 2>"$out/convnet_zoo.log"
  echo "PyTorch, ResNet-18 and GoogLeNet ..."
  /usr/bin/python3 "$pt/zoo.py" --models resnet18,googlenet --threads "$threads" --reps "$reps" >"$out/pt_zoo.jsonl" 2>"$out/pt_zoo.err"
  /usr/bin/python3 bench/googlenet_aux.py --threads "$threads" --reps "$reps" >"$out/pt_googlenet_aux.jsonl" 2>"$out/pt_googlenet_aux.err"
}
# bf16: convnet's --precision bf16 (VGG-11, ResNet-18, the GEMM) and zoo.py's
# lines for the two networks (fp32 and bf16 autocast).
bf16() {
  echo "convnet bench --precision bf16 ..."
  "$out/convnet" bench --json --precision bf16 --threads "$threads" --reps "$reps" --only vgg11,resnet18,gemm >"$out/convnet_bf16.jsonl" 2>"$out/convnet_bf16.log"
  echo "PyTorch, VGG-11 and ResNet-18 with and without bf16 autocast ..."
  /usr/bin/python3 "$pt/zoo.py" --models vgg11,resnet18 --threads "$threads" --reps "$reps" >"$out/pt_zoo_bf16.jsonl" 2>"$out/pt_zoo_bf16.err"
}
: >"$out/ort.jsonl"
: >"$out/convnet.jsonl"
# A reused OUT keeps no rounds of an earlier run for the table to print.
rm -f "$out"/rounds_*.jsonl
if [ "$only" = zoo ]; then
  zoo
  ort resnet18 googlenet
  /usr/bin/python3 bench/compare_table.py "$out"
  echo "raw outputs: $out"
  exit 0
elif [ "$only" = ort ]; then
  ort_rounds vgg11 resnet18 googlenet
  /usr/bin/python3 bench/compare_table.py "$out"
  echo "raw outputs: $out"
  exit 0
elif [ "$only" = steps ]; then
  step_rounds
  /usr/bin/python3 bench/compare_table.py "$out"
  echo "raw outputs: $out"
  exit 0
elif [ "$only" = bf16 ]; then
  bf16
  /usr/bin/python3 bench/compare_table.py "$out"
  echo "raw outputs: $out"
  exit 0
elif [ -n "$only" ]; then
  echo "compare.sh: ONLY=$only: only \"zoo\", \"ort\", \"steps\" and \"bf16\" are known" >&2
  exit 2
fi

echo "convnet bench ..."
"$out/convnet" bench --json --threads "$threads" --reps "$reps" --only lenet-train,lenet-infer,gemm >>"$out/convnet.jsonl" 2>"$out/convnet.log"
# VGG-11 on its own, for its peak memory.
/usr/bin/time -v "$out/convnet" bench --json --threads "$threads" --reps "$reps" --only vgg11 >>"$out/convnet.jsonl" 2>"$out/convnet_vgg.log"
# VGG-11 forward on one thread, for the scaling of two.
"$out/convnet" bench --json --threads 1 --reps 1 --only vgg11 >"$out/convnet_vgg_1thread.jsonl" 2>/dev/null
echo "convnet train (the lesson) ..."
(cd "$out" && /usr/bin/time -v ./convnet train --threads "$threads" --out "$out/lenet5.safetensors" >train.out 2>train.err)

echo "PyTorch ..."
/usr/bin/python3 "$pt/lenet_preloaded.py" --data /tmp/mnist-torch --threads "$threads" --epochs 3 --skip-loader-pass >"$out/pt_preloaded.txt" 2>&1
/usr/bin/python3 "$pt/lenet_infer.py" --data /tmp/mnist-torch --threads "$threads" >"$out/pt_infer.txt" 2>&1
/usr/bin/python3 "$pt/vgg11.py" --threads "$threads" --reps "$reps" >"$out/pt_vgg.txt" 2>&1
"${openblas[@]}" /usr/bin/python3 "$pt/vgg11.py" --threads "$threads" --reps "$reps" >"$out/pt_vgg_openblas.txt" 2>&1
"${openblas[@]}" /usr/bin/python3 "$pt/matmul.py" --threads "$threads" >"$out/pt_matmul.txt" 2>&1
/usr/bin/time -v /usr/bin/python3 "$pt/lenet_train.py" --data /tmp/mnist-torch --threads "$threads" --no-tqdm >"$out/pt_train.txt" 2>"$out/pt_train.err"
zoo
ort vgg11 resnet18 googlenet
bf16

/usr/bin/python3 bench/compare_table.py "$out"
if [ -n "${FOLDER:-}" ]; then
  echo
  echo "A folder of pictures to 224x224 tensors (RandomResizedCrop, flip, normalise), $(nproc) workers:"
  "$out/convnet" bench --json --threads "$threads" --reps "$reps" --only folder --folder "$FOLDER" 2>/dev/null | tee "$out/convnet_folder.jsonl"
  /usr/bin/python3 bench/folder_decode.py "$FOLDER" --workers "$(nproc)" --threads "$threads" --reps "$reps" | tee "$out/pt_folder.jsonl"
fi
echo "raw outputs: $out"
