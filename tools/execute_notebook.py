"""Maintainers' tool: execute notebooks in place, so that their saved outputs (figures, tables) are the documentation.

    OMP_NUM_THREADS=1 .venv/bin/python tools/execute_notebook.py nbs/07a_reconstructions.ipynb ... && .venv/bin/nbdev_clean

Runs each notebook as `nbdev_test` does (execnb's CaptureShell), but with the `slow` cells too; `#| eval: false` cells
and the export cell are skipped. Stream outputs that hold only a terminal's clear-line codes (ipywidgets'
`clear_output` outside a kernel) are dropped. Stops at the first error.
"""
import sys, time
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell
from fastcore.xtras import working_directory

def skip(cell) -> bool:
    "Cells not to run: markdown, the export cell, and `#| eval: false`."
    if cell.cell_type != 'code' or 'nbdev_export(' in cell.source: return True
    return any(l.replace(' ', '').lower() == '#|eval:false' for l in cell.source.splitlines()[:3])

def only_clear_codes(o) -> bool:
    return o.get('output_type') == 'stream' and ''.join(o.get('text', '')).replace('\x1b[2K\r', '') == ''

if __name__ == '__main__':
    for fn in map(lambda a: Path(a).absolute(), sys.argv[1:]):
        nb, t = read_nb(fn), time.time()
        with working_directory(fn.parent): CaptureShell(fn).run_all(nb, exc_stop=True, preproc=skip)
        for c in nb.cells:
            if c.cell_type == 'code': c['outputs'] = [o for o in c.get('outputs', []) if not only_clear_codes(o)]
        write_nb(nb, fn)
        print(f'{fn.name}: executed in {time.time()-t:.0f} s', flush=True)
