"""Helper functions shared by the test modules (``from helpers import random_psd``).

pytest puts this directory on ``sys.path`` (``pythonpath`` in ``pyproject.toml``), so the test modules of
``tests/`` and ``autograder/tests/`` import it as a plain module; fixtures stay in the repository's ``conftest.py``.
"""

import numpy as np


def random_psd(rng, d, rank=None, scale=1.0):
    """A random symmetric PSD matrix with eigenvalues spread over a few decades."""
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = scale * np.geomspace(0.05, 5.0, d)
    if rank is not None:
        lam[: d - rank] = 0.0
    rng.shuffle(lam)
    return (Q * lam) @ Q.T


def course_copy(base, extra: str = "", copy_solutions: bool = False):
    """A course repository in ``base/course`` for grading tests: the project's autograder configuration with
    ``extra`` appended (due dates, late policy), and its ``solutions/`` linked (or copied, for a test that changes
    a hidden test)."""
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    course = Path(base) / "course"
    (course / "autograder").mkdir(parents=True)
    (course / "autograder" / "nbgrader_config.py").write_text(
        (root / "autograder" / "nbgrader_config.py").read_text() + extra)
    if copy_solutions:
        shutil.copytree(root / "solutions", course / "solutions")
    else:
        (course / "solutions").symlink_to(root / "solutions")
    return course


#: where conftest.py tells the grading tests about the unprivileged batch's venv it is building (see its
#: ``pytest_configure``)
UNPRIVILEGED_VENV_ENV = "REGLAB_TEST_UNPRIVILEGED_VENV"


# ----------------------------------------------------------------------------- `make lab`, as a student runs it

#: nbgrader's lab plugins a student's JupyterLab hides (its menu, which would be left empty, too), and the one it
#: keeps (lib/reglab/student_jupyter)
INSTRUCTOR_PLUGINS = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                      "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:assignment-list",
                      "@jupyter/nbgrader:menu")
STUDENT_PLUGINS = ("@jupyter/nbgrader:validate-assignment",)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_lab(folder, make_args=(), env=None, user=None, timeout=120):
    """``make -C folder lab`` headless on a free loopback port, as ``user`` (a uid, through ``setpriv``) or as
    whoever runs the tests: a context manager yielding ``(url, token, make's process, make's output so far)`` once
    the server answers; the server is stopped on exit."""
    import contextlib
    import json
    import os
    import re
    import signal
    import subprocess
    import time
    import urllib.request

    @contextlib.contextmanager
    def serve():
        port = free_port()
        cmd = ["make", "-C", str(folder), "lab", *make_args, f"ARGS=--no-browser --ServerApp.port={port} "
               "--ServerApp.ip=127.0.0.1 --ServerApp.port_retries=0"]
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--", *cmd]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                start_new_session=True)
        log = []
        try:
            deadline = time.monotonic() + timeout
            token = None
            while time.monotonic() < deadline and token is None:
                line = proc.stdout.readline()
                if not line:
                    break
                log.append(line)
                m = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=(\w+)", line)
                token = m and m.group(1)
            assert token, "JupyterLab did not start:\n" + "".join(log[-40:])
            url = f"http://127.0.0.1:{port}"
            while time.monotonic() < deadline:  # the banner can come before the port listens
                try:
                    with urllib.request.urlopen(f"{url}/api/contents?token={token}", timeout=30) as r:
                        json.load(r)
                    break
                except OSError:
                    time.sleep(0.5)
            yield url, token, proc, log
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)

    return serve()


def jupyterlab_process(make_proc):
    """The ``jupyter lab`` process ``make lab`` started (a psutil Process)."""
    from pathlib import Path

    import psutil

    for p in psutil.Process(make_proc.pid).children(recursive=True):
        if any(Path(arg).name == "jupyter-lab" for arg in p.cmdline()[:2]):  # `jupyter lab` execs jupyter-lab
            return p
    raise AssertionError("no jupyter lab process under make")


def in_terminal(url, token, command, marker, timeout=60) -> str:
    """Type ``command`` into a new terminal of the JupyterLab server (its REST API and websocket, as the page
    does); what the terminal printed until ``marker`` appeared."""
    import asyncio
    import json
    import urllib.request

    from tornado.websocket import websocket_connect

    req = urllib.request.Request(f"{url}/api/terminals?token={token}", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        name = json.load(r)["name"]

    async def talk():
        ws = await websocket_connect(f"ws{url[4:]}/terminals/websocket/{name}?token={token}")
        await ws.write_message(json.dumps(["stdin", command + "\n"]))
        out = ""
        try:
            while marker not in out:
                msg = await asyncio.wait_for(ws.read_message(), timeout)
                if msg is None:
                    break
                kind, *rest = json.loads(msg)
                if kind == "stdout":
                    out += rest[0]
        except TimeoutError:
            pass
        ws.close()
        return out

    return asyncio.run(talk())


def assert_students_jupyterlab(url, token, make_proc, bin_dir, config_dir):
    """What ``make lab`` gives a student: JupyterLab's environment has the course's scripts first on PATH and the
    student Jupyter config first on JUPYTER_CONFIG_PATH; its terminal runs ``reglab progress``; nbgrader's
    instructor menus are off (lab plugins and server extension), its Validate button on; the preferred kernel
    starts without asking and Jupyter's news toast stays away."""
    import json
    import re
    import urllib.error
    import urllib.request
    from pathlib import Path

    env = jupyterlab_process(make_proc).environ()
    assert Path(env["PATH"].split(":")[0]).resolve() == Path(bin_dir).resolve(), env["PATH"]
    assert Path(env["JUPYTER_CONFIG_PATH"].split(":")[0]).resolve() == Path(config_dir).resolve(), \
        env["JUPYTER_CONFIG_PATH"]
    out = in_terminal(url, token, "reglab progress | head -n 3; echo reglab-status-$((40 + 2))", "reglab-status-42")
    assert "reglab-status-42" in out and "Progress file:" in out and "not found" not in out, out[-2000:]
    with urllib.request.urlopen(f"{url}/lab?token={token}", timeout=30) as r:
        page = r.read().decode()
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    disabled = set(config["disabledExtensions"])
    assert set(INSTRUCTOR_PLUGINS) <= disabled and not disabled & set(STUDENT_PLUGINS), sorted(disabled)
    # a session opens on its Python kernel without JupyterLab's "Select Kernel" dialog (a busy machine showed it),
    # and no toast asks about Jupyter's news feed over the mastery gate's cell
    for plugin, setting, value in (("notebook-extension:tracker", "autoStartDefaultKernel", True),
                                   ("apputils-extension:notification", "fetchNews", "false")):
        with urllib.request.urlopen(f"{url}/lab/api/settings/@jupyterlab/{plugin}?token={token}", timeout=30) as r:
            assert json.load(r)["schema"]["properties"][setting]["default"] == value, (plugin, setting)
    for path, code in (("formgrader", 404), ("assignments/validate", 405)):  # off; on (POST only)
        try:
            urllib.request.urlopen(f"{url}/{path}?token={token}", timeout=30)
            raise AssertionError(f"/{path} answers a GET in a student's JupyterLab")
        except urllib.error.HTTPError as e:
            assert e.code == code, (path, e.code)


#: where conftest.py tells tests/test_student_copy.py about the student copy it is writing and building
STUDENT_COPY_ENV = "REGLAB_TEST_STUDENT_COPY"


def start_student_copy():
    """Start writing the student copy (``reglab release --bundle``) into a new folder an ordinary user can read
    (pytest's own temporary folders are root's only) and building its environment with the copy's own Makefile
    (``make .venv/bin/.reglab-runtime PYTHON=/usr/bin/python3``: Debian's python3, which an ordinary user can run;
    pip's cache makes it a download-free install), in the background: ``(folder, process)``. The folder receives
    ``reglab-student/``, ``build.log``, ``seconds`` (the build's wall time) and, last, ``status`` (its exit status)."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    top = Path(tempfile.mkdtemp(prefix="reglab-student-copy-"))
    top.chmod(0o755)
    copy, log = top / "reglab-student", top / "build.log"
    script = (f"start=$(date +%s); {Path(sys.executable).with_name('reglab')} release --bundle {copy} --zip "
              f"--course-dir {root} > {log} 2>&1 && make -C {copy} .venv/bin/.reglab-runtime PYTHON=/usr/bin/python3 "
              f">> {log} 2>&1; status=$?; echo $(($(date +%s) - start)) > {top / 'seconds'}; "
              f"echo $status > {top / 'status.tmp'}; mv {top / 'status.tmp'} {top / 'status'}")
    return top, subprocess.Popen(["sh", "-c", script], start_new_session=True)
