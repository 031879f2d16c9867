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

For the GPU (issue 11; on the CPU they only check that they run, at tiny settings):

    python bench/bench.py --paper-step                       # the paper-scale fc6 step, plain PyTorch, 227 px, batch 64
    python bench/bench.py --paper-step --variants fp32,bf16,bf16-cl,bf16-cl-fused,compile
    python bench/bench.py --jpeg /data/imagenet              # the data path from a JPEG folder (ImageNet layout)
    python bench/bench.py --paper-step --size 67 --bs 2 --steps 2 --device cpu                 # CPU check
    python bench/bench.py --make-jpegs /tmp/jpegs --jpeg /tmp/jpegs --bs 8 --batches 4 --workers 2 # CPU check

4. --paper-step: one DeepSiM iteration at paper scale as plain PyTorch, the work of `deepsim.train.reference_loop`
   without the Learner: the CaffeNet encoder's fc6 and pool5 of the real images in one pass (no gradient), G, D's
   step on real and fake (one forward, backward, Adam), G's loss (CaffeNet pool5 of the fakes, D on the fakes, the
   image term), its backward and Adam step. Random weights (the cost is the same). Each variant adds one thing:
   fp32; bf16 autocast; channels-last memory; fused Adam (torch.optim.Adam(fused=True), one kernel per step);
   torch.compile of G, D and CaffeNet. Printed per variant: images/s, ms per step, peak memory, and the share of the
   GPU's peak bf16 FLOP/s, from the FLOPs of one step counted by torch.utils.flop_counter.FlopCounterMode (GFLOP per
   image; the issue's estimate is 17.6) and the peak of a known GPU (H100/H200 989 TFLOP/s dense bf16, A100 312) or
   --peak-tflops. Target: >= 5,000 images/s on one H100. Measured on the CPU only so far (no GPU lent): at 227 px the
   step counts 16.90 GFLOP per image; `compile` spent 350 s compiling at 67 px on two busy CPU cores (its warm-up).
5. --jpeg DIR: the data path from a folder in ImageNet layout (DIR/train/<class>/*.JPEG, 256 px on the shorter side
   as the paper's): read the files in --workers DataLoader processes, decode with torchvision.io.decode_jpeg on
   the GPU when there is one (nvJPEG, a batch per call; on the CPU inside the workers), resize to 256 px on the
   shorter side when needed, one random 227 crop each, stacked into a float batch on the device. Printed: images/s
   over --batches batches after the workers' first ones (target >= 5,000 with 16 CPU cores). --make-jpegs DIR first writes a small random folder of that layout.
"""
import argparse, os, random, statistics, time
from pathlib import Path
import torch, torch.nn as nn
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

PEAK_BF16_TFLOPS = {'H100': 989.4, 'H200': 989.4, 'GH200': 989.4, 'A100': 312., 'L40S': 362., 'L4': 121.}   # dense, per GPU

def _peak_tflops(device, given=None):
    "The GPU's dense bf16 peak in TFLOP/s: `given`, else from its name in PEAK_BF16_TFLOPS, else None."
    if given: return given
    if device.type != 'cuda': return None
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in sorted(PEAK_BF16_TFLOPS.items(), key=lambda kv: -len(kv[0])) if k in name), None)

def paper_step_parts(device, size=227, channels_last=True, fused=True):
    "The paper's fc6 inversion at `size`: CaffeNet (frozen), G, D, the loss, and the two Adam optimisers (random weights)."
    from deepsim.nets import feature_net
    from deepsim.models import Generator, Discriminator
    from deepsim.losses import DeepSiMLoss, LossWeights
    mf = torch.channels_last if channels_last else torch.contiguous_format
    net = feature_net('caffenet', pretrained=False)
    G = Generator(feature_shape(net, 'fc6', size), size).to(device, memory_format=mf)   # (the shape is found on the CPU)
    net = net.to(device, memory_format=mf).eval().requires_grad_(False)
    D = Discriminator(G.in_shape, size).to(device, memory_format=mf)
    adam = dict(lr=2e-4, betas=(0.9, 0.999), eps=1e-8)
    def make_opt(params, **kw):
        try: return torch.optim.Adam(params, **adam, **kw, fused=fused or None)
        except RuntimeError as e: print(f"  fused Adam not available here ({e}); plain Adam"); return torch.optim.Adam(params, **adam, **kw)
    opt_g, opt_d = make_opt(G.parameters()), make_opt(D.parameters(), weight_decay=4e-4)
    return net, G, D, DeepSiMLoss(net, 'pool5', D, LossWeights()), opt_g, opt_d, mf

def paper_step_fn(net, G, D, lf, opt_g, opt_d, bf16):
    "One DeepSiM iteration on a batch of real images `y` (both networks train: the rule's usual state)."
    from deepsim.losses import disc_losses
    dev = next(G.parameters()).device
    ac = (lambda: torch.autocast(dev.type, dtype=torch.bfloat16)) if bf16 else (lambda: torch.autocast(dev.type, enabled=False))
    def step(y):
        with ac():
            with torch.no_grad(): f = net(y, ['fc6', 'pool5'])
            x = f['fc6'].float()
            fake = G(x).float()
            D.requires_grad_(True); d = disc_losses(D, y, fake.detach(), x)
        opt_d.zero_grad(set_to_none=True); (d['d_real'] + d['d_fake']).backward(); opt_d.step()
        D.requires_grad_(False)
        with ac(): loss = lf(fake, y, x, f['pool5'])
        opt_g.zero_grad(set_to_none=True); loss.backward(); opt_g.step()
        return loss.detach()
    return step

VARIANTS = {'fp32': dict(bf16=False, channels_last=False, fused=False), 'bf16': dict(bf16=True, channels_last=False, fused=False),
            'bf16-cl': dict(bf16=True, channels_last=True, fused=False), 'bf16-cl-fused': dict(bf16=True, channels_last=True, fused=True),
            'compile': dict(bf16=True, channels_last=True, fused=True, compile=True)}

def bench_paper_step(device, size=227, bs=64, steps=20, warmup=5, variants=('bf16-cl-fused',), peak_tflops=None):
    "images/s of the paper-scale fc6 step for each variant, with the FLOPs of one step and the share of the GPU's peak."
    from torch.utils.flop_counter import FlopCounterMode
    peak = _peak_tflops(device, peak_tflops)
    print(f"[{device}{' ' + torch.cuda.get_device_name(device) if device.type == 'cuda' else ''}] paper fc6 step at {size} px, batch {bs}, "
          f"{steps} timed steps after {warmup}; peak {f'{peak:g} TFLOP/s bf16' if peak else 'unknown (give --peak-tflops)'}")
    for name in variants:
        v = {**dict(compile=False), **VARIANTS[name]}
        torch.manual_seed(0)
        net, G, D, lf, opt_g, opt_d, mf = paper_step_parts(device, size, v['channels_last'], v['fused'])
        y = torch.rand(bs, 3, size, size, device=device).contiguous(memory_format=mf)
        step = paper_step_fn(net, G, D, lf, opt_g, opt_d, v['bf16'])
        with FlopCounterMode(display=False) as fc: step(y)   # eager, before any compile: the FLOPs of the step's matmuls and convolutions
        gflop = fc.get_total_flops()/bs/1e9
        if v['compile']:
            G.compile(); D.compile(); net.compile()   # in place: the optimisers, the loss and the step keep their references
        if device.type == 'cuda': torch.cuda.reset_peak_memory_stats(device)
        t0 = time.perf_counter()
        for _ in range(warmup): step(y)
        if device.type == 'cuda': torch.cuda.synchronize(device)
        tw = time.perf_counter() - t0; t0 = time.perf_counter()
        for _ in range(steps): loss = step(y)
        if device.type == 'cuda': torch.cuda.synchronize(device)
        dt = (time.perf_counter() - t0)/steps
        ips = bs/dt; share = f", {100*gflop*1e9*ips/(peak*1e12):.1f}% of peak" if peak else ''
        mem = f", peak memory {torch.cuda.max_memory_allocated(device)/2**30:.1f} GiB" if device.type == 'cuda' else ''
        print(f"  {name:14s} {ips:8.1f} images/s  {dt*1000:8.1f} ms/step  {gflop:.2f} GFLOP/image ({gflop*ips/1e3:.2f} TFLOP/s{share}){mem}; "
              f"warm-up {tw:.1f}s; loss {loss.item():.4g} (finite: {torch.isfinite(loss).item()})")

def make_jpegs(dest, n=64, classes=4, seed=0):
    "A small folder in ImageNet layout (dest/train/<class>/*.JPEG, dest/val/...) of random JPEGs, 256 px on the shorter side, for checking --jpeg."
    from torchvision.io import encode_jpeg, write_file
    g = torch.Generator().manual_seed(seed)
    for split, m in (('train', n), ('val', max(1, n//8))):
        for i in range(m):
            c = Path(dest, split, f'n{i % classes:08d}'); c.mkdir(parents=True, exist_ok=True)
            w = 256 + int(torch.randint(0, 128, (1,), generator=g))   # ImageNet's shapes: 256 on the shorter side, wider
            img = (torch.rand(3, 1, 1, generator=g)*255 + torch.randn(3, 256, w, generator=g)*40).clamp(0, 255).to(torch.uint8)
            write_file(str(c/f'{split}_{i:06d}.JPEG'), encode_jpeg(img, quality=90))
    return Path(dest)

class JpegFiles(torch.utils.data.Dataset):
    "The bytes of each JPEG file (read in the DataLoader's workers); decoded there too when `decode` (the CPU path)."
    def __init__(self, files, decode=False, size=227, full=256): self.files, self.decode, self.size, self.full = files, decode, size, full
    def __len__(self): return len(self.files)
    def __getitem__(self, i):
        from torchvision.io import read_file, decode_jpeg, ImageReadMode
        raw = read_file(str(self.files[i]))
        return random_crop(decode_jpeg(raw, mode=ImageReadMode.RGB), self.size, self.full) if self.decode else raw

def random_crop(img, size=227, full=256):
    "`img` (C,H,W uint8) resized to `full` px on the shorter side when it is not, then one random `size` crop."
    from torchvision.transforms.v2.functional import resize
    if min(img.shape[-2:]) != full: img = resize(img, full, antialias=True)
    h, w = img.shape[-2:]; i, j = random.randint(0, h - size), random.randint(0, w - size)
    return img[:, i:i+size, j:j+size]

def bench_data(folder, device, size=227, bs=256, batches=20, workers=16):
    "images/s of the data path: JPEG files -> decoded (on the GPU when there is one), 256 px, random 227 crops -> a float batch on `device`."
    from torchvision.io import decode_jpeg, ImageReadMode
    root = Path(folder); root = root/'train' if (root/'train').is_dir() else root
    files = sorted(p for p in root.rglob('*') if p.suffix.lower() in ('.jpeg', '.jpg'))
    if len(files) < bs: raise SystemExit(f"--jpeg {folder}: {len(files)} JPEG files, fewer than one batch of {bs}")
    gpu = device.type == 'cuda'
    dl = torch.utils.data.DataLoader(JpegFiles(files, decode=not gpu, size=size), batch_size=bs, shuffle=True, drop_last=True, num_workers=workers,
                                     collate_fn=list if gpu else torch.stack, pin_memory=gpu, persistent_workers=workers > 0)
    def batches_of(it):
        for b in it:
            if gpu: b = torch.stack([random_crop(im, size) for im in decode_jpeg(b, device=device, mode=ImageReadMode.RGB)])
            yield b.to(device, non_blocking=True).float().div_(255)
    skip = max(1, workers)   # not timed: the workers start, and each fills its first batch; the rest is the steady rate
    n, t0, first = 0, None, None
    for k, x in enumerate(batches_of(dl)):   # one pass over the folder at most
        if k < skip: first = x.shape; continue
        if k == skip:
            if gpu: torch.cuda.synchronize(device)
            t0 = time.perf_counter(); continue
        n += len(x)
        if k == skip + batches: break
    if t0 is None or not n: raise SystemExit(f"--jpeg {folder}: {len(files)} files make too few batches of {bs} to time after {skip} warm-up ones")
    if gpu: torch.cuda.synchronize(device)
    dt = time.perf_counter() - t0
    print(f"[{device}] data path from {folder}: {n/dt:.0f} images/s ({n} images timed after {skip + 1} batches, batches of {tuple(first)}, "
          f"decode on {'the GPU (nvJPEG)' if gpu else 'the CPU in the workers'}, {workers} workers, {os.cpu_count()} CPUs)")

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default=None); ap.add_argument('--paper-gpu', action='store_true')
    ap.add_argument('--preset', default='photos', choices=['photos', 'fashion']); ap.add_argument('--blocks', type=int, default=10)
    ap.add_argument('--per-block', type=int, default=4)
    ap.add_argument('--paper-step', action='store_true', help='the paper-scale fc6 step, plain PyTorch (only this and --jpeg run)')
    ap.add_argument('--size', type=int, default=227); ap.add_argument('--bs', type=int, default=None, help='64 for --paper-step, 256 for --jpeg')
    ap.add_argument('--steps', type=int, default=20); ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--variants', default='bf16-cl-fused', help=f"comma-separated, of {', '.join(VARIANTS)}")
    ap.add_argument('--peak-tflops', type=float, default=None, help="the GPU's dense bf16 peak, if not in PEAK_BF16_TFLOPS")
    ap.add_argument('--jpeg', default=None, help='a JPEG folder in ImageNet layout: time the data path')
    ap.add_argument('--make-jpegs', default=None, help='first write a small random JPEG folder here')
    ap.add_argument('--batches', type=int, default=200, help='--jpeg: batches timed'); ap.add_argument('--workers', type=int, default=min(16, os.cpu_count()))
    a = ap.parse_args()
    dev = best_device(a.device)
    if a.make_jpegs: print(f"random JPEG folder: {make_jpegs(a.make_jpegs)}")
    if a.paper_step:
        bad = set(a.variants.split(',')) - set(VARIANTS)
        if bad: raise SystemExit(f"--variants: unknown {', '.join(sorted(bad))}; use {', '.join(VARIANTS)}")
        bench_paper_step(dev, a.size, a.bs or 64, a.steps, a.warmup, a.variants.split(','), a.peak_tflops)
    if a.jpeg: bench_data(a.jpeg, dev, a.size, a.bs or 256, a.batches, a.workers)
    if a.paper_step or a.jpeg or a.make_jpegs: raise SystemExit(0)
    bench_step(a.preset, dev, blocks=a.blocks, per_block=a.per_block)
    bench_inversion(dev)
    if a.paper_gpu:
        if dev.type != 'cuda': print("--paper-gpu needs CUDA; skipped")
        else: bench_step('paper', dev, blocks=a.blocks)
