"""Maintainers' tool: train several DeepSiM generators at once (one `deepsim_train` process each), e.g. on one GPU.

    python tools/train_runs.py --runs fashion:fc6:deepsim photos:fc6:img_only:20000 fashion:fc6:deepsim::r_resume_d=0.2:r02 \
        --minutes 7.5 --iters 30000 --out runs/gpu

Each run is `deepsim_train --preset P --layer L --loss S --out OUT/P-L-S` with the same `--minutes` and `--iters` limits
(whichever comes first). Optional fields after P:L:S: the run's own iteration cap, its `--config` (fields of
DeepSiMConfig, comma-separated), and a suffix for its folder (OUT/P-L-S-suffix). `--resume` continues runs whose
checkpoints exist. SIGTERM to this script is passed on: every run then stops after its iteration and saves. The processes run side by side with one
CPU thread each; their output goes to OUT/P-L-S/stdout.log. At the end one line per run: iterations reached, seconds.
On a GPU, set CUDA_MPS (see `--mps`) so that the processes' small kernels can run concurrently.
"""
import argparse, json, os, signal, subprocess, sys, time
from pathlib import Path

CALL = "from deepsim.cli import deepsim_train; import json, sys; deepsim_train(**json.loads(sys.argv[1]))"

def launch(run, a):
    preset, layer, loss, cap, config, suffix = (run.split(':') + ['']*3)[:6]
    out = Path(a.out)/'-'.join(filter(None, (preset, layer, loss, suffix))); out.mkdir(parents=True, exist_ok=True)
    resume = (out/'checkpoint.pth').exists()
    kw = dict(preset=preset, layer=layer, loss=loss, out=str(out), iters=int(cap) if cap else a.iters, minutes=a.minutes,
              save_every=a.save_every, resume=resume, config=None if resume else config or None)
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1'}
    log = open(out/'stdout.log', 'a')
    return out, subprocess.Popen([sys.executable, '-c', CALL, json.dumps(kw)], stdout=log, stderr=subprocess.STDOUT, env=env)

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--runs', nargs='+', required=True, help='preset:layer:loss[:iters[:config[:suffix]]] ...')
    ap.add_argument('--minutes', type=float, default=None); ap.add_argument('--iters', type=int, default=None)
    ap.add_argument('--save_every', type=int, default=2000); ap.add_argument('--out', default='runs/batch')
    a = ap.parse_args()
    t0, procs = time.time(), [launch(r, a) for r in a.runs]
    signal.signal(signal.SIGTERM, lambda sig, frame: [p.send_signal(signal.SIGTERM) for _, p in procs])
    for out, p in procs: p.wait()
    for out, p in procs:
        last = (out/'log.jsonl').read_text().splitlines()[-1:] if (out/'log.jsonl').exists() else []
        it = json.loads(last[0])['it'] + 1 if last else 0
        print(f"{out.name:28s} rc={p.returncode} iterations={it} ({time.time()-t0:.0f}s)", flush=True)
