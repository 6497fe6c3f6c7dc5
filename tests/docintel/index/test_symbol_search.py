"""Symbol-aware retrieval on a real little repository (real ingestion, real index with the hash embedder): the
definition a question names comes first, with its class and callers; tests, docs and changelogs come after."""

from __future__ import annotations

from pathlib import Path

from docintel.index import symbol_search
from docintel.index.corpus_index import open_corpus

FILES = {
    "src/net/adapters.py": (
        "class ProxyError(Exception):\n    pass\n\n\n"
        "class HTTPAdapter:\n    def send(self, request):\n        return to_native_string(request.url)\n\n"
        "    def close(self):\n        return None\n"
    ),
    "src/net/utils.py": (
        "def to_native_string(value, encoding='ascii'):\n    if isinstance(value, str):\n        return value\n"
        "    return value.decode(encoding)\n"
    ),
    "tests/test_utils.py": (
        "from net.utils import to_native_string\n\n\ndef test_to_native_string():\n"
        "    assert to_native_string(b'x') == 'x'\n    assert to_native_string('native string') == 'native string'\n"
    ),
    "CHANGELOG.rst": "Changelog\n=========\n\n2.0\n---\n- to_native_string now converts native string values.\n" * 3,
    "docs/api.rst": "API\n===\n\nThe to_native_string function returns a native string.\n",
}


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_question_symbols_are_identifiers_not_words() -> None:
    found = symbol_search.question_symbols(
        "Where is the to_native_string function that `HTTPAdapter.send` calls, and how does the links method work?"
    )
    assert {"to_native_string", "HTTPAdapter.send", "links"} <= set(found)
    assert "where" not in {f.lower() for f in found} and "function" not in found


def test_path_roles() -> None:
    assert symbol_search.path_role("CHANGELOG.rst") == "changelog"
    assert symbol_search.path_role("doc/en/changelog.rst") == "changelog"
    assert symbol_search.path_role("tests/test_utils.py") == "test"
    assert symbol_search.path_role("testing/python/fixtures.py") == "test"
    assert symbol_search.path_role("docs/api.rst") == "doc"
    assert symbol_search.path_role("src/net/utils.py") == "code"


def test_definition_first_then_callers_and_tests_after(tmp_path: Path, hash_embedder: str) -> None:
    corpus, index = open_corpus(_repo(tmp_path))
    try:
        question = "How does to_native_string convert a value into a native string?"
        hits = symbol_search.search(corpus, index, question, k=6)
        paths = [h.chunk.span.path for h in hits]
        assert paths[0] == "src/net/utils.py"  # the definition
        assert "src/net/adapters.py" in paths  # HTTPAdapter.send calls it
        roles = [symbol_search.path_role(p) for p in paths]
        assert roles.index("code") < min(roles.index(r) for r in ("test", "doc", "changelog") if r in roles)
        assert paths[-1] == "CHANGELOG.rst"
        # the plain fused search ranks the changelog (which repeats the words) above the caller
        plain = [h.chunk.span.path for h in index.search(question, k=6)]
        assert plain.index("CHANGELOG.rst") < plain.index("src/net/adapters.py")
    finally:
        index.close()


def test_question_about_tests_keeps_tests_up(tmp_path: Path, hash_embedder: str) -> None:
    corpus, index = open_corpus(_repo(tmp_path))
    try:
        hits = symbol_search.search(corpus, index, "What does test_to_native_string check in the tests?", k=3)
        assert hits[0].chunk.span.path == "tests/test_utils.py"
    finally:
        index.close()
