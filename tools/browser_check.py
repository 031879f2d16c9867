"""Maintainers' check: the figure notebooks and their widgets in a real browser.

    .venv/bin/python tools/browser_check.py [nbs/07a_reconstructions.ipynb ...] --out runs/browser

Starts JupyterLab on 127.0.0.1 (a free port, a random token) over a temporary copy of the notebooks (so that
Lab's autosave never touches `nbs/`; its `#| eval: false` cells become raw cells, as nbdev skips them), opens each notebook in headless Chromium (Debian's `chromium`, driven by
Playwright), runs all its cells, then moves one control of every widget (the next option of a dropdown, one step
of a slider) and checks that the widget's output changed. Screenshots: the notebook after the run, and each widget
before and after its control moved, as PNG in `--out`. Exits 1 if a cell failed, a widget cell shows no widget, or a
widget did not redraw. Needs `pip install jupyterlab playwright` (not in the package's requirements).
"""
import argparse, hashlib, json, os, re, secrets, shutil, socket, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')

def copy_runnable(src, dst):
    "Copy a notebook, turning its `#| eval: false` cells (paper-scale calls that need weights and data) and its export cell into raw cells, as nbdev skips them."
    nb = json.loads(Path(src).read_text())
    for c in nb['cells']:
        first = ''.join(c['source']).splitlines()[:3]
        if c['cell_type'] == 'code' and (any(l.replace(' ', '').lower() == '#|eval:false' for l in first) or 'nbdev_export(' in ''.join(c['source'])):
            c['cell_type'] = 'raw'; c.pop('outputs', None); c.pop('execution_count', None)
    Path(dst).write_text(json.dumps(nb))

def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def start_lab(root:Path, port:int, token:str) -> subprocess.Popen:
    "JupyterLab serving `root`, with `window.jupyterapp` exposed so that the check can run its commands."
    settings = root/'lab-settings'/'@jupyterlab'/'notebook-extension'; settings.mkdir(parents=True)
    (settings/'tracker.jupyterlab-settings').write_text('{"windowingMode": "none"}')   # every cell in the page, none virtualised
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', f'--port={port}', '--ServerApp.ip=127.0.0.1', f'--LabApp.user_settings_dir={root/"lab-settings"}',
           f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={root}', '--LabApp.expose_app_in_browser=True', '--allow-root']
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(root/'lab.log', 'w'))
    for _ in range(120):
        try: socket.create_connection(('127.0.0.1', port), timeout=1).close(); return p
        except OSError: time.sleep(0.5)
    p.kill(); raise RuntimeError(f"JupyterLab did not start: see {root/'lab.log'}")

BUSY = "[...document.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('*'))"

def log(*a): print(time.strftime('%H:%M:%S'), *a, file=sys.stderr, flush=True)

UNRUN = "[...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].filter(e => /\\[\\s*\\]/.test(e.textContent)).length"

def run_notebook(page, url:str, timeout_s:float) -> dict:
    "Open the notebook at `url`, run all cells once the kernel is idle, and wait until none is queued or running; the errors shown, the cells left unrun."
    log('open', url.split('?')[0]); page.goto(url); page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=120_000)
    page.wait_for_function("window.jupyterapp !== undefined", timeout=120_000)
    for _ in range(20):   # a new workspace asks which kernel to start: accept the notebook's own
        accept = page.locator('.jp-Dialog .jp-mod-accept')
        if accept.count(): accept.first.click(); break
        time.sleep(0.5)
    news = page.locator('.jp-Notification-Toast-Close, .jp-toast-button:has-text("No")')   # "get notified about Jupyter news?": no
    if news.count(): news.first.click()
    page.wait_for_function("[...document.querySelectorAll('.jp-Notebook-ExecutionIndicator, .jp-StatusBar-TextItem')].some(e => /Idle/.test(e.textContent + (e.getAttribute('title') || '') + (e.dataset.status || '')))", timeout=120_000)
    t0 = time.time()
    for attempt in range(3):   # a run-all issued before the kernel is connected does nothing: issue it again
        log('run all cells', f'(attempt {attempt + 1})')
        page.evaluate("void window.jupyterapp.commands.execute('notebook:run-all-cells')")
        t1 = time.time()
        while time.time() - t1 < 20 and not page.evaluate(BUSY): time.sleep(0.5)
        if page.evaluate(BUSY): break
    idle = 0
    while time.time() - t0 < timeout_s:
        idle = idle + 1 if not page.evaluate(BUSY) else 0
        if idle >= 3: break                                                      # nothing queued or running, three polls running
        time.sleep(2)
    else: raise TimeoutError(f"{url}: still running after {timeout_s:.0f}s")
    time.sleep(2)
    errors = page.evaluate("[...document.querySelectorAll('.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"], .jp-RenderedText[data-mime-type=\"application/vnd.jupyter.error\"]')].map(e => e.textContent.slice(0, 300))")
    return dict(seconds=round(time.time() - t0), errors=[e for e in errors if 'Traceback' in e or 'Error' in e], unrun=page.evaluate(UNRUN))

def widget_views(page) -> list:
    "The outermost widget views with a control (a dropdown or a slider) in the notebook's outputs, one locator each."
    n = page.evaluate("""() => {
        document.querySelectorAll('[data-check-view]').forEach(e => e.removeAttribute('data-check-view'));
        const all = [...document.querySelectorAll('.jp-OutputArea-output .jupyter-widgets')]
                    .filter(e => e.querySelector('select, .noUi-handle, input[type=range]'));
        const outer = all.filter(e => !all.some(o => o !== e && o.contains(e)));   // a view, not the boxes and controls inside it
        outer.forEach((e, i) => e.setAttribute('data-check-view', i));
        return outer.length; }""")
    return [page.locator(f'[data-check-view="{i}"]') for i in range(n)]

def widget_cells(nb) -> int:
    "How many code cells of notebook file `nb` end with a widget to show: a last line calling a `..._widget(` function (not `#| eval: false` ones)."
    n = 0
    for c in json.loads(Path(nb).read_text())['cells']:
        lines = [l for l in ''.join(c['source']).splitlines() if l.strip()]
        if c['cell_type'] != 'code' or not lines or any(l.replace(' ', '').lower() == '#|eval:false' for l in lines[:3]): continue
        n += bool(re.match(r'^\w+_widget\(', lines[-1]))
    return n

def digest(loc) -> str: return hashlib.sha1(loc.inner_html().encode()).hexdigest()

def move_control(view) -> str:
    "Move the first control of a widget view: a dropdown to its next option, else a slider one step right."
    sel = view.locator('select')
    if sel.count():
        opts = sel.first.locator('option').all_inner_texts()
        cur = sel.first.input_value()
        vals = [o.get_attribute('value') for o in sel.first.locator('option').all()]
        nxt = vals[(vals.index(cur) + 1) % len(vals)] if cur in vals else vals[-1]
        sel.first.select_option(nxt); return f"dropdown -> {opts[vals.index(nxt)]}"
    handle = view.locator('.noUi-handle, input[type=range]').first
    handle.focus(); handle.press('ArrowRight'); return "slider one step right"

def check(nbs:list, out:Path, timeout_s:float) -> bool:
    from playwright.sync_api import sync_playwright
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    for nb in nbs: copy_runnable(nb, tmp/Path(nb).name)
    port, token, ok, report = free_port(), secrets.token_hex(16), True, []
    lab = start_lab(tmp, port, token)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=['--no-sandbox', '--disable-gpu'])
            page = browser.new_page(viewport=dict(width=1400, height=1000))
            for nb in nbs:
                name = Path(nb).stem
                res = run_notebook(page, f"http://127.0.0.1:{port}/lab/workspaces/{name}/tree/{Path(nb).name}?token={token}", timeout_s)   # a workspace each: no other notebook open
                page.screenshot(path=str(out/f'{name}.png'), full_page=False)
                views, moved = widget_views(page), []
                for i, v in enumerate(views):
                    try:
                        v.evaluate("e => e.scrollIntoView({block: 'start'})"); time.sleep(1)
                        before = digest(v); v.screenshot(path=str(out/f'{name}_widget{i}_before.png'), timeout=60_000)
                        what = move_control(v)
                        for _ in range(90):   # up to a minute and a half for the kernel to redraw
                            time.sleep(1)
                            if digest(v) != before and not page.evaluate(BUSY): break
                        time.sleep(2); v.screenshot(path=str(out/f'{name}_widget{i}_after.png'), timeout=60_000)
                        moved.append(dict(widget=i, control=what, redrew=digest(v) != before))
                    except Exception as e: moved.append(dict(widget=i, error=f"{type(e).__name__}: {str(e).splitlines()[0]}", redrew=False))
                want = widget_cells(nb)   # every widget cell shows its widget; a notebook without widget cells is checked for errors only
                good = not res['errors'] and not res['unrun'] and len(views) == want and all(m['redrew'] for m in moved)
                ok &= bool(good)
                report.append(dict(notebook=name, run_seconds=res['seconds'], errors=res['errors'], unrun_cells=res['unrun'], widget_cells=want, widgets=moved, ok=bool(good)))
                print(json.dumps(report[-1]), flush=True)
            browser.close()
    finally:
        lab.terminate(); lab.wait(timeout=30)
    (out/'report.json').write_text(json.dumps(report, indent=1) + '\n')
    return ok

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='*', help='notebooks to check (default: nbs/07*.ipynb)')
    ap.add_argument('--out', default='runs/browser', help='folder for the screenshots and report.json')
    ap.add_argument('--timeout', type=float, default=900, help='seconds allowed for one notebook to run')
    a = ap.parse_args()
    if not CHROMIUM: sys.exit("chromium not found: apt-get install chromium")
    nbs = a.notebooks or sorted(str(p) for p in (ROOT/'nbs').glob('07*.ipynb'))
    sys.exit(0 if check(nbs, Path(a.out), a.timeout) else 1)
