"""Benchmarks of deepsim's training step and inversion (figures printed, never asserted).

    python bench/bench.py                    # CPU: Learner vs plain loop (photos preset), inversion throughput at 64 px
    python bench/bench.py --preset fashion   # the same step on the fashion preset
    python bench/bench.py --paper-gpu        # also the paper-scale fc6 step (227 px, batch 64, bf16) in images/s, on CUDA

1. The fastai Learner of `deepsim_learner` (fastai's TrainEvalCallback, CastToTensor and Recorder with its TermMetrics;
   ExactResume, EncodeFeatures, DiscriminatorStep, PaperRule, RecordTerms, StopOnNonFinite, RunLimits; made with
   progress='bar' and run under no_bar and no_logging: no progress display, no epoch table) against
   `deepsim.train.reference_loop`, the same iteration as a plain PyTorch loop over the Learner's own objects (same
   networks, losses, fastai Adam optimisers, and the rule with the config's thresholds). Short blocks of iterations
   (default 10 pairs of 4) alternate in one process so that both see the same machine, bursts of other load included.
   The Learner is timed by `IterTimer` from the first before_batch callback to the last after_batch callback, counting
   only live iterations (those that appended a row to `learn.recorder.terms`: not replayed batches, not the validation
   pass), the plain loop by its `timer`; data loading is outside both. Printed: the ratio of the median times per
   iteration (target <= 1.05); how many timed iterations trained G and D on each side (the same work only when these
   agree); each block pair's ratio of medians (their spread shows how much noise moves the figure).
2. Inversion throughput: E(y) -> G -> image at 64 px, batch 64, in images/s (target >= 100 on the CPU): the shipped
   photos fc6 generator when its file is present, else one of the same shape with random weights (the cost is the same).
3. With --paper-gpu on CUDA: the paper's fc6 generator and Table-1 discriminator at 227 px, batch 64, bf16 autocast,
   channels-last, a CaffeNet comparator at pool5 (random weights: the cost is the same), in images/s (target >= 3000 on an H100).
"""
import argparse, statistics, time
import torch
from fastai.callback.core import Callback
from fastai.torch_core import set_seed
from deepsim.core import best_device, amp_context
from deepsim.train import preset_config, preset_dls, deepsim_learner, fit_iters, reference_loop, feature_shape
from deepsim.nets import feature_net

def _sync(learn):
    if learn.dls.device.type == 'cuda': torch.cuda.synchronize()

class IterTimer:
    "Wall time of each live training iteration of `learn`: from the first before_batch callback to the last after_batch callback."
    def __init__(self, learn):
        self.learn, self.times, self.t0, self.n0 = learn, [], None, None
        timer = self
        class IterTimerStart(Callback):
            order = -10**6                   # first in before_batch: before ExactResume (5) and EncodeFeatures (20)
            def before_batch(self):
                if not self.training: return
                _sync(self.learn); timer.n0, timer.t0 = len(self.learn.recorder.terms), time.perf_counter()
        class IterTimerStop(Callback):
            order = 10**6                    # last in after_batch: after the rule, the Recorder, RecordTerms, RunLimits
            def after_batch(self): timer.stop()
            def after_cancel_fit(self): timer.stop()   # RunLimits stops the fit in after_batch of the last iteration
        learn.add_cbs([IterTimerStart(), IterTimerStop()])
    def stop(self):
        if self.t0 is None: return
        _sync(self.learn); t = time.perf_counter() - self.t0
        if len(self.learn.recorder.terms) > self.n0: self.times.append(t)   # live: it appended a row (not a replayed batch)
        self.t0 = None

def random_dls(cfg, device, n=512):
    "Random images at the config's size: for timing the paper-scale step without ImageNet or CaffeNet weights."
    from fastai.data.core import DataLoaders
    ds = [(torch.rand(3, cfg.size, cfg.size),) for _ in range(n)]
    return DataLoaders.from_dsets(ds, ds[:cfg.bs], bs=cfg.bs, device=device, num_workers=0)

def _on(rows, k): return sum(bool(r[k]) for r in rows)

def bench_step(preset, device, blocks=10, per_block=4, **over):
    set_seed(0)
    paper = preset == 'paper'
    cfg = preset_config(preset, **over)
    dls = random_dls(cfg, device) if paper else preset_dls(cfg, device=device, **({'n_valid': 64} if preset == 'fashion' else {}))
    learn = deepsim_learner(cfg, dls, save_every=10**9, pretrained=not paper, progress='bar')   # the bar: removed below
    tm = IterTimer(learn)
    with learn.no_bar(), learn.no_logging(): fit_iters(learn, 3)          # warm-up, creates the optimisers
    reference_loop(learn, 3)
    lt, pt, lrows, prows, ratios = [], [], [], [], []
    for b in range(blocks):
        tm.times, start = [], len(learn.recorder.terms)
        with learn.no_bar(), learn.no_logging(): fit_iters(learn, start + per_block)
        lt += tm.times; lrows += learn.recorder.terms[start:]
        t = []; prows += reference_loop(learn, per_block, timer=t); pt += t
        ratios.append(statistics.median(tm.times)/statistics.median(t))
    ml, mp = statistics.median(lt), statistics.median(pt)
    print(f"[{device}] {preset} step, batch {cfg.bs} at {cfg.size}px: Learner {ml*1000:.1f} ms/it, plain loop {mp*1000:.1f} ms/it, "
          f"ratio {ml/mp:.3f} (target <= 1.05); {cfg.bs/ml:.0f} images/s")
    print(f"  timed iterations: Learner {len(lt)} (G trained {_on(lrows, 'g_on')}, D {_on(lrows, 'd_on')}), "
          f"plain loop {len(pt)} (G trained {_on(prows, 'g_on')}, D {_on(prows, 'd_on')}); "
          f"per-block ratios {' '.join(f'{r:.3f}' for r in ratios)}")
    return learn

def bench_inversion(device, bs=64, n=10):
    from deepsim.metrics import shipped_generators
    from deepsim.train import load_generator
    from deepsim.models import Generator
    nets = {}
    paths = [p for p in shipped_generators('photos') if 'fc6-deepsim' in p.name and p.exists()]
    if paths: G, cfg = load_generator(paths[0], nets); what = paths[0].name
    else:
        cfg = preset_config('photos'); nets[cfg.encoder] = feature_net(cfg.encoder)
        G = Generator(feature_shape(nets[cfg.encoder], cfg.layer_name, cfg.size), cfg.size, cfg.gen_width, cfg.fc_dim, cfg.channels).eval()
        what = 'photos fc6 generator, random weights'
    enc = nets[cfg.encoder].to(device); G = G.to(device)
    y = torch.rand(bs, 3, cfg.size, cfg.size, device=device)
    with torch.no_grad(), amp_context(device):
        G(enc(y, cfg.layer_name)); ts = []
        for _ in range(n):
            t = time.perf_counter(); G(enc(y, cfg.layer_name)).float()
            if torch.device(device).type == 'cuda': torch.cuda.synchronize()
            ts.append(time.perf_counter() - t)
    print(f"[{device}] inversion (E -> G) at {cfg.size} px, batch {bs} ({what}): {bs/statistics.median(ts):.0f} images/s (target >= 100 on the CPU)")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default=None); ap.add_argument('--paper-gpu', action='store_true')
    ap.add_argument('--preset', default='photos', choices=['photos', 'fashion']); ap.add_argument('--blocks', type=int, default=10)
    ap.add_argument('--per-block', type=int, default=4)
    a = ap.parse_args()
    dev = best_device(a.device)
    bench_step(a.preset, dev, blocks=a.blocks, per_block=a.per_block)
    bench_inversion(dev)
    if a.paper_gpu:
        if dev.type != 'cuda': print("--paper-gpu needs CUDA; skipped")
        else: bench_step('paper', dev, blocks=a.blocks)
