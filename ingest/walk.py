"""Which files of a folder are read at all, and why each other one is not.

Git semantics for ignore files: ``.gitignore`` at every level (a deeper file overrides a shallower one, the last
matching pattern of a file wins, ``!`` re-includes), ``.git/info/exclude`` below all of them, and the docintel
ignore file (``.docintelignore`` by default, gitignore syntax, any level) above the ``.gitignore`` of its own folder.
As in git, a file inside an ignored folder cannot be re-included: ignored folders are pruned, never listed, and
reported once.

Each file is opened at most once here, for an 8 KB sniff (binary, minified, Git LFS pointer); the loaders read it
later. Generated code is read: the ``generated`` document kind (``docintel.kinds.data``) sets it aside, searchable
on request. The walk is iterative (a stack, not recursion): any depth of folders is fine. A git submodule that is
not checked out (an empty folder listed in ``.gitmodules``, or holding only its ``.git`` file) is reported, not
silently empty. A name that is not valid UTF-8 is recorded in its escaped spelling (``docintel.ingest.paths``).
"""

from __future__ import annotations

import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pathspec

from docintel.corpus import SkippedFile
from docintel.ingest import IngestOptions
from docintel.ingest.detect import DOCUMENT_EXTENSIONS
from docintel.ingest.encoding import utf16_byte_order
from docintel.ingest.paths import portable_name

SNIFF_BYTES = 8192
# A Git LFS pointer is a small text file that stands for the real content (git-lfs spec v1).
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1\n"
LFS_POINTER_MAX_BYTES = 1024
# Version-control folders: never content, never worth a skip line.
VCS_DIRS = frozenset({".git", ".hg", ".svn"})
LOCK_FILES = frozenset(
    {
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "bun.lock",
        "deno.lock", "poetry.lock", "pipfile.lock", "pdm.lock", "uv.lock", "cargo.lock", "gemfile.lock",
        "composer.lock", "go.sum", "flake.lock", "packages.lock.json", "mix.lock", "pubspec.lock",
        "podfile.lock", "gradle.lockfile", "conda-lock.yml", "package.resolved",
    }
)  # fmt: skip
MINIFIED_SUFFIXES = (".min.js", ".min.mjs", ".min.cjs", ".min.css", "-min.js", "-min.css")
# Prose may legitimately have one paragraph per line (contracts, transcripts): never judged minified by content.
PROSE_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".rst", ".vtt", ".srt", ""})
MINIFIED_AVERAGE_LINE = 1000  # characters; hand-written code averages well under 100


@dataclass(frozen=True)
class _IgnoreRules:
    """One ignore file: its compiled patterns, the folder it applies to ('' or 'sub/dir/'), and its label."""

    spec: pathspec.GitIgnoreSpec
    base: str
    label: str
    outer: str = ""  # for an ignore file above the corpus root: the root's path relative to that file's folder


def _read_rules(path: Path, base: str, label: str, outer: str = "") -> _IgnoreRules | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    if not any(ln.strip() and not ln.lstrip().startswith("#") for ln in lines):
        return None
    return _IgnoreRules(pathspec.GitIgnoreSpec.from_lines(lines), base, label, outer)


def _ignored_by(rules: list[_IgnoreRules], rel: str, is_dir: bool) -> str | None:
    """The label of the ignore file that excludes ``rel``, or None. Later (deeper, stronger) rules win."""
    for rule in reversed(rules):
        if not rel.startswith(rule.base):
            continue
        result = rule.spec.check_file(rule.outer + rel[len(rule.base) :] + ("/" if is_dir else ""))
        if result.include is True:
            return rule.label
        if result.include is False:  # re-included by a negation: nothing weaker may exclude it
            return None
    return None


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{n / 1000:.1f} KB" if n >= 1000 else f"{n} B"


def name_skip_reason(name: str) -> str | None:
    """Why a file is not read, judged by its name alone (None: look inside)."""
    lower = name.lower()
    if lower in LOCK_FILES:
        return "lock file"
    if lower.endswith(MINIFIED_SUFFIXES):
        return "minified"
    return None


def content_skip_reason(name: str, size: int, head: bytes, max_bytes: int) -> str | None:
    """Why a file is not read, from its size and first bytes (None: read it)."""
    suffix = PurePosixPath(name.lower()).suffix
    if suffix in DOCUMENT_EXTENSIONS:  # binary containers (PDF, DOCX) that the contract loader extracts
        return f"too large ({_size(size)} > {_size(max_bytes)})" if size > max_bytes else None
    if head.startswith(LFS_POINTER) and size <= LFS_POINTER_MAX_BYTES:
        return "Git LFS pointer: the content is not checked out (run `git lfs pull`)"
    if b"\0" in head and utf16_byte_order(head) is None:
        return "binary"
    if suffix not in PROSE_SUFFIXES and size > 4096:
        lines = head.count(b"\n")
        if len(head) == size and not head.endswith(b"\n"):
            lines += 1
        if len(head) / max(1, lines) > MINIFIED_AVERAGE_LINE:
            return f"minified (lines average over {MINIFIED_AVERAGE_LINE} characters)"
    if size > max_bytes:
        return f"too large ({_size(size)} > {_size(max_bytes)})"
    return None


def _sniff(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(SNIFF_BYTES)


def walk_files(root: Path, options: IngestOptions) -> tuple[list[str], list[SkippedFile]]:
    """Files under ``root`` to read (relative POSIX paths, sorted) and the files skipped, each with its reason."""
    root = root.resolve()
    files: list[str] = []
    skipped: list[SkippedFile] = []
    rules = _enclosing_repository_rules(root)
    submodules = _submodule_paths(root)
    stack: list[tuple[Path, str, list[_IgnoreRules]]] = [(root, "", rules)]
    while stack:
        folder, base, inherited = stack.pop()
        stack.extend(reversed(_walk_dir(root, folder, base, inherited, options, submodules, files, skipped)))
    files.sort()
    skipped.sort(key=lambda s: s.path)
    return files, skipped


def _enclosing_repository_rules(root: Path) -> list[_IgnoreRules]:
    """``.git/info/exclude`` and the ``.gitignore`` files from the enclosing repository's top down to the parent
    of ``root``: a corpus that is a folder inside a repository is filtered as git filters it."""
    top = next((d for d in (root, *root.parents) if (d / ".git").exists()), None)
    if top is None:
        return []
    rules: list[_IgnoreRules] = []
    outer = root.relative_to(top).as_posix() + "/" if top != root else ""
    exclude = _read_rules(top / ".git" / "info" / "exclude", "", "ignored by .git/info/exclude", outer)
    if exclude:
        rules.append(exclude)
    for folder in reversed(root.parents):
        if folder == top or top in folder.parents:
            inside = root.relative_to(folder).as_posix() + "/"
            label = f"ignored by {(folder / '.gitignore').relative_to(top).as_posix()} (above the corpus)"
            found = _read_rules(folder / ".gitignore", "", label, inside)
            if found:
                rules.append(found)
    return rules


_SUBMODULE_PATH = re.compile(r"^\s*path\s*=\s*(.+?)\s*$", re.MULTILINE)


def _submodule_paths(root: Path) -> frozenset[str]:
    """Folders that ``.gitmodules`` at the corpus root declares as submodules (relative POSIX paths)."""
    try:
        text = (root / ".gitmodules").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(m.group(1).strip("/") for m in _SUBMODULE_PATH.finditer(text))


def _unfetched_submodule(folder: str, rel: str, submodules: frozenset[str]) -> bool:
    """A submodule whose content is not checked out: listed in .gitmodules or holding a ``.git`` file, and empty."""
    try:
        names = [e.name for e in os.scandir(folder)]
    except OSError:
        return False
    has_gitlink = ".git" in names and os.path.isfile(os.path.join(folder, ".git"))
    if rel not in submodules and not has_gitlink:
        return False
    return not [n for n in names if n != ".git"]


def _dangling_link_reason(path: str) -> str:
    """Why a symlink leads nowhere: a loop (a link that resolves back to itself) or a missing target."""
    try:
        os.stat(path)
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symlink loop (a link that resolves back to itself)"
    return "broken symlink"


def _walk_dir(
    root: Path,
    folder: Path,
    base: str,
    inherited: list[_IgnoreRules],
    options: IngestOptions,
    submodules: frozenset[str],
    files: list[str],
    skipped: list[SkippedFile],
) -> list[tuple[Path, str, list[_IgnoreRules]]]:
    """Judge the entries of one folder; return its subfolders to walk next (in name order)."""
    rules = list(inherited)
    for ignore_name in (".gitignore", options.ignore_file):
        found = _read_rules(folder / ignore_name, base, f"ignored by {portable_name(base)}{ignore_name}")
        if found:
            rules.append(found)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        skipped.append(SkippedFile(portable_name(base.rstrip("/")) or ".", f"unreadable folder ({e.strerror or e})"))
        return []
    subfolders: list[tuple[Path, str, list[_IgnoreRules]]] = []
    for entry in entries:
        name = entry.name
        rel = base + name
        shown = portable_name(rel)  # the spelling every later stage sees
        if name in VCS_DIRS:
            continue
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()  # follows a link: a link to a folder is judged as a folder
        except OSError as e:
            loop = e.errno == errno.ELOOP
            skipped.append(
                SkippedFile(shown, _dangling_link_reason(entry.path) if loop else f"unreadable ({e.strerror or e})")
            )
            continue
        label = _ignored_by(rules, rel, is_dir)
        if label:
            skipped.append(SkippedFile(shown + "/" if is_dir else shown, label))
            continue
        if is_link:
            target = Path(os.path.realpath(entry.path))
            if not target.is_relative_to(root):
                skipped.append(SkippedFile(shown + "/" if is_dir else shown, "symlink outside the corpus"))
                continue
            if not target.exists():
                skipped.append(SkippedFile(shown, _dangling_link_reason(entry.path)))
                continue
            if is_dir:
                # Following it could loop or list files twice; its files are read at their own path.
                skipped.append(SkippedFile(shown + "/", "symlink to a folder inside the corpus"))
                continue
        if is_dir:
            if _unfetched_submodule(entry.path, rel, submodules):
                why = "git submodule not checked out (empty): run `git submodule update --init` to include it"
                skipped.append(SkippedFile(shown + "/", why))
                continue
            subfolders.append((Path(entry.path), rel + "/", rules))
            continue
        if not entry.is_file():
            skipped.append(SkippedFile(shown, "not a regular file"))
            continue
        try:
            size = entry.stat().st_size
            reason = name_skip_reason(name) or content_skip_reason(
                name, size, _sniff(entry.path) if size else b"", options.max_file_bytes
            )
        except OSError as e:
            skipped.append(SkippedFile(shown, f"unreadable ({e.strerror or e})"))
            continue
        if reason:
            skipped.append(SkippedFile(shown, reason))
        elif shown != rel and os.path.lexists(os.path.join(root, shown)):
            skipped.append(SkippedFile(shown, "name is not UTF-8 and its escaped spelling names another file"))
        else:
            files.append(shown)
    return subfolders
