"""MathJax for the feedback pages, from an installed package, never a CDN.

A feedback page is a file handed to a student, opened from a disk or an LMS, possibly offline. Each student's
folder (``feedback/<student>/`` and ``handback/<student>/``) gets one trimmed copy of MathJax 2.7 (TeX input,
HTML-CSS output with the STIX web fonts, the Safe extension) in ``mathjax/``, which the pages of every assignment
load as ``../mathjax/``. MathJax comes from the ``jupyter-server-mathjax`` wheel (the MathJax Jupyter Server serves);
its settings are this package's ``static/mathjax-config.js``; the pages load both
(``templates/feedback/mathjax.html.j2``). The page's Content-Security-Policy allows scripts and
fonts from the page's own origin only (``'self'``): these files and nothing else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FOLDER = "mathjax"  # in each student's folder, beside the assignment folders
CONFIG = "reglab-config.js"
#: what the feedback pages use of MathJax's distribution (about 2.5 MB of its 12 MB)
KEPT = ("LICENSE", "MathJax.js", "config/TeX-AMS-MML_HTMLorMML-full.js", "config/Safe.js", "extensions/Safe.js",
        "extensions/TeX", "extensions/MathEvents.js", "extensions/MathMenu.js", "extensions/MathZoom.js",
        "jax/element", "jax/output/HTML-CSS", "fonts/HTML-CSS/STIX-Web/woff", "localization/en")


def distribution() -> Path:
    """The installed MathJax (``jupyter_server_mathjax/static``)."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise RuntimeError("the feedback pages need MathJax from the package jupyter-server-mathjax, which is not "
                           "installed: reinstall the grader (`make instructor`)") from None
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def install(student_dir: Path) -> Path:
    """Write (or refresh) ``student_dir/mathjax/``: the trimmed MathJax and its settings. Returns the folder."""
    src, dest = distribution(), Path(student_dir) / FOLDER
    config = (Path(__file__).parent / "static" / "mathjax-config.js").read_bytes()
    marker = dest / CONFIG
    if marker.is_file() and not marker.is_symlink() and marker.read_bytes() == config \
            and (dest / "MathJax.js").read_bytes() == (src / "MathJax.js").read_bytes():
        return dest  # already this copy
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    shutil.rmtree(dest, ignore_errors=True)
    for rel in KEPT:
        path = src / rel
        if path.is_dir():
            shutil.copytree(path, dest / rel)
        else:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest / rel)
    marker.write_bytes(config)  # last: a copy interrupted midway is redone
    return dest
