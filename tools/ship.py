"""Maintainers' tool: copy finished training runs into the package and write deepsim/weights/manifest.json.

    python tools/ship.py runs/trained/* --commit HASH --machine "one NVIDIA H200, 16 cores; 12 runs side by side under MPS"

For each run folder it copies `generator.pth` (already fp16) to `deepsim/weights/<preset>-<layer>-<loss>.pth` (with
`--variant NAME`, a run trained with an option that is not the paper's: `<preset>-<layer>-<loss>-NAME.pth`, its entry
marked `variant`, which `shipped_generators` leaves out unless asked), and
records in the manifest the exact command that trained it (and the batch command that ran it, `tools/gpu_train.sh`), the commit of the code, the data, the iterations, the
device, the training time and its metrics on the held-out data that `deepsim.metrics` defines (the same data the
manifest test in `06_metrics` uses: all held-out photo crops; the first 256 Fashion-MNIST test images).
"""
import argparse, json, shutil, platform
from pathlib import Path
import torch
from deepsim.nets import WEIGHTS_DIR
from deepsim.metrics import metrics_table, read_manifest
from deepsim.train import held_out
from deepsim.train import load_checkpoint, preset_config

def config_option(c:dict) -> str:
    "` --config \"...\"` with the fields where the run's configuration `c` departs from its preset's (empty if none)."
    base = vars(preset_config(c['preset'], layer=c['layer'], loss=c['loss'], seed=c['seed'], bs=c['bs']))
    diff = {k: v for k, v in c.items() if k not in ('roles', 'betas', 'code') and base[k] != v}
    for k in ('betas', 'code'):   # tuples: slash-separated on the command line
        if k in c and tuple(c[k]) != base[k]: diff[k] = '/'.join(map(str, c[k]))
    return f' --config "{",".join(f"{k}={v}" for k, v in diff.items())}"' if diff else ''

DATA = {'photos': ('the photo corpus of deepsim_corpus (425 photos from Debian packages: tuxpaint-stamps-default 272, gcompris-qt-data 121, '
                   'opencv-doc 23, plasma-workspace-wallpapers 9; --max_size 256), random 64 px crops, the cut-outs put on random crops of the opaque photos '
                   '(backdrop=photo); held out: the 10 photos of the pip wheels x 8 fixed crops'),
        'fashion': 'Fashion-MNIST from Debian dataset-fashion-mnist (60,000 training images at 32 px; held out: the first 256 test images)'}

def ship_autoencoder(run:Path, g:dict, man:dict, a):
    "Copy a VAE or autoencoder run (its folder is named after its `VAE_SETTINGS` entry) to `<mode>_<setting>.pth` (`ae.pth` for the autoencoder), with its manifest entry."
    from deepsim.vae import load_autoencoder, vae_metrics, VAE_SETTINGS
    c, setting = g['config'], run.name
    if setting not in VAE_SETTINGS: raise SystemExit(f"{run}: name the run folder after its VAE_SETTINGS entry ({', '.join(VAE_SETTINGS)})")
    name = f"{setting}.pth" if setting == c['mode'] else f"{c['mode']}_{setting}.pth"   # vae_pool5.pth, ...; the autoencoder: ae.pth
    shutil.copy(run/'generator.pth', WEIGHTS_DIR/name)
    model, cfg = load_autoencoder(WEIGHTS_DIR/name)
    m = vae_metrics(model, cfg, held_out('fashion', 256), {})
    man.setdefault('autoencoders', {})[name] = dict(setting=setting, preset=c['preset'], mode=c['mode'], code=c['code'], encoder=c['encoder'],
        enc_pretrained=c['enc_pretrained'], comparator=c['comparator'], comp_layer=c['comp_layer'], loss=c['loss'],
        command=a.command.format(preset=c['preset'], layer=c['layer'], loss=c['loss'], config=config_option(c), iters=int(g['it']), run=f"vae/{setting}"),
        batch_command=a.batch, commit=a.commit, data=DATA['fashion'], iterations=g['it'], batch_size=c['bs'], device=g['info'].get('device'),
        machine=a.machine, train_seconds=g['info'].get('seconds_this_session'), weights={**g['weights'], 'kl': c['lam_kl'] if c['mode'] == 'vae' else 0.},
        metrics=m)
    print(name, g['it'], m)

if __name__ == '__main__':
    ap = argparse.ArgumentParser(); ap.add_argument('runs', nargs='+'); ap.add_argument('--commit', required=True)
    ap.add_argument('--command', default='deepsim_train --preset {preset} --layer {layer} --loss {loss}{config} --iters {iters} --save_every 2000 --out runs/trained/{run}')
    ap.add_argument('--batch', default='OUT=runs/gpu-out MINUTES=7 DEADLINE=530 bash tools/gpu_train.sh',
                    help='the command that ran all the runs together (each stopped by its time budget or its iteration cap)')
    ap.add_argument('--variant', help="the runs are variants, trained with an option that is not the paper's: their files and entries are named after it")
    ap.add_argument('--init_command', help='the command that trained the checkpoint these runs started from (deepsim_train --init)')
    ap.add_argument('--machine', default=f"{platform.machine()}, {torch.get_num_threads()} threads")
    a = ap.parse_args()
    man = read_manifest(); man.setdefault('generators', {})
    imgs = {}
    for run in a.runs:
        run = Path(run); g = load_checkpoint(run/'generator.pth')   # weights_only: a file that would run code is refused
        c = g['config']
        if c.get('mode', 'invert') != 'invert': ship_autoencoder(run, g, man, a); continue
        name = f"{c['preset']}-{c['layer']}-{c['loss']}{'-' + a.variant if a.variant else ''}.pth"
        init_it = json.loads((run/'run.json').read_text()).get('init_iterations') if (run/'run.json').exists() else None   # from a generator file: its iterations came before this run's count
        shutil.copy(run/'generator.pth', WEIGHTS_DIR/name)
        p = c['preset']
        if p not in imgs: imgs[p] = held_out(p, 256 if p == 'fashion' else None)
        m = metrics_table([WEIGHTS_DIR/name], imgs).to_dict('records')[0]
        man['generators'][name] = dict(preset=p, layer=c['layer'], loss=c['loss'], layer_name=c['roles'].get(c['layer'], c['layer']),
            command=a.command.format(preset=p, layer=c['layer'], loss=c['loss'], config=config_option(c), iters=int(g['it']), run=run.name), batch_command=a.batch,
            commit=a.commit, data=DATA.get(p, p), iterations=g['it'], batch_size=c['bs'], device=g['info'].get('device'),
            machine=a.machine, train_seconds=g['info'].get('seconds_this_session'),
            **({'variant': a.variant} if a.variant else {}), **({'init_command': a.init_command} if a.init_command else {}), **({'init_iterations': init_it} if init_it else {}), weights=g['weights'], metrics={k: m[k] for k in ('img_err', 'feat_err', 'psnr', 'ssim', 'top1', 'top5', 'sharp', 'colour', 'lp_psnr') if k in m})
        print(name, man['generators'][name]['iterations'], man['generators'][name]['metrics'])
    (WEIGHTS_DIR/'manifest.json').write_text(json.dumps(man, indent=1) + '\n')
