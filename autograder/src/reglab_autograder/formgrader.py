"""``reglab formgrader OUT``: JupyterLab on a grading output, whose ``nbgrader_config.py`` makes it an nbgrader
course, so nbgrader's formgrader (menu Nbgrader > Formgrader) shows its gradebook: score the written
answers, write comments, then run ``reglab feedback OUT``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .coursedir import NBGRADER_CONFIG, GradingOutput


def command(out: Path, port: int | None = None, open_browser: bool = True, ip: str | None = None) -> list[str]:
    """The ``jupyter lab`` command line that serves ``out`` (run it with ``out`` as working directory)."""
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", f"--ServerApp.root_dir={out}"]
    if port is not None:
        cmd += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if ip is not None:
        cmd.append(f"--ServerApp.ip={ip}")
    if not open_browser:
        cmd.append("--no-browser")
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def launch(out, port: int | None = None, open_browser: bool = True, ip: str | None = None):
    """Serve the grading output: this process becomes JupyterLab (so stopping it, with Ctrl-C or a signal,
    stops the server; no server is left behind)."""
    go = GradingOutput.open(out)
    if not (go.out / NBGRADER_CONFIG).is_file():
        raise ValueError(f"{go.out / NBGRADER_CONFIG} is missing: rerun `reglab grade` to write it")
    print(f"formgrader: {go.out} (menu Nbgrader > Formgrader, or /formgrader); afterwards run "
          f"`reglab feedback {go.out}`", file=sys.stderr)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    cmd = command(go.out, port, open_browser, ip)
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(go.out)
    os.execve(cmd[0], cmd, env)
