"""LMS downloads (one zip per assignment) into nbgrader's ``submitted`` layout, with nbgrader's ``zip_collect``."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from traitlets import Integer, Unicode
from traitlets.config import Config

from ..jobs import Note
from ..rows import Kind
from .late import local_time, parse_time, zone_named

ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".7z", ".rar")


class SafeExtractor(ExtractorPlugin):
    """nbgrader's extractor, for archives nobody vouches for: each member is checked before a byte is written.

    Refused, each with a finding: members with absolute or ``..`` paths, links, special files, archives inside
    the archive (a nested archive could create a submission for another student), and everything beyond
    ``max_files`` members or ``max_bytes`` uncompressed (counted while reading, not trusted from the
    headers). An archive that cannot be read at all is a finding too. Non-archives are not taken."""

    max_files = Integer(5000, help="Members extracted from one archive at most; the rest are refused.").tag(
        config=True)
    max_bytes = Integer(500 * 1024 * 1024, help="Uncompressed bytes extracted from one archive at most.").tag(
        config=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.findings: list[tuple[str, str]] = []  # (archive, what was refused and why)

    def extract(self, archive_path: str, extracted_path: str) -> None:
        for name in sorted(os.listdir(archive_path)):
            src = os.path.join(archive_path, name)
            if not name.endswith(".zip") or os.path.islink(src) or not os.path.isfile(src):
                self.findings.append((name, "not a zip archive; not extracted"))
                continue
            try:
                self._extract_one(src, os.path.join(extracted_path, name[:-4]))
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
                self.findings.append((name, f"could not be read ({type(exc).__name__}: {str(exc)[:200]})"))

    def _extract_one(self, archive: str, dest: str) -> None:
        name = os.path.basename(archive)
        refused, count, total = [], 0, 0
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                member = info.filename
                path = PurePosixPath(member.replace("\\", "/"))
                mode = info.external_attr >> 16
                if info.is_dir():
                    continue
                if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", member):
                    refused.append(f"{member!r} (unsafe path)")
                elif stat.S_IFMT(mode) and not stat.S_ISREG(mode):  # no type bits: a plain file (DOS, Python)
                    refused.append(f"{member!r} ({'link' if stat.S_ISLNK(mode) else 'special file'})")
                elif member.lower().endswith(ARCHIVE_SUFFIXES):
                    refused.append(f"{member!r} (an archive inside the archive)")
                elif count >= self.max_files:
                    refused.append(f"{member!r} (more than {self.max_files} files)")
                else:
                    target = os.path.join(dest, *path.parts)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    written = 0
                    with z.open(info) as fin, open(target, "wb") as fout:
                        while chunk := fin.read(1 << 20):
                            written += len(chunk)
                            if total + written > self.max_bytes:
                                break
                            fout.write(chunk)
                    if total + written > self.max_bytes:
                        os.unlink(target)
                        refused.append(f"{member!r} and the rest (more than {self.max_bytes // 2**20} MB uncompressed)")
                        break
                    total += written
                    count += 1
        if refused:
            self.findings.append((name, "refused: " + ", ".join(refused[:10]) +
                                  (f" (and {len(refused) - 10} more)" if len(refused) > 10 else "")))

class ZonedFileNameCollector(FileNameCollectorPlugin):
    """nbgrader's file-name collector, with the time zone of the times in file names said: a time without zone
    is read in ``timezone`` (``reglab grade --lms-timezone``, UTC by default) and handed to nbgrader with its
    offset. A local time that happens twice at a daylight-saving change is read as its first occurrence (the
    earlier instant); one that does not exist, as if the clocks had not yet moved."""

    timezone = Unicode("UTC", help="IANA zone of the times without zone in LMS file names.").tag(config=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.untimed: dict[tuple[str, str], list[str]] = {}  # (student, notebook): files without a time
        self.duplicates: set[str] = set()  # students with two untimed files for one notebook

    def collect(self, submitted_file):
        info = super().collect(submitted_file)
        if info and not info.get("timestamp"):  # nbgrader's zip_collect stops the whole assignment on these
            files = self.untimed.setdefault((info["student_id"], info["file_id"]), [])
            files.append(os.path.basename(submitted_file))
            if len(files) > 1:
                self.duplicates.add(info["student_id"])
                return None  # skipped here; the student's submission is withdrawn after collection
        if info and info.get("timestamp"):
            try:
                when = parse_time(info["timestamp"], default_zone=self.timezone)
            except ValueError:  # a daylight-saving change: the first reading, never a dropped time
                when = local_time_lenient(info["timestamp"], self.timezone)
            info["timestamp"] = when.isoformat()
        return info


def local_time_lenient(text: str, zone: str) -> dt.datetime:
    """A file-name time at a daylight-saving change in ``zone``: its first reading."""
    naive = dt.datetime.fromisoformat(text.replace(" ", "T")[:19])
    try:
        return local_time(naive, zone_named(zone))
    except ValueError:
        return naive.replace(tzinfo=zone_named(zone), fold=0)


# LMS file names look like "<student>_<anything>_<notebook>.ipynb" (Canvas adds ids); an LMS that puts the
# submission time in the name as "<student>_<YYYY-MM-DDTHH:MM:SS[+zone]>_..." gives nbgrader its timestamp
# (read in --lms-timezone, default UTC, when the name gives no offset: ZonedFileNameCollector).
# With a time in the name the student id is everything before "_<time>_" (underscores included:
# mary_ann_2026-10-09T12:00:00_...); without one it ends at the first "_", so such ids must not contain "_".
# Matched against the extracted file's full path.
_NAME_TIME = r"\d{{4}}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?(?:Z|[+-]\d\d:?\d\d)?"
NAMED_REGEXP = (rf"^(?:.*/)?(?P<student_id>[^/]+?(?=_{_NAME_TIME}_)|[^_/]+)_"
                rf"(?:(?P<timestamp>{_NAME_TIME})_)?"
                r"(?:[^/]*_)?(?P<file_id>(?:{names}))$")


def assignment_of(relative: str, name: str, known: list[str]) -> str | None:
    """The assignment an archive belongs to: by its folder, else by the start of its file name."""
    return next((a for a in known if relative.startswith(a + "/") or name.startswith(a)), None)


def collect_zips(submissions: Path, out: Path, known: list[str], notes: list, prepare,
                 lms_timezone: str | None = None) -> Path:
    """Extract and collect every archive under ``submissions`` into ``out/submitted``; returns that folder.
    Times in file names without a zone are read in ``lms_timezone`` (default UTC)."""
    by_assignment = archives_by_assignment(submissions, known, notes)
    prepare(sorted(by_assignment))
    for aid, files in by_assignment.items():
        notes.extend(collect_assignment(out, aid, files, lms_timezone))
    return out / "submitted"


def archives_by_assignment(submissions: Path, known: list[str], notes: list) -> dict[str, list[Path]]:
    """The archives under ``submissions`` per assignment (:func:`assignment_of`); one of no known assignment is a
    note and is not graded."""
    by_assignment: dict[str, list[Path]] = {}
    for z in sorted(p for p in submissions.rglob("*.zip") if p.is_file() and not p.is_symlink()):
        rel = z.relative_to(submissions).as_posix()
        aid = assignment_of(rel, z.name, known)
        if aid is None:
            notes.append(Note("-", "-", Kind.UNKNOWN_ARCHIVE, f"{rel}: name it after an assignment (e.g. "
                              f"{known[0]}.zip) or put it in a folder of that name; not graded"))
            continue
        by_assignment.setdefault(aid, []).append(z)
    return by_assignment


def collect_assignment(out: Path, aid: str, files: list[Path], lms_timezone: str | None) -> list[Note]:
    """nbgrader's ``zip_collect`` of one assignment's archives (copied into ``out/downloaded/<aid>/archive``) into
    ``out/submitted``; returns the notes: what it refused, duplicates withdrawn, an archive it stopped on."""
    from nbgrader.apps.zipcollectapp import ZipCollectApp
    from nbgrader.coursedir import CourseDirectory

    archive = out / "downloaded" / aid / "archive"
    shutil.rmtree(out / "downloaded" / aid, ignore_errors=True)
    archive.mkdir(parents=True)
    for f in files:
        shutil.copy(f, archive / f.name)
    app = ZipCollectApp(config=zip_collect_config(out, aid, lms_timezone))
    app.coursedir = CourseDirectory(parent=app)  # what NbGrader.initialize() does, without parsing argv
    app.log.setLevel("ERROR")
    notes = []
    try:
        app.start()
    except SystemExit:  # nbgrader's zip_collect calls self.fail (sys.exit) e.g. on a duplicate submission
        notes.append(Note("-", aid, Kind.ARCHIVE_NOT_COLLECTED,
                          f"nbgrader's zip_collect stopped on {aid}'s archives (e.g. two files for one student "
                          "and notebook); collect them by hand: " + _last_error(app)))
    except Exception as exc:  # noqa: BLE001 - one bad archive never stops the class
        notes.append(Note("-", aid, Kind.ARCHIVE_NOT_COLLECTED, f"{type(exc).__name__}: {str(exc)[:300]}"))
    return notes + _withdraw_duplicates(app, out, aid) + [
        Note("-", aid, Kind.ARCHIVE, f"{name}: {detail}")
        for name, detail in getattr(getattr(app, "extractor_plugin_inst", None), "findings", [])]


def zip_collect_config(out: Path, aid: str, lms_timezone: str | None) -> Config:
    """nbgrader's ``zip_collect`` configuration for one assignment: this module's extractor and collector, file
    names matched against the assignment's released notebooks."""
    names = "|".join(re.escape(p.name) for p in (out / "release" / aid).glob("*.ipynb"))
    cfg = Config()
    cfg.CourseDirectory.root = str(out)
    cfg.CourseDirectory.assignment_id = aid
    cfg.ZipCollectApp.force = True
    cfg.FileNameCollectorPlugin.named_regexp = NAMED_REGEXP.format(names=names)
    cfg.ZipCollectApp.extractor_plugin = SafeExtractor
    cfg.ZipCollectApp.collector_plugin = ZonedFileNameCollector
    cfg.ZonedFileNameCollector.timezone = lms_timezone or "UTC"
    return cfg


def _withdraw_duplicates(app, out: Path, aid: str) -> list[Note]:
    """The submissions of students with two untimed files for one notebook: removed, one note each."""
    collector = getattr(app, "collector_plugin_inst", None)
    notes = []
    for student in sorted(getattr(collector, "duplicates", ())):
        shutil.rmtree(out / "submitted" / student / aid, ignore_errors=True)
        files = sorted(f for (s, _), fs in collector.untimed.items() if s == student for f in fs)
        notes.append(Note(student, aid, Kind.DUPLICATE_SUBMISSION,
                          f"two files for one notebook and no time to choose by ({', '.join(files)}); not "
                          "graded: keep one in the archive and grade again"))
    return notes


def _last_error(app) -> str:
    return getattr(app, "_reglab_last_error", "") or "see nbgrader's message in the log"
