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

import os
import shutil
import tempfile
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
    """Write (or refresh) ``student_dir/mathjax/``: the trimmed MathJax and its settings. Returns the folder.

    The copy is built beside it and renamed into place: two jobs of one student (two assignments graded at once)
    never see half a copy, and the first complete one stays."""
    src, dest = distribution(), Path(student_dir) / FOLDER
    config = (Path(__file__).parent / "static" / "mathjax-config.js").read_bytes()
    if _current(dest, src, config):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".mathjax-"))
    for rel in KEPT:
        path = src / rel
        if path.is_dir():
            shutil.copytree(path, tmp / rel)
        else:
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, tmp / rel)
    (tmp / CONFIG).write_bytes(config)
    if dest.is_symlink() or dest.is_file():
        dest.unlink()
    elif dest.exists() and not _current(dest, src, config):  # an older copy: set aside, then removed
        old = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".mathjax-old-"))
        os.replace(dest, old / FOLDER)
        shutil.rmtree(old, ignore_errors=True)
    try:
        os.rename(tmp, dest)
    except OSError:  # another job put its complete copy there first
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _current(dest: Path, src: Path, config: bytes) -> bool:
    """Is ``dest`` a complete copy of this MathJax with these settings?"""
    marker = dest / CONFIG
    return (not dest.is_symlink() and marker.is_file() and marker.read_bytes() == config
            and (dest / "MathJax.js").read_bytes() == (src / "MathJax.js").read_bytes())
