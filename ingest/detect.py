"""Detection rules the document kinds use (``docintel.kinds``): languages by extension, and content tests for
transcripts and contracts in prose formats. Which kind claims a file is ``docintel.kinds.detect_kind``."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

# extension -> tree-sitter language name (tree-sitter-language-pack)
CODE_LANGUAGES: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".hxx": "cpp",
    ".rb": "ruby",
    ".php": "php",
    ".cs": "csharp",
    ".kt": "kotlin",
    ".swift": "swift",
    ".scala": "scala",
    ".sh": "bash",
    ".bash": "bash",
    ".lua": "lua",
}
TRANSCRIPT_EXTENSIONS = {".vtt", ".srt"}
DOCUMENT_EXTENSIONS = {".pdf", ".docx"}  # read by the contract loader (kind becomes "text" without clauses)
PROSE_EXTENSIONS = {".txt", ".md", ".markdown", ".rst", ""}

# "Grad E: ...", "The Chair (Hon. Anthony Rota (Nipissing, Lib.)): ...", and an empty turn "Grad B:"
_SPEAKER_LINE = re.compile(r"^[A-Z][\w .,'’\-–—()]{0,118}:(?:[ \t]+\S|[ \t]*$)")
_CLAUSE = re.compile(
    r"^\s*(ARTICLE\s+[IVXLC\d]+|Article\s+\d+|Section\s+\d+(\.\d+)*|SECTION\s+\d+|\d+\.\d*\s+[A-Z]|\([a-z]\)\s)",
    re.MULTILINE,
)
_PARENTHESES = re.compile(r"\(.*\)")
_TITLE = re.compile(r"\b(agreement|contract|amendment|addendum|memorandum of understanding)\b", re.IGNORECASE)
_LEGAL = re.compile(
    r"\b(agreement|hereby|hereinafter|shall|party|parties|governing law|witnesseth|whereas)\b", re.IGNORECASE
)


def language_of(rel_path: str) -> str | None:
    return CODE_LANGUAGES.get(PurePosixPath(rel_path).suffix.lower())


def looks_like_transcript(text: str) -> bool:
    """Most non-blank lines are ``Speaker: text``."""
    lines = [ln for ln in text.splitlines()[:200] if ln.strip()]
    if len(lines) < 3:
        return False
    names = [ln.split(":", 1)[0] for ln in lines if _SPEAKER_LINE.match(ln)]
    # a name ("The Chair (Hon. Anthony Rota (Nipissing, Lib.))" counts as "The Chair"), not a sentence with a colon
    names = [n for n in names if len(_PARENTHESES.sub("", n).split()) <= 5]
    if len(names) < 0.6 * len(lines):
        return False
    # a repeated page footer ("Source: ACME CORP, 10-K") is one "speaker" on every line: not a conversation
    top = max(names.count(n) for n in set(names))
    return len(set(names)) >= 2 and top <= 0.85 * len(names)


def looks_like_contract(text: str) -> bool:
    """Numbered clauses and legal vocabulary."""
    head = text[:60_000]
    legal = len(_LEGAL.findall(head))
    if len(_CLAUSE.findall(head)) >= 3 and legal >= 5:
        return True
    # unnumbered agreements (flattened EDGAR exhibits, letter agreements): a title and dense legal vocabulary
    return legal >= 12 and bool(_TITLE.search(head[:3_000]))
