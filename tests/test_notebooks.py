"Every notebook is a test: run each one as `nbdev_test` does, skipping the `slow` and `cuda` cells (settings.ini)."
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_nb

NBS = sorted(p for p in (Path(__file__).parents[1]/'nbs').glob('*.ipynb') if not p.name.startswith('_'))

@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    ok, secs = run_nb(nb, skip_flags=get_config().tst_flags.split(), basepath=get_config().config_path)
    assert ok, f"{nb.name} failed (its error is printed above)"
