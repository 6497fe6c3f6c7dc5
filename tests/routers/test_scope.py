"""Which document a question names, from file names weighted by how rare their words are in the corpus."""

from __future__ import annotations

from docintel.routers.scope import named_documents

NDA_TEXT = "This Non-Disclosure Agreement protects Confidential Information of the Disclosing Party."
DOCS = [
    ("Bed002.txt", "Grad A: the recording equipment is set up.", "transcript"),
    ("Bed010.txt", "Professor: let us discuss the belief net.", "transcript"),
    ("Kenway-NDA-Form-Blank.txt", "Kenway Ltd. " + NDA_TEXT, "contract"),
    ("ExcelerateStandardNDAFormat.txt", "Excelerate Energy. " + NDA_TEXT, "contract"),
    ("Mutual-Confidentiality-Agreement.txt", NDA_TEXT, "contract"),
    ("src/caching.py", "def cache(): pass", "code"),
    ("docs/caching.rst", "Caching\n=======\nHow caching works.", "text"),
]


def test_exact_distinctive_stem_wins() -> None:
    match = named_documents("In meeting Bed002: Summarize the meeting", DOCS)
    assert match is not None and match.paths == ("Bed002.txt",)


def test_name_words_weighted_by_rarity() -> None:
    match = named_documents("Consider Kenway's Non-Disclosure Agreement; does it allow oral disclosure?", DOCS)
    assert match is not None and match.paths == ("Kenway-NDA-Form-Blank.txt",)
    match = named_documents("Consider Excelerate's Non-Disclosure Agreement; may information be retained?", DOCS)
    assert match is not None and match.paths == ("ExcelerateStandardNDAFormat.txt",)


def test_common_words_and_code_concepts_name_nothing() -> None:
    assert named_documents("Does the agreement protect confidential information?", DOCS) is None
    assert named_documents("How does caching work in the request cycle?", DOCS) is None
    assert named_documents("What does the professor think?", DOCS) is None
