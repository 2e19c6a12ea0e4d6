"""``reglab formgrader OUT``: JupyterLab on a grading output, whose ``nbgrader_config.py`` makes it an nbgrader
course, so nbgrader's formgrader (menu Nbgrader > Formgrader) shows its gradebook: score the written
answers, write comments, then run ``reglab feedback OUT``.

Fitted to this workflow (see ``formgrader_server``): nbgrader's formgrader server extension is replaced by this
package's, which refuses the actions that would run students' notebooks unsandboxed and shows each question's
rubric beside the answer; nbgrader's student-side extensions (assignment list, course list, validate, the
create-assignment toolbar) are off, server and lab side (``formgrader_config/labconfig/page_config.json``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..coursedir import NBGRADER_CONFIG, GradingOutput

LAB_CONFIG = Path(__file__).parents[1] / "formgrader_config"  # a Jupyter config dir: labconfig/page_config.json
# nbgrader's server extensions: the formgrader is loaded by this package's extension, the student-side ones are off
SERVER_EXTENSIONS = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": False,
    "jupyter_server_mathjax": True,
    "reglab_autograder.formgrader_server": True,
}


def command(out: Path, port: int | None = None, open_browser: bool = True, ip: str | None = None) -> list[str]:
    """The ``jupyter lab`` command line that serves ``out`` (run it with ``out`` as working directory)."""
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", f"--ServerApp.root_dir={out}",
           f"--ServerApp.jpserver_extensions={SERVER_EXTENSIONS!r}"]
    if port is not None:
        cmd += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if ip is not None:
        cmd.append(f"--ServerApp.ip={ip}")
    if not open_browser:
        cmd.append("--no-browser")
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def environment(env) -> dict:
    """``env`` with this Python's scripts first on PATH and this package's Jupyter config dir (the lab extensions
    it disables) first on JUPYTER_CONFIG_PATH (the user's own config dir keeps its settings)."""
    extra = [str(LAB_CONFIG)] + [p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    return dict(env, PATH=os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
                JUPYTER_CONFIG_PATH=os.pathsep.join(extra))


def launch(out, port: int | None = None, open_browser: bool = True, ip: str | None = None):
    """Serve the grading output: this process becomes JupyterLab (so stopping it, with Ctrl-C or a signal,
    stops the server; no server is left behind)."""
    go = GradingOutput.open(out)
    if not (go.out / NBGRADER_CONFIG).is_file():
        raise ValueError(f"{go.out / NBGRADER_CONFIG} is missing: rerun `reglab grade` to write it")
    print(f"formgrader: {go.out} (menu Nbgrader > Formgrader, or /formgrader); afterwards run "
          f"`reglab feedback {go.out}`", file=sys.stderr)
    env = environment(os.environ)
    cmd = command(go.out, port, open_browser, ip)
    sys.stdout.flush()
    sys.stderr.flush()
    os.chdir(go.out)
    os.execve(cmd[0], cmd, env)
