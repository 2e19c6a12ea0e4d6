"""The README and the documents under docs/: every link reaches a file and a heading that exist, every document is
linked from the README, the README's Layout table matches the tree, and every test file they name exists."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", *DOCS]

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def prose(path: Path) -> list[str]:
    """The lines of a Markdown file outside its fenced code blocks."""
    lines, fenced = [], False
    for line in path.read_text().splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, each space a hyphen."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a Markdown file's headings (a repeated heading gets -1, -2, ... as on GitHub)."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose(path):
        m = re.match(r"#{1,6} (.+)", line)
        if m:
            base = slug(m.group(1))
            found.add(f"{base}-{seen[base]}" if base in seen else base)
            seen[base] = seen.get(base, 0) + 1
    return found


def links(path: Path) -> list[str]:
    return [m.group(1) for line in prose(path) for m in LINK.finditer(line)]


def test_slug_is_githubs():
    assert slug("Grading a class: grade → formgrader → feedback → hand back") == \
        "grading-a-class-grade--formgrader--feedback--hand-back"
    assert slug("Who decides a grade: verdicts outside the student's kernel") == \
        "who-decides-a-grade-verdicts-outside-the-students-kernel"
    assert slug("Quick start (the student copy)") == "quick-start-the-student-copy"


def test_the_documents_exist_and_the_readme_links_each():
    assert {p.name for p in DOCS} >= {"students.md", "instructors.md", "sandbox.md", "maintainers.md"}
    linked = {(ROOT / target.split("#")[0]).resolve() for target in links(ROOT / "README.md")}
    assert not [p.name for p in DOCS if p.resolve() not in linked], "documents the README does not link"


def test_every_link_reaches_an_existing_file_and_heading():
    broken = []
    for page in PAGES:
        for target in links(page):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not checked here
            file, _, anchor = target.partition("#")
            dest = (page.parent / file).resolve() if file else page
            if not dest.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading in {dest.name})")
    assert not broken, "\n".join(broken)


def test_every_test_file_the_documents_name_exists():
    named = {m.group(0) for page in PAGES for line in page.read_text().splitlines()
             for m in re.finditer(r"(?<![\w/])(?:autograder/)?tests/[\w/]*test_\w+\.py", line)}
    assert named, "the documents name no test file"
    assert not sorted(p for p in named if not (ROOT / p).is_file())


def _layout_paths() -> list[str]:
    lines = (ROOT / "README.md").read_text().split("\n## Layout\n", 1)[1].split("\n## ", 1)[0].splitlines()
    return [m.group(1) for line in lines if (m := re.match(r"\| `([^`]+)` \|", line))]


def test_the_readme_layout_table_matches_the_tree():
    paths = _layout_paths()
    assert "tests/" in paths and "docs/" in paths, paths
    assert not [p for p in paths if not (ROOT / p).exists()], "the Layout table names paths that do not exist"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    top_dirs = {line.split("/", 1)[0] for line in tracked.splitlines() if "/" in line and not line.startswith(".")}
    covered = {p.split("/", 1)[0] for p in paths}
    assert not sorted(top_dirs - covered), "top-level folders the Layout table does not show"
