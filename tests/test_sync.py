"The library, the notebooks, the README and the docs site agree with each other."
import shutil, subprocess, sys, filecmp
from pathlib import Path
import pytest

ROOT = Path(__file__).parents[1]
BIN = Path(sys.executable).parent

def _copy(tmp_path):
    "A copy of the project's sources, so the checks never change the working tree."
    dst = tmp_path/'repo'
    shutil.copytree(ROOT, dst, symlinks=True, ignore=shutil.ignore_patterns('.git', '.venv', 'venv', '_proc', '_docs', '__pycache__', '*.egg-info'))
    return dst

def _diff(a, b):
    "Files that differ between two folders, recursively."
    c = filecmp.dircmp(a, b, ignore=['__pycache__'])
    out = [f"{a}/{f}" for f in c.diff_files + c.left_only + c.right_only]
    for sub in c.common_dirs: out += _diff(Path(a)/sub, Path(b)/sub)
    return out

def _run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, shell=True)
    assert r.returncode == 0, f"{cmd} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout + r.stderr

def test_export_and_clean_leave_no_diff(tmp_path):
    dst = _copy(tmp_path)
    _run(f"{BIN}/nbdev_export && {BIN}/nbdev_clean", dst)
    assert not _diff(ROOT/'deepsim', dst/'deepsim'), "nbdev_export changes the library: run it and commit"
    assert not _diff(ROOT/'nbs', dst/'nbs'), "nbdev_clean changes the notebooks: run it and commit"

def test_readme_is_generated_from_index():
    from deepsim.cli import nb_markdown
    assert (ROOT/'README.md').read_text() == nb_markdown(ROOT/'nbs/index.ipynb'), "README.md is stale: run deepsim_readme"

def test_docs_site_builds_without_broken_links(tmp_path):
    dst = _copy(tmp_path)
    _run(f"{BIN}/deepsim_docs", dst)   # exits 1 on errors and broken links
    site = dst/'_proc/_docs'
    pages = {p.name for p in site.glob('*.html')}
    assert {'index.html', '00_core.html', '01_data.html', '02_nets.html', '03_models.html', '04_losses.html', '05_train.html', '06_metrics.html', '07a_reconstructions.html', '07b_neighbours.html', '07c_preservation.html', '07d_interpolation.html', '07e_reencoding.html', '07f_figures.html', '09_cli.html'} <= pages, pages
    assert 'BadImageError' in (site/'01_data.html').read_text()
