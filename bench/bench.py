"""Benchmarks of deepsim's training step and inversion (figures printed, never asserted).

    python bench/bench.py                 # CPU: Learner+callback vs plain loop (photos preset), inversion throughput at 64 px
    python bench/bench.py --paper-gpu     # also the paper-scale fc6 step (227 px, batch 64, bf16) in images/s, on CUDA

1. The fastai Learner + DeepSiMCallback step against a plain PyTorch loop doing exactly the same math (same
   networks, same losses, same fastai Adam optimisers, same rule), alternating blocks of iterations in one
   process so that both see the same machine; the ratio of the median times per iteration is printed (target <= 1.05).
2. Inversion throughput: E(y) -> G -> image at 64 px, batch 64, in images/s (target >= 100 on the CPU).
3. With --paper-gpu on CUDA: the paper's fc6 generator and Table-1 discriminator at 227 px, batch 64, bf16 autocast,
   channels-last, a CaffeNet comparator at pool5 (random weights: the cost is the same), in images/s (target >= 3000 on an H100).
"""
import argparse, statistics, time, random
import torch
from fastai.torch_core import set_seed
from deepsim.core import default_device, autocast, memory_format
from deepsim.train import preset_config, preset_dls, deepsim_learner, fit_iters, next_state
from deepsim.losses import disc_losses
from deepsim.nets import feature_net

def plain_loop(learn, n):
    "The same iteration as DeepSiMCallback, written as a plain PyTorch loop over the same objects."
    cb, G, loss, opt = learn.deepsim, learn.model, learn.loss_func, learn.opt
    D, dopt, enc, cfg = cb.disc, cb.d_opt, cb.encoder, cb.cfg
    dev = learn.dls.device; mf = memory_format(dev)
    it, times = iter(learn.dls.train), []
    g_on, d_on = True, True
    for _ in range(n):
        y = next(it)[0]
        if dev.type == 'cuda': torch.cuda.synchronize()
        t = time.perf_counter()
        y = y.to(memory_format=mf)
        shared = loss.comparator is enc
        with torch.no_grad(), autocast(dev):
            f = enc(y, [cfg.layer_name, loss.layer] if shared else cfg.layer_name)
        x, ct = (f[cfg.layer_name].float(), f[loss.layer]) if shared else (f.float(), None)
        with autocast(dev):
            fake = G(x)
            if d_on:
                D.requires_grad_(True); d = disc_losses(D, y, fake.detach(), x)
                dopt.zero_grad(); (d['d_real'] + d['d_fake']).backward(); dopt.step()
            else:
                with torch.no_grad(): d = disc_losses(D, y, fake.detach(), x)
            D.requires_grad_(False)
            l = loss(fake, y, x, ct)
        rec = {k: v.item() for k, v in loss.terms.items()}; rec.update({k: v.item() for k, v in d.items()})
        r = (rec['d_real'] + rec['d_fake'])/max(rec['adv'], 1e-12)
        if g_on: l.backward(); opt.step()
        opt.zero_grad()
        g_on, d_on = next_state(r, g_on, d_on)
        if dev.type == 'cuda': torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return times

class Timer:
    "Per-iteration wall times of the Learner, measured the same way as the plain loop (from before_batch to after_batch)."
    def __init__(self, learn): self.learn, self.times = learn, []
    def install(self):
        from fastai.callback.core import Callback
        outer = self
        class T(Callback):
            order = -100
            def before_batch(self):
                if self.learn.dls.device.type == 'cuda': torch.cuda.synchronize()
                self.start = time.perf_counter()
            def after_batch(self):
                if self.learn.dls.device.type == 'cuda': torch.cuda.synchronize()
                if self.learn.deepsim.rec is not None: outer.times.append(time.perf_counter() - self.start)   # not a replayed batch
        self.learn.add_cb(T())

def random_dls(cfg, device, n=512):
    "Random images at the config's size: for timing the paper-scale step without ImageNet or CaffeNet weights."
    from fastai.data.core import DataLoaders
    ds = [(torch.rand(3, cfg.size, cfg.size),) for _ in range(n)]
    return DataLoaders.from_dsets(ds, ds[:cfg.bs], bs=cfg.bs, device=device, num_workers=0)

def bench_step(preset, device, blocks=4, per_block=10, **over):
    set_seed(0)
    paper = preset == 'paper'
    cfg = preset_config(preset, **over)
    dls = random_dls(cfg, device) if paper else preset_dls(cfg, device=device, **({'n_valid': 64} if preset == 'fashion' else {}))
    learn = deepsim_learner(cfg, dls, save_every=10**9, pretrained=not paper)
    tm = Timer(learn); tm.install()
    with learn.no_bar(), learn.no_logging(): fit_iters(learn, 3)          # warm-up, creates the optimisers
    plain_loop(learn, 3)
    lt, pt = [], []
    for b in range(blocks):
        tm.times = []
        with learn.no_bar(), learn.no_logging(): fit_iters(learn, learn.deepsim.it + per_block)
        lt += tm.times; pt += plain_loop(learn, per_block)
    ml, mp = statistics.median(lt), statistics.median(pt)
    print(f"[{device}] {preset} step, batch {cfg.bs} at {cfg.size}px: Learner+callback {ml*1000:.1f} ms/it, plain loop {mp*1000:.1f} ms/it, "
          f"ratio {ml/mp:.3f} (target <= 1.05); {cfg.bs/ml:.0f} images/s")

def bench_inversion(device, bs=64, n=10):
    from deepsim.metrics import shipped_generators
    from deepsim.train import load_generator
    nets = {}
    paths = shipped_generators('photos')
    if paths: G, cfg = load_generator([p for p in paths if 'fc6-deepsim' in p.name][0], nets)
    else:
        from deepsim.models import Generator
        cfg = preset_config('photos'); nets['lite0'] = feature_net('lite0'); G = Generator((1280,), 64, 1/4).eval()
    enc = nets.setdefault(cfg.encoder, feature_net(cfg.encoder)).to(device); G = G.to(device)
    y = torch.rand(bs, 3, 64, 64, device=device)
    with torch.no_grad(), autocast(device):
        G(enc(y, cfg.layer_name)); ts = []
        for _ in range(n):
            t = time.perf_counter(); G(enc(y, cfg.layer_name)).float()
            if torch.device(device).type == 'cuda': torch.cuda.synchronize()
            ts.append(time.perf_counter() - t)
    print(f"[{device}] inversion (E -> G) at 64 px, batch {bs}: {bs/statistics.median(ts):.0f} images/s (target >= 100 on the CPU)")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default=None); ap.add_argument('--paper-gpu', action='store_true')
    ap.add_argument('--preset', default='photos'); ap.add_argument('--blocks', type=int, default=4)
    ap.add_argument('--per-block', type=int, default=10)
    a = ap.parse_args()
    dev = default_device(a.device)
    bench_step(a.preset, dev, blocks=a.blocks, per_block=a.per_block)
    bench_inversion(dev)
    if a.paper_gpu:
        if dev.type != 'cuda': print("--paper-gpu needs CUDA; skipped")
        else: bench_step('paper', dev, blocks=a.blocks)
