"""End-to-end grading of a synthetic class built from the real course notebooks.

One batch, graded by ``reglab grade`` with 2 workers, holds honest students (full, blank, partial and
honest-but-unusual answers) and one student per attack. It is graded as the user running the tests (root in CI)
and, when that is root, again as an unprivileged user (``setpriv`` to a uid of its own, with a virtual environment
built from the system's Python that this user can read). The unprivileged batch holds the honest students and the
attacks whose outcome depends on who runs the grader: everything that runs in the kernel's sandbox or touches
files as the grader's user (``SANDBOX_ATTACKS``); the attacks decided by the same code in either mode, before or
after the kernel (intake, cell metadata, the checker's verdicts, the feedback's sanitizer, student ids), are in
the first batch only. For every attack in a batch the assertions are the issue's: no points gained, the batch
completes, the gradebook stays consistent, and a clear report row.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from reglab_autograder import intake, jobs, report
from reglab_autograder.commands.grade import grade
from reglab_autograder.jobs import read_notes
from reglab_autograder.options import GradeOptions, db_url_for
from reglab_autograder.plugins import export
from reglab_autograder.sandbox import layout
from reglab_autograder.testing import classroom
from reglab_autograder.testing.classroom import answered, cell_by_id, grade_id, released, write

from helpers import UNPRIVILEGED_VENV_ENV

ROOT = Path(__file__).resolve().parents[2]
A0, A1 = "00_overfitting", "01_l2_weight_decay"
TOKEN = (os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex)[:8]  # one per run, shared by xdist workers
SHM_KEY = 0x5EED0000 + int(TOKEN[:4], 16)  # the System V key the "sysvipc" attack creates
UNPRIVILEGED_UID = 47_913  # no passwd entry needed; the unprivileged batch runs as this uid
FORMULA_ID = '=1+2,"x"'  # a student id that is a spreadsheet formula with a quote and a comma
GLOB_ID = "ali*"  # a student id that is a glob pattern matching alice


MAX0 = classroom.points(A0)
CELLS = 50_000
PEEK = ("import json, os\nme, seen = os.getpid(), {}\nfor p in os.listdir('/proc'):\n"
        "    if not p.isdigit() or int(p) == me:\n        continue\n"
        "    for f in ('cmdline', 'environ'):\n        try:\n"
        "            seen[f'{p}/{f}'] = open(f'/proc/{p}/{f}', 'rb').read()[:60].decode(errors='replace')\n"
        "        except OSError:\n            pass\n"
        "    for f in ('cwd', 'root'):\n        try:\n            seen[f'{p}/{f}'] = os.readlink(f'/proc/{p}/{f}')\n"
        "        except OSError:\n            pass\n"
        "print('PEEK ' + json.dumps(seen))")


def _with_answer(grade_id, code, base=None):
    nb = copy.deepcopy(base or released(A0))
    cell_by_id(nb, grade_id).source = code
    return nb


def _changed(change):
    """The blank student version, changed by ``change(nb)``."""
    nb = released(A0)
    change(nb)
    return nb


def _to_markdown(cell):
    cell.cell_type = "markdown"
    cell.pop("outputs")
    cell.pop("execution_count")


def _listener():
    """A TCP server on loopback that records whether anything connected."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.settimeout(0.5)
    hits = []

    def run():
        while not getattr(srv, "closed", False):
            try:
                conn, _ = srv.accept()
                hits.append(1)
                conn.close()
            except OSError:
                if getattr(srv, "_closed", False):
                    return

    threading.Thread(target=run, daemon=True).start()
    return srv, hits


def build_class(base: Path, out: Path, port: int, only=None, honest=(A0, A1)):
    """The class in ``base``/submitted: honest students in the sessions ``honest`` and one student per attack (only
    those in ``only``, if given); returns {attacker: their notebook's path}."""
    sub = base / "submitted"
    classroom.honest_class(sub, assignments=honest)
    ans = answered(A0)
    attacks = {}

    def add(student, nb=None, **kw):
        attacks[student] = write(sub, student, A0, nb, **kw)

    # runaway code
    add("loop", _with_answer("a_q1", "while True:\n    pass"))
    add("membomb", _with_answer("a_q1", "hog = [bytearray(10**8) for _ in range(200)]"))
    add("forkbomb", _with_answer("a_q1", "import os\nfor _ in range(10000):\n    try:\n        os.fork()\n"
                                         "    except OSError:\n        break"))
    add("osexit", _with_answer("a_q1", "import os\nos._exit(1)"))
    add("sysexit", _with_answer("a_q1", "import sys\nsys.exit(3)"))
    add("segfault", _with_answer("a_q1", "import faulthandler\nfaulthandler._sigsegv()"))
    add("flood", _with_answer("a_q1", "for _ in range(60_000):\n    print('x' * 1000)"))  # 60 MB: 30x what is kept
    # reaching outside the sandbox (paths built at run time, so intake's static check does not catch them)
    repo, graded = str(ROOT), str(out)
    read = "\nbest_degree = len(open(p).read())"
    nb_path = "/00_overfitting/00_overfitting.ip' + 'ynb'"
    add("readsol", _with_answer("a_q1", f"p = {repo!r} + '/sol' + 'utions{nb_path}{read}"))
    add("readhidden", _with_answer("a_q1", f"p = {graded!r} + '/sou' + 'rce{nb_path}{read}"))
    grader = str(Path(layout.__file__).parents[1])  # the grader's own code, wherever it is installed
    add("readgrader", _with_answer("a_q1", f"p = {grader!r} + '/sand' + 'box/launch.py'{read}"))
    add("writegb", _with_answer("a_q1", f"open({graded!r} + '/grade' + 'book.db', 'w').write('pwned')"))
    add("writeother", _with_answer(
        "a_q1", f"open({graded!r} + '/subm' + 'itted/alice/00_overfitting/x.txt', 'w').write('pwned')"))
    add("writeout", _with_answer(
        "a_q1", f"open('/tmp/pwned_{TOKEN}', 'w').write('pwned')\nopen('../pwned_{TOKEN}', 'w').write('pwned')"))
    add("network", _with_answer("a_q1", f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)"))
    # test-cell and metadata tampering, all on the blank version
    add("edittest", _changed(lambda nb: setattr(cell_by_id(nb, "q1"), "source", "pass")))
    add("deltest", _changed(lambda nb: setattr(nb, "cells", [c for c in nb.cells if grade_id(c) not in ("q1", "q2a")])))
    add("retype", _changed(lambda nb: _to_markdown(cell_by_id(nb, "q2a"))))
    add("reorder", _changed(lambda nb: nb.cells.insert(2, nb.cells.pop(nb.cells.index(cell_by_id(nb, "q4a"))))))
    add("points", _changed(lambda nb: cell_by_id(nb, "q1").metadata["nbgrader"].update(points=100)))
    add("gradeid", _changed(lambda nb: cell_by_id(nb, "q1").metadata["nbgrader"].update(grade_id="q1x")))
    add("checksum", _changed(lambda nb: cell_by_id(nb, "q4a").metadata["nbgrader"].update(checksum="0" * 32)))
    add("dupids", _changed(lambda nb: nb.cells.insert(nb.cells.index(cell_by_id(nb, "q1")),
                                                      copy.deepcopy(cell_by_id(nb, "q1")))))
    nb = _changed(lambda nb: _to_markdown(cell_by_id(nb, "q3a")))
    nb.cells = [x for x in nb.cells if grade_id(x) != "q4a"]
    d = json.loads(nbformat.writes(nb))
    d["nbformat_minor"] = 0
    for cell in d["cells"]:
        cell.pop("id", None)
    add("nb40", raw=json.dumps(d).encode())
    # broken files
    add("malformed", raw=nbformat.writes(ans).encode()[:500])
    add("empty", raw=b"")
    add("binary", raw=b"\xff\xfe\x00garbage\x80\x81" * 50)
    add("wrongname", ans, name="my_homework.ipynb")
    add("extra", released(A0))
    (sub / "extra" / A0 / "reglab.py").write_text("raise SystemExit('shadowed')\n")
    (sub / "extra" / A0 / "notes.txt").write_text("hello")
    add("otherassign", raw=nbformat.writes(answered(A1)).encode())
    # cheating inside the answers
    add("eqtrue", _with_answer("a_q3", "class Liar(float):\n    def __eq__(self, o): return True\n"
                                       "    def __ne__(self, o): return False\n"
                                       "def penalized_mse(y, y_hat, w, alpha):\n    return Liar(0.0)"))
    add("mpnumpy", _with_answer("a_q1", "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True"))
    # (the builtins a comparison leans on; patching isinstance instead only hangs the kernel: a timeout, as "loop")
    add("mpbuiltins", _with_answer("a_q1", "import builtins\nbuiltins.all = lambda *a, **k: True\n"
                                           "builtins.abs = lambda x: 0"))
    add("mpchecks", _with_answer("a_q1", "checks.check = lambda *a, **k: print('\\u2714 passed')\n"
                                         "checks.check_true = checks.check"))
    add("mpexec", _with_answer("a_q1", "exec('checks.check = lambda *a, **k: None')"))
    # around the kernel: links, deep JSON, flags on answer cells, ids that are patterns or formulas
    d = sub / "linknb" / A0
    d.mkdir(parents=True)
    (d / f"{A0}.ipynb").symlink_to(sub / "alice" / A0 / f"{A0}.ipynb")  # a classmate's full marks
    attacks["linknb"] = d / f"{A0}.ipynb"
    add("linkdir", released(A0))
    (sub / "linkdir" / A0 / "data").symlink_to(ROOT / "solutions")
    (sub / "linkdir" / A0 / "loop").symlink_to(".")
    add("deepjson", raw=b"[" * 200_000 + b"]" * 200_000)
    add("gradeflag", _changed(lambda nb: cell_by_id(nb, "a_q1").metadata["nbgrader"].update(grade=True, points=50)))
    add(GLOB_ID, released(A0))
    add(FORMULA_ID, released(A0))
    # feedback that would run the student's script in the reader's browser
    nb = released(A0)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(f"<script>window.x{TOKEN}=1</script>"
                                                     f"<img src=x onerror=\"window.y{TOKEN}=1\">"))
    cell_by_id(nb, "a_q1").source = ("from IPython.display import HTML, Javascript, display\n"
                                     f"display(Javascript('window.z{TOKEN}=1'))\n"
                                     f"display(HTML('<img src=x onerror=\"window.w{TOKEN}=1\">'))")
    add("xss", nb)
    # resources: the disk, memory across processes, System V IPC, setuid programs, the host's folders
    add("diskfill", _with_answer("a_q1", "for i in range(400):\n    open(f'fill{i}', 'wb').write(b'x' * 2**23)"))
    # 6 x 400 MB at once, more than the kernel's 1536 MB cap: each child reports once it holds its 400 MB and keeps
    # it until every child has reported or died (a child that merely ended before the next one started, on a busy
    # machine, is not "at once")
    add("memsplit", _with_answer("a_q1", (
        "import os, select, time\nheld_r, held_w = os.pipe()\ngo_r, go_w = os.pipe()\npids = []\n"
        "for i in range(6):\n    pid = os.fork()\n    if pid == 0:\n        try:\n            os.close(go_w)\n"
        "            b = bytearray(400 * 2**20)\n            os.write(held_w, bytes([i]))\n"
        "            os.read(go_r, 1)\n        finally:\n            os._exit(0)\n    pids.append(pid)\n"
        "reported, dead, deadline = set(), set(), time.monotonic() + 6\n"
        "while len(reported | dead) < 6 and time.monotonic() < deadline:\n"
        "    if select.select([held_r], [], [], 0.1)[0]:\n        reported |= set(os.read(held_r, 6))\n"
        "    dead |= {i for i, p in enumerate(pids) if i not in dead and os.waitpid(p, os.WNOHANG)[0]}\n"
        "holding = len(reported - dead)\nos.close(go_w)\nfor i, p in enumerate(pids):\n"
        "    if i not in dead:\n        os.waitpid(p, 0)\nprint(f'children holding 400 MB: {holding} at once')")))
    add("sysvipc", _with_answer("a_q1", (
        "import ctypes\nlibc = ctypes.CDLL(None)\n"
        f"print('shm', libc.shmget({SHM_KEY}, 4096, 0o1666), 'msg', libc.msgget({SHM_KEY}, 0o1666))")))
    add("setuid", _with_answer("a_q1", (
        "import subprocess, time\np = subprocess.Popen(['/usr/bin/su', '-c', 'true'], stdin=subprocess.PIPE,\n"
        "                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)\ntime.sleep(1)\n"
        "try:\n    print('euid=' + open(f'/proc/{p.pid}/status').read().split('Uid:')[1].split()[1])\n"
        "except (OSError, IndexError):\n    print('euid=gone', p.poll())\n")))
    add("listing", _with_answer("a_q1", (
        "import os\nfor p in ['/', '/root', '/home', '/tmp', '/work', '/etc', '/run', '/proc/1/root', "
        f"{str(ROOT)!r}, {str(ROOT.parent)!r}, {str(out)!r}]:\n"
        "    try:\n        print('LIST', p, sorted(os.listdir(p)))\n    except OSError as e:\n"
        "        print('LIST', p, type(e).__name__)")))
    # a correct answer that warns on stderr keeps its points
    nb = answered(A0)
    cell_by_id(nb, "a_q3").source = ("import warnings\ndef penalized_mse(y, y_hat, w, alpha):\n"
                                   "    warnings.warn('this is fine', RuntimeWarning)\n"
                                   "    import sys; print('debug', file=sys.stderr)\n"
                                   "    y, y_hat, w = (np.asarray(a, dtype=float) for a in (y, y_hat, w))\n"
                                   "    return np.mean((y - y_hat) ** 2) + 0.5 * alpha * np.sum(w ** 2)")
    add("stderrok", nb)
    # the three doors of the last hostile round: a notebook of 50,000 empty cells (each a round trip to the kernel:
    # minutes of a worker), a kernel reading other processes' /proc entries (memory: memsplit above)
    nb = released(A0)
    nb.cells += [nbformat.v4.new_code_cell("pass", id=f"pass-{i}") for i in range(CELLS)]
    add("cells", nb)
    add("peek", _with_answer("a_q1", PEEK))
    for student in set(attacks) - set(attacks if only is None else only):
        shutil.rmtree(sub / student)
        del attacks[student]
    return attacks


def unusual_but_honest():
    """Correct answers written with what a static scan used to flag: full marks, at most a "review" row."""
    nb = answered(A0)
    prefix = ("import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (5, 3)\n"
              "import inspect\nimport importlib\nimport sys\n"
              "_sig = inspect.signature(len)\n_six = eval('2*3')\n_cls = (1.0).__class__\n_names = sorted(vars())\n"
              "_math = importlib.import_module('math')\n_file = 'my_notes_for_00_overfitting.ipynb'\n"
              "_paths = list(sys.path)\n_src = inspect.getsource(inspect.signature)[:10]\n")
    cell_by_id(nb, "a_q1").source = prefix + cell_by_id(nb, "a_q1").source
    return nb


LIMITS = dict(layout.DEFAULT_LIMITS, memory_mb=1536)


def _grade_as_unprivileged(base, out, venv, tmp):
    """``reglab grade`` as a uid of its own, through the venv it can read, with ``tmp`` as its temporary folder:
    (exit status, its stderr)."""
    env = {"PATH": f"{venv}/bin:/usr/bin:/bin", "HOME": str(out), "LANG": "C.UTF-8",
           "MPLCONFIGDIR": str(out / ".mpl"), "TMPDIR": str(tmp)}
    cmd = ["setpriv", f"--reuid={UNPRIVILEGED_UID}", f"--regid={UNPRIVILEGED_UID}", "--clear-groups", "--",
           f"{venv}/bin/reglab", "grade", str(base), "--out", str(out), "--workers", "2", "--timeout", "10",
           "--notebook-timeout", "60", "--memory-mb", str(LIMITS["memory_mb"]), "--course-dir", str(ROOT), "--quiet"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1500)
    return r.returncode, r.stderr[-3000:]


# One batch per mode and test run (see the batch fixture); every test takes the mode as an indirect parameter.
# Each mode's tests form one xdist group (make test: --dist loadgroup): the worker that grades a mode's batch runs
# all of that mode's tests, and no other worker waits on the batch's lock meanwhile (two minutes each, before).
DIRECT = pytest.param("direct", marks=pytest.mark.xdist_group("batch-direct"))
UNPRIVILEGED = pytest.param("unprivileged", marks=pytest.mark.xdist_group("batch-unprivileged"))
both_modes = pytest.mark.parametrize("batch", [DIRECT, UNPRIVILEGED], indirect=True)
# what the same code decides in either mode (intake, metadata, the checker, the feedback's sanitizer, student ids)
first_batch = pytest.mark.parametrize("batch", [DIRECT], indirect=True)


@pytest.fixture(scope="session")
def unprivileged_venv():
    """A virtual environment an unprivileged user can run: built from the system's Python (Debian 12's python3 is
    3.11.2; the project's own may live under /root) by docs/instructors.md's own command, ``make instructor``, with
    constraints.txt as it is, once per test session."""
    if not os.access("/usr/bin/python3", os.X_OK):
        pytest.fail("the unprivileged batch needs Debian's python3 with its venv module "
                    "(apt-get install python3-venv)")
    t0 = time.monotonic()
    started = os.environ.get(UNPRIVILEGED_VENV_ENV)  # conftest.py started the build as the run began
    if started:
        top = Path(started)
        while not (top / "status").exists() and time.monotonic() - t0 < 900:
            time.sleep(0.5)
        status = (top / "status").read_text().strip() if (top / "status").exists() else "did not end in 15 minutes"
        log = (top / "build.log").read_text(errors="replace") if (top / "build.log").exists() else ""
        if status != "0":
            pytest.fail(f"`make instructor` with /usr/bin/python3 failed ({status}):\n{log[-4000:]}")
        print(f"\nunprivileged venv: waited {time.monotonic() - t0:.0f} s for the build started with the run")
        yield top / "venv"
        return  # conftest.py removes it when the run ends
    top = Path(tempfile.mkdtemp(prefix="reglab-unpriv-venv-"))
    top.chmod(0o755)
    venv = top / "venv"
    r = subprocess.run(["make", "-C", str(ROOT), "instructor", "PYTHON=/usr/bin/python3", f"VENV={venv}"],
                       capture_output=True, text=True)
    if r.returncode:
        pytest.fail(f"`make instructor` with /usr/bin/python3 failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
    print(f"\nunprivileged venv built in {time.monotonic() - t0:.0f} s")
    yield venv
    shutil.rmtree(top, ignore_errors=True)


def _build_and_grade(request, mode, home: Path) -> dict:
    """Build the class and grade it in ``mode``; everything the tests read is in ``home``/``info.json``."""
    if mode == "unprivileged":  # pytest's own temporary folders are private to root
        # inside the folder of the run's unprivileged venv, which conftest.py removes when the run ends (other test
        # processes read the graded class until then)
        top = Path(tempfile.mkdtemp(prefix="reglab-unpriv-class-", dir=os.environ.get(UNPRIVILEGED_VENV_ENV)))
        top.chmod(0o755)
    else:
        top = home
    base, out = top / "class", top / "graded"
    base.mkdir(parents=True)
    out.mkdir()
    srv, hits = _listener()
    if mode == "unprivileged":
        build_class(base, out, srv.getsockname()[1], only=SANDBOX_ATTACKS)
    else:  # session 1's honest class is graded in this mode by test_grading_pipeline.py (against nbgrader's)
        build_class(base, out, srv.getsockname()[1], honest=(A0,))
    write(base / "submitted", "unusual", A0, unusual_but_honest())
    t0 = time.monotonic()
    log, system_python = "", {}
    if mode == "unprivileged":
        venv = request.getfixturevalue("unprivileged_venv")
        system_python = _describe_venv(venv)
        subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
        os.chown(out, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
        tmp = top / "tmp"
        tmp.mkdir(mode=0o700)
        os.chown(tmp, UNPRIVILEGED_UID, UNPRIVILEGED_UID)
        exit_code, log = _grade_as_unprivileged(base, out, venv, tmp)
        left_behind = sorted(p.name for p in tmp.iterdir())
    else:
        opts = GradeOptions(submissions=base, out=out, workers=2, timeout=10, notebook_timeout=60,
                            course_root=ROOT, progress=False, limits=LIMITS)
        exit_code = grade(opts).exit_code
        left_behind = None
    srv._closed = True
    srv.close()
    return {"out": str(out), "base": str(base), "top": str(top), "hits": len(hits), "exit_code": exit_code,
            "log": log, "seconds": round(time.monotonic() - t0, 1), "system_python": system_python,
            "left_behind": left_behind}


def _describe_venv(venv: Path) -> dict:
    """What the environment `make instructor` built from /usr/bin/python3 holds, and whether pip finds it consistent."""
    probe = ("import sys, soupsieve, reglab, reglab_autograder, nbgrader, bs4; "
             "print(sys.version.split()[0], soupsieve.__version__)")
    r = subprocess.run([f"{venv}/bin/python", "-c", probe], capture_output=True, text=True)
    check = subprocess.run([f"{venv}/bin/python", "-m", "pip", "check"], capture_output=True, text=True)
    system = subprocess.run(["/usr/bin/python3", "-c", "import sys; print(sys.version.split()[0])"],
                            capture_output=True, text=True).stdout.strip()
    return {"probe": r.stdout.strip(), "probe_error": r.stderr[-1500:], "pip_check": check.returncode,
            "pip_check_output": check.stdout[-1500:], "system": system}


@pytest.fixture(scope="module")
def batch(request, tmp_path_factory):
    """The class graded once per mode and test run: under xdist the first worker to need a mode grades it (under
    a file lock), the others read what it wrote."""
    from filelock import FileLock

    mode = request.param
    if mode == "unprivileged" and os.geteuid() != 0:
        pytest.skip("the tests already run unprivileged: the batch \"direct\" is the unprivileged one")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the run's folder, common to its workers
    home = shared / f"grading-batch-{mode}"
    with FileLock(str(shared / f"grading-batch-{mode}.lock")):
        info_file = home / "info.json"
        if not info_file.exists():
            info = _build_and_grade(request, mode, home)
            home.mkdir(exist_ok=True)
            info_file.write_text(json.dumps(info))
            print(f"\nbatch {mode}: graded in {info['seconds']} s")
        info = json.loads(info_file.read_text())
    out = Path(info["out"])
    records = jobs.read_all(out / "jobs")
    problems = report.problem_rows(records, read_notes(out))
    result = report.GradingResult(summary=[], problems=problems, records=records, exit_code=info["exit_code"])
    return {"result": result, "records": {(r.student, r.assignment): r for r in records}, "out": out,
            "base": Path(info["base"]), "hits": info["hits"], "mode": mode, "log": info["log"],
            "system_python": info.get("system_python", {}), "left_behind": info.get("left_behind")}


def rows_for(batch, student):
    return [(kind, detail) for s, a, kind, detail in batch["result"].problems if s == student]


@pytest.mark.parametrize("batch", [UNPRIVILEGED], indirect=True)
def test_a_grading_run_leaves_nothing_in_the_temporary_folder(batch):
    """Each job's folder and each worker's fork-server folder (its spec and log) are removed when the run ends, also
    from pool workers, which end without running atexit hooks (they left one folder per worker and run before)."""
    assert batch["left_behind"] == []


@pytest.mark.parametrize("batch", [UNPRIVILEGED], indirect=True)
def test_make_instructor_installs_on_the_systems_python_with_the_pins_as_they_are(batch):
    """Debian 12's python3 is 3.11.2, below what the newest soupsieve needs (3.11.5): constraints.txt's markers pin
    an older release there. The grader's environment was built by `make instructor` from /usr/bin/python3."""
    info = batch["system_python"]
    assert info["probe"], f"the environment does not import the course and the grader: {info['probe_error']}"
    version, soupsieve = info["probe"].split()
    assert version == info["system"]
    expected = "4.1.2" if tuple(map(int, version.split("."))) >= (3, 11, 5) else "2.8"
    assert soupsieve == expected
    assert info["pip_check"] == 0, info["pip_check_output"]


@both_modes
def test_batch_completes_and_grader_reports_no_error(batch):
    assert batch["result"].exit_code == 0, batch["log"]
    assert all(r.graded for r in batch["records"].values()), \
        [(k, r.detail) for k, r in batch["records"].items() if not r.graded]


@both_modes
def test_honest_students_full_blank_and_partial(batch):
    rec = batch["records"]
    sessions = [aid for aid in (A0, A1) if ("alice", aid) in rec]
    assert sessions == ([A0, A1] if batch["mode"] == "unprivileged" else [A0])
    for aid in sessions:
        assert rec[("alice", aid)].auto_score == classroom.points(aid) and rec[("bob", aid)].auto_score == 0
        # carol answered q1 and q2 of each
        assert rec[("carol", aid)].auto_score == classroom.points(aid, answer_ids={"a_q1", "a_q2"}) > 0
    assert not rows_for(batch, "alice") and not rows_for(batch, "bob") and not rows_for(batch, "carol")


# run in the kernel's sandbox, or read and write files as the grader's user: graded in both modes
SANDBOX_ATTACKS = frozenset({
    "loop", "membomb", "forkbomb", "osexit", "sysexit", "segfault", "flood", "readsol", "readhidden", "readgrader",
    "writegb", "writeother", "writeout", "network", "extra", "linknb", "linkdir", "diskfill", "memsplit", "sysvipc",
    "setuid", "listing", "peek", "stderrok",
})
ATTACKS = {
    "cells": "too large", "peek": None,
    "loop": "timeout", "membomb": "memory limit", "forkbomb": "processes killed", "osexit": "killed",
    "sysexit": "exit", "segfault": "killed", "flood": "output flood",
    "readsol": "file access blocked", "readhidden": "file access blocked", "readgrader": "file access blocked",
    "writegb": "file access blocked",
    "writeother": "file access blocked", "writeout": "file access blocked", "network": "network blocked",
    "edittest": "edited test", "deltest": "deleted test", "retype": "retyped test", "reorder": "reordered",
    "points": "changed points", "gradeid": "unknown grade ids", "checksum": "changed checksum",
    "dupids": "duplicate grade ids", "nb40": "normalized",
    "malformed": "malformed", "empty": "empty", "binary": "not utf-8", "wrongname": "wrong name",
    "extra": "extra files", "otherassign": "other assignment",
    "eqtrue": None, "mpnumpy": "review", "mpbuiltins": "review", "mpchecks": "review", "mpexec": "review",
    "linknb": "link", "linkdir": "link", "deepjson": "malformed", "gradeflag": "changed cell flags",
    GLOB_ID: None, FORMULA_ID: None, "xss": None, "diskfill": "disk limit", "memsplit": None, "sysvipc": None,
    "setuid": None, "listing": None,
}
def in_batches(students):
    """(mode, student) for each student in every batch that holds it."""
    return [pytest.param(mode.values[0], s, marks=mode.marks, id=f"{mode.values[0]}-{s}")
            for s in sorted(students) for mode in ([DIRECT, UNPRIVILEGED] if s in SANDBOX_ATTACKS else [DIRECT])]


@pytest.mark.parametrize("batch,student", in_batches(ATTACKS), indirect=["batch"])
def test_attack_gains_nothing_and_is_reported(batch, student):
    rec = batch["records"][(student, A0)]
    assert rec.status == "graded"
    assert rec.auto_score == 0, f"{student} gained {rec.auto_score} points"
    assert rec.auto_max == MAX0, "the maximum must come from the gradebook, whatever the metadata says"
    assert not any(p.needs_manual_grade for p in rec.parts if p.type == "code"), "code cells never need manual grading"
    kinds = [k for k, _ in rows_for(batch, student)]
    if ATTACKS[student] is not None:
        expected = ATTACKS[student]
        assert expected in kinds, f"{student}: expected a '{expected}' row, got {rows_for(batch, student)}"


@first_batch
def test_deleted_and_renamed_tests_score_zero_not_manual(batch):
    for student in ("deltest", "gradeid", "nb40"):
        rec = batch["records"][(student, A0)]
        assert rec.deleted_tests, student
        assert "deleted test" in [k for k, _ in rows_for(batch, student)]


@both_modes
def test_correct_answer_with_stderr_noise_keeps_its_points(batch):
    rec = batch["records"][("stderrok", A0)]
    assert rec.auto_score == MAX0
    for gid in ("q3a", "q3b"):  # penalized_mse, whose data term and penalty are graded separately
        part = next(p for p in rec.parts if p.grade_id == gid)
        assert part.score == part.max_score == 1


@both_modes
def test_sandbox_left_no_trace_and_blocked_the_network(batch):
    out = batch["out"]
    assert batch["hits"] == 0, "a submission reached the test's loopback server"
    assert not Path(f"/tmp/pwned_{TOKEN}").exists()
    assert not (out / "submitted" / "alice" / A0 / "x.txt").exists()
    assert (out / "gradebook.db").read_bytes()[:15] == b"SQLite format 3"
    expected = layout.MODE_ROOT if batch["mode"] != "unprivileged" and os.geteuid() == 0 else layout.MODE_USER
    executed = [r for r in batch["records"].values() if r.execution]
    assert executed and all(r.execution["sandbox"] == expected and r.execution["limits_applied"] for r in executed)


@both_modes
def test_gradebook_is_consistent_with_the_records_and_csv(batch):
    import csv

    from nbgrader.api import Gradebook

    with Gradebook(db_url_for(batch["out"])) as gb:
        subs = {(s.student.id, s.assignment.name): s for a in gb.assignments for s in a.submissions}
        assert set(subs) == set(batch["records"])
        for key, sub in subs.items():
            code = [g for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "code"]
            assert sum(g.score for g in code) == batch["records"][key].auto_score
            assert len({(g.notebook.name, g.name) for g in code}) == len(code)  # one grade per cell
    with open(batch["out"] / "grades.csv") as fh:
        rows = list(csv.DictReader(fh))
    expected = {(export.neutralize(s), a) for s, a in batch["records"]}
    assert {(r["student_id"], r["assignment"]) for r in rows} >= expected


@both_modes
def test_feedback_never_shows_hidden_tests(batch):
    src = nbformat.read(ROOT / "solutions" / A0 / f"{A0}.ipynb", as_version=4)
    hidden_lines = set()
    for c in src.cells:
        if "### BEGIN HIDDEN TESTS" in c.source:
            block = c.source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            hidden_lines |= {line.strip() for line in block.splitlines() if len(line.strip()) > 25}
    assert hidden_lines
    files = list((batch["out"] / "feedback").rglob("*.html"))
    assert len(files) >= len(batch["records"]) - 3  # wrongname/empty-style submissions still get feedback
    import html as _html

    for f in files:
        text = _html.unescape(f.read_text())
        assert "BEGIN HIDDEN TESTS" not in text
        leaked = [line for line in hidden_lines if line in text]
        assert not leaked, f"{f}: hidden test source leaked: {leaked[:2]}"
    bob = _html.unescape((batch["out"] / "feedback" / "bob" / A0 / f"{A0}.html").read_text())
    assert "q3a: not answered yet" in bob  # pass/fail and the message do appear


@both_modes
def test_report_html_has_plots_and_problem_rows(batch):
    text = (batch["out"] / "report.html").read_text()
    sessions = {a for _, a in batch["records"]}
    assert text.count("data:image/png;base64,") >= len(sessions) >= 1  # a figure per assignment graded
    assert "id='problems'" in text
    shown = [s for s in ("loop", "malformed", "mpchecks") if (s, A0) in batch["records"]]
    assert "loop" in shown
    for student in shown:
        assert f"<td>{student}</td>" in text
    assert (batch["out"] / "grades_by_question.csv").read_text().count("\n") > 50


def _outputs(batch, student, gid="a_q1") -> str:
    nb = nbformat.read(batch["out"] / "autograded" / student / A0 / f"{A0}.ipynb", as_version=4)
    return "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                   for o in cell_by_id(nb, gid).get("outputs", []))


@both_modes
def test_honest_but_unusual_answers_get_full_marks(batch):
    rec = batch["records"][("unusual", A0)]
    assert rec.auto_score == MAX0, rows_for(batch, "unusual")
    assert {k for k, _ in rows_for(batch, "unusual")} <= {"review"}
    assert not any(p.zero for p in rec.problems)


@both_modes
def test_links_are_rows_never_followed(batch):
    out = batch["out"]
    assert batch["records"][("alice", A0)].auto_score == MAX0  # the linked-to notebook is untouched
    solutions = {p.name for p in (ROOT / "solutions").rglob("*")} - {A0, f"{A0}.ipynb"}
    for step in ("submitted", "autograded", "feedback"):
        names = {p.name for p in (out / step / "linkdir").rglob("*")}
        assert names and not names & ({"data", "loop"} | solutions), (step, names)
        assert not any(p.is_symlink() for p in (out / step).rglob("*")), step
    assert "link" in [k for k, _ in rows_for(batch, "linknb")]


@first_batch
def test_student_ids_are_data_not_patterns_or_formulas(batch):
    import csv

    rec = batch["records"]
    assert rec[(GLOB_ID, A0)].auto_score == 0 and rec[("alice", A0)].auto_score == MAX0
    with open(batch["out"] / "grades.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = {r["student_id"] for r in rows}
    assert "'" + FORMULA_ID in ids and FORMULA_ID not in ids and GLOB_ID in ids
    for path in (batch["out"] / "grades.csv", batch["out"] / "grades_by_question.csv"):
        with open(path, newline="") as fh:
            for row in csv.reader(fh):
                assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


@first_batch
def test_feedback_runs_no_script_and_loads_nothing(batch):
    from html.parser import HTMLParser

    class Elements(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found = []

        def handle_starttag(self, tag, attrs):
            self.found.append((tag, dict(attrs)))

    text = (batch["out"] / "feedback" / "xss" / A0 / f"{A0}.html").read_text()
    page = Elements()
    page.feed(text)
    assert not [t for t, _ in page.found if t in ("iframe", "object", "embed")]
    scripts = [a.get("src", "") for t, a in page.found if t == "script"]  # MathJax, from the student's folder only
    assert [s.split("?")[0] for s in scripts] == ["../mathjax/reglab-config.js", "../mathjax/MathJax.js"], scripts
    assert not [(t, a) for t, a in page.found if any(k.lower().startswith("on") for k in a)]  # event handlers
    remote = [(t, a) for t, a in page.found for k in ("src", "href") if k in a and t != "a"
              and str(a[k]).startswith(("http:", "https:", "//"))]
    assert not remote, remote  # nothing loaded from the network
    assert "not shown in feedback" in text  # the JavaScript output was replaced by a note
    (csp,) = [a["content"] for t, a in page.found if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    rules = {r.split()[0]: r.split()[1:] for r in csp.split(";") if r.strip()}
    assert rules["default-src"] == ["'none'"] and rules["script-src"] == ["'self'"]  # no inline script, no eval
    assert not [s for r in rules.values() for s in r if s.startswith(("http", "'unsafe-eval", "*"))]
    body = text.split("<body", 1)[1]
    assert "<script" not in body.lower() and f"window.x{TOKEN}" not in body  # the markdown's script dropped whole


@both_modes
def test_resources_are_capped_in_the_sandbox(batch):
    rec = batch["records"][("memsplit", A0)]
    held = _outputs(batch, "memsplit")
    # --memory-mb for all of a kernel's processes together: the cgroup as root, the launcher's watchdog otherwise
    notes = " ".join(rec.execution["limits_applied"])
    assert "memory of all the notebook's processes together" in notes, notes
    if "children holding 400 MB:" in held:
        assert int(held.split("children holding 400 MB:")[1].split()[0]) * 400 < LIMITS["memory_mb"], held
    else:  # the cap stopped the cell itself (the kernel killed or the cell timed out while the cap held)
        assert {e["kind"] for e in rec.execution["events"]} & {"memory limit", "kernel died", "timeout"}, \
            rec.execution
    ipc = Path("/proc/sysvipc/shm").read_text() + Path("/proc/sysvipc/msg").read_text()
    assert str(SHM_KEY) not in ipc, "System V IPC objects of a job outlived it (or reached the host)"
    assert "shm" in _outputs(batch, "sysvipc")
    euid = _outputs(batch, "setuid")
    assert "euid=" in euid and "euid=0" not in euid, euid


@both_modes
def test_the_kernel_sees_only_the_allow_list(batch):
    listing = {line.split(" ", 2)[1]: line.split(" ", 2)[2] for line in _outputs(batch, "listing").splitlines()
               if line.startswith("LIST ")}
    assert listing, _outputs(batch, "listing")
    for path, seen in listing.items():
        for secret in ("solutions", "gradebook.db", "autograder", "submitted", "nbgrader_config.py", TOKEN):
            assert secret not in seen, (path, seen)
    assert listing[str(batch["out"])] == "FileNotFoundError"  # the grading output does not exist in there
    assert set(eval(listing[str(ROOT)])) <= {"lib", ".venv"}  # the repository: only the course library


@first_batch
def test_a_notebook_of_too_many_cells_is_refused_at_intake_and_graded_blank(batch):
    rec = batch["records"][("cells", A0)]
    (row,) = [p for p in rec.problems if p.kind == "too large"]
    assert row.zero and f"{CELLS + len(released(A0).cells):,} cells" in row.detail
    assert str(intake.MAX_CELLS) in row.detail.replace(",", "")
    assert rec.seconds < 60, f"{rec.seconds:.0f} s: the notebook of {CELLS} cells was run"


@both_modes
def test_a_kernel_sees_no_other_process_in_proc(batch):
    text = _outputs(batch, "peek")
    line = next((x for x in text.splitlines() if x.startswith("PEEK ")), None)
    assert line is not None, text
    seen = json.loads(line[len("PEEK "):])
    assert seen == {}, f"the kernel read other processes' /proc entries: {seen}"
