"""The extractive backend quotes the right evidence with its citation id, and says plainly when there is none."""

from __future__ import annotations

from typing import Any

from docintel.answer import NO_CLEAR_ANSWER, TextDelta, UsageEvent
from docintel.assemble.context import INSUFFICIENT_MARKER
from docintel.backends.extractive import HEADING, MIN_CONFIDENCE, ExtractiveBackend, extractive_answer
from docintel.backends.sentence_rank import Unit, answer_type, rank_units, split_units
from docintel.corpus import SourceSpan
from docintel.pipeline import build_prompt, plan_question
from docintel.prompt import CitedSpan, Prompt, PromptBlock
from docintel.session import ask


def test_governing_law_is_quoted_and_cited_at_the_clause(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    answer = ask(corpus, index, "Which law governs this agreement?")
    assert "State of Delaware" in answer.text
    assert not answer.insufficient_context and answer.invalid_citations == ()
    first = answer.citations[0]
    assert first.span.path == "supply_agreement.md"
    assert "governed by the laws of the State of Delaware" in first.quote
    doc = corpus.document("supply_agreement.md")
    assert doc.text[first.span.start : first.span.end] == first.quote
    assert first.span.start_line == doc.text[: first.span.start].count("\n") + 1
    assert f"[{first.id}]" in answer.text


def test_code_and_transcript_lookups(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    answer = ask(corpus, index, "Who will own the launch checklist?")
    assert answer.citations and answer.citations[0].span.path == "launch_meeting.txt"
    assert "launch checklist" in answer.citations[0].quote and answer.citations[0].span.speaker == "Bob"
    answer = ask(corpus, index, "How is the password hashed with pbkdf2?")
    # the definition that hashes first; further quotes may be code that calls it, never the contract or meeting
    assert answer.citations and answer.citations[0].span.path == "app/auth.py"
    assert "pbkdf2" in answer.citations[0].quote.lower()
    assert all(c.span.path.endswith(".py") for c in answer.citations)


def test_absent_answer_says_plainly_no_clear_answer_without_the_internal_marker(
    qa_corpus_index: tuple[Any, Any],
) -> None:
    corpus, index = qa_corpus_index
    answer = ask(corpus, index, "What is the warranty period for refrigerated trucks?")
    assert answer.insufficient_context
    assert answer.text.startswith(NO_CLEAR_ANSWER) and INSUFFICIENT_MARKER not in answer.text
    assert answer.confidence is not None and answer.confidence < MIN_CONFIDENCE
    assert answer.to_dict()["confidence"] == answer.confidence
    # what it lists is labelled evidence, not an answer
    assert "as evidence only" in answer.text


def test_streams_text_then_one_zero_cost_usage_event(qa_corpus_index: tuple[Any, Any]) -> None:
    corpus, index = qa_corpus_index
    backend = ExtractiveBackend()
    plan = plan_question(corpus, index, "Which law governs this agreement?", profile=backend.profile)
    prompt = build_prompt(corpus, index, plan, profile=backend.profile)
    events = list(backend.generate(prompt))
    assert all(isinstance(e, TextDelta) for e in events[:-1]) and isinstance(events[-1], UsageEvent)
    usage = events[-1].usage
    assert events[-1].confidence is not None and events[-1].confidence >= MIN_CONFIDENCE
    assert events[-1].insufficient is False
    assert usage.cost_usd == 0.0 and usage.cache_read_tokens == 0
    assert usage.input_tokens == prompt.estimated_tokens > 0 and usage.output_tokens > 0


def test_prefers_full_sentences_over_headings_and_ranks_by_coverage() -> None:
    texts = [
        "5.1 Governing Law.\n",
        "Notices must be in writing.\n",
        "This Agreement is governed by the laws of England and Wales.\n",
    ]
    cited = tuple(
        CitedSpan(str(i + 1), SourceSpan("c.md", i * 100, i * 100 + len(t), i + 1, i + 1), t)
        for i, t in enumerate(texts)
    )
    prompt = Prompt((PromptBlock("question", "q"),), cited, "Which law governs it?", "retrieve")
    text = extractive_answer(prompt)
    assert text.index("England and Wales. [3]") < len(text)
    assert "Notices" not in text and "[1]" not in text


def test_a_paraphrased_question_is_answered_by_meaning(examples_dir: Any) -> None:
    """No sentence of the sample contract says "cap": the clause is found by embedding similarity instead."""
    from docintel.index.corpus_index import open_corpus

    corpus, index = open_corpus(examples_dir / "contract")
    answer = ask(corpus, index, "What is the liability cap?")
    # quoted as the answer or, near the confidence threshold, as the best evidence (chunking moves it by a few 0.01)
    assert answer.text.startswith((HEADING, NO_CLEAR_ANSWER))
    cap = [c for c in answer.citations if c.span.clause == "8.4"]  # among the (at most 3) quotes
    assert len(answer.citations) <= 3 and cap and cap[0].span.path == "master_services_agreement.md"
    assert "SHALL NOT EXCEED THE FEES PAID OR PAYABLE" in cap[0].quote
    # an unrelated question is "not found", and rated well below the paraphrase
    unrelated = ask(corpus, index, "What is the capital of France?")
    assert unrelated.insufficient_context
    assert unrelated.confidence is not None and answer.confidence is not None
    assert unrelated.confidence < answer.confidence - 0.1


LICENSE = """LICENSE AGREEMENT

This License Agreement is made between Northwind Software, Inc., a corporation organized under the laws of the
State of Delaware ("Licensor"), and Harbor Freight Lines LLC ("Licensee").

1. Grant. Licensor grants Licensee a non-exclusive license to use the Software at its own sites.

2. Representations. Each party represents that it is in compliance with all Applicable Law, including export
control laws, and holds every permit that Applicable Law requires for its business.

(e) Compliance. Licensee shall use the Software only as permitted by applicable law and this Agreement.

3. Fees. Licensee shall pay the fees in Schedule B within thirty (30) days of each invoice.

4. Governing Law. This Agreement shall be governed by and construed in accordance with the laws of the
Commonwealth of Pennsylvania, without regard to its conflict of laws principles.

5. Notices. Notices shall be given in writing to the addresses above.
"""


def test_governing_law_clause_beats_applicable_law_and_incorporation_decoys(tmp_path: Any) -> None:
    """The clause that names the governing law is quoted first, not the "Applicable Law" representation, the
    "organized under the laws of Delaware" preamble or the "(e) Compliance" sentence beside it."""
    from docintel.index.corpus_index import open_corpus

    root = tmp_path / "licenses"
    root.mkdir()
    (root / "northwind_license.txt").write_text(LICENSE, encoding="utf-8")
    corpus, index = open_corpus(root)
    answer = ask(corpus, index, "What is the governing law of the License Agreement between Northwind and Harbor?")
    assert not answer.insufficient_context and answer.confidence is not None
    first = answer.citations[0]
    assert "Commonwealth of Pennsylvania" in first.quote, answer.text
    assert LICENSE[first.span.start : first.span.end] == first.quote
    assert "Delaware" not in answer.text.split("\n")[2]


def _cited(texts: list[str], path: str = "c.md") -> tuple[CitedSpan, ...]:
    out, at = [], 0
    for i, t in enumerate(texts):
        out.append(CitedSpan(str(i + 1), SourceSpan(path, at, at + len(t), i + 1, i + 1), t))
        at += len(t) + 1
    return tuple(out)


def test_units_keep_their_exact_offsets_in_the_document() -> None:
    doc = "Intro line here.\n\nThe Term is three (3) years. Either party may end it on notice.\n"
    cited = CitedSpan("7", SourceSpan("a.txt", 100, 100 + len(doc), 5, 8), doc)
    units = split_units(cited, 0)
    assert [u.text for u in units] == [
        "Intro line here.",
        "The Term is three (3) years.",
        "Either party may end it on notice.",
    ]
    for u in units:
        assert doc[u.start - 100 : u.end - 100] == u.text and u.cid == "7"


def test_the_search_ranking_breaks_a_tie_between_sentences_with_the_same_words() -> None:
    texts = ["The login handler checks the session token here.", "The login handler checks the session token there."]
    cited = _cited(texts)
    units = [u for i, c in enumerate(cited) for u in split_units(c, i)]
    top_second = rank_units("where is the login handler?", units, (cited[1].span,), embed=False)
    assert top_second[0].unit.cid == "2" and top_second[0].rank == 1.0 and top_second[1].rank == 0.0
    top_first = rank_units("where is the login handler?", units, (cited[0].span,), embed=False)
    assert top_first[0].unit.cid == "1"


def test_inside_a_document_read_whole_the_sentence_that_says_it_beats_the_top_hits_neighbour() -> None:
    """The search rank lifts every sentence of a passage alike: it breaks ties, it does not outweigh a sentence
    that uses the question's distinctive words (NDA questions: the top hit is often the neighbouring clause)."""
    texts = [
        "The Receiving Party shall hold the Confidential Information in strict confidence under this Agreement.",
        "The Receiving Party may disclose Confidential Information to its employees who need to know it.",
    ]
    cited = _cited(texts)
    units = [u for i, c in enumerate(cited) for u in split_units(c, i)]
    question = "Does the Agreement allow the Receiving Party to share Confidential Information with its employees?"
    ranked = rank_units(question, units, (cited[0].span, cited[1].span), embed=False)
    assert ranked[0].unit.cid == "2" and ranked[0].rank < ranked[1].rank


def test_question_words_are_case_folded_and_stemmed() -> None:
    units = [Unit("1", "THIS AGREEMENT IS GOVERNED BY THE LAWS OF ENGLAND.", "c.md", 0, 50, 0)]
    (scored,) = rank_units("Which laws govern it?", units, embed=False)
    assert scored.words == 1.0


def test_the_answer_type_lifts_the_sentence_that_holds_what_was_asked() -> None:
    assert answer_type("How long is the notice period for termination?") == "duration"
    assert answer_type("Which state's law governs the agreement?") == "law"
    assert answer_type("When does the agreement start?") == "date"
    assert answer_type("Who introduced the speaker at the start of the webinar?") == "person"
    assert answer_type("Where is login handled?") == "code"
    assert answer_type("Summarize the meeting") is None
    units = [
        Unit("1", "Termination requires written notice to the other party.", "c.md", 0, 55, 0),
        Unit("2", "Termination requires ninety (90) days written notice.", "c.md", 60, 113, 1),
    ]
    best = rank_units("How long is the notice period for termination?", units, embed=False)[0]
    assert best.unit.cid == "2" and best.type_match == 1.0


FLASK_APP = '''"""A small Flask shop."""
from flask import Flask, redirect, render_template, request, session

app = Flask(__name__)


@app.route("/")
def index():
    return render_template("index.html")


@app.route("/login", methods=["GET", "POST"])
def do_login():
    """Check the submitted user name and password and start a session."""
    if request.method == "POST" and check_password(request.form["user"], request.form["password"]):
        session["user"] = request.form["user"]
        return redirect("/")
    return render_template("login.html", error="Invalid login")


def check_password(user, password):
    return bool(user) and len(password) >= 12
'''


def test_a_code_question_quotes_the_code_not_a_bundled_password_list(tmp_path: Any) -> None:
    """The issue's case: "where is login handled?" quoted a line of a bundled password list; search ranks the real
    handler first, and so does the answer."""
    from docintel.index.corpus_index import open_corpus

    root = tmp_path / "shop"
    root.mkdir()
    (root / "app.py").write_text(FLASK_APP, encoding="utf-8")
    words = [f"{w}{n}" for n in range(400) for w in ("login", "route", "admin", "secret", "handled")]
    (root / "passwords.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    corpus, index = open_corpus(root)
    answer = ask(corpus, index, "Where is login handled?")
    assert answer.citations and answer.citations[0].span.path == "app.py"  # as answer or as best evidence
    assert all(c.span.path == "app.py" for c in answer.citations)
    assert any("do_login" in c.quote or "check_password" in c.quote for c in answer.citations), answer.text


def test_code_is_quoted_as_written_in_a_fenced_block_and_cited_at_its_lines(tmp_path: Any) -> None:
    """A code quote keeps its line breaks and indentation (joined into one line, a comment swallowed the statements
    after it) in a fenced block tagged with the language; its citation follows the block and names its lines."""
    from docintel.index.corpus_index import open_corpus

    root = tmp_path / "shop"
    root.mkdir()
    (root / "app.py").write_text(FLASK_APP, encoding="utf-8")
    corpus, index = open_corpus(root)
    answer = ask(corpus, index, "Where is login handled?")
    assert "```python\n" in answer.text
    block = answer.text.split("```python\n", 1)[1].split("\n```", 1)[0]
    assert "\n" in block and not block.startswith(" ")  # lines kept, dedented
    assert block in FLASK_APP  # verbatim lines of the file
    cited = answer.citations[0]
    first_line = FLASK_APP[: FLASK_APP.index(block.splitlines()[0])].count("\n") + 1
    assert cited.span.path == "app.py" and cited.span.start_line == first_line
    assert cited.span.end_line == first_line + block.count("\n")


def test_code_that_holds_a_fence_is_quoted_in_a_longer_one() -> None:
    from docintel.backends.extractive import _quote_lines
    from docintel.backends.sentence_rank import Scored

    text = 'def help(self):\n        """Usage:\n        ```\n        rules.add(r)\n        ```\n        """'
    unit = Unit("5", text, "pkg/doc.py", 4, 4 + len(text), 0, "code", indent=4)
    lines = _quote_lines([Scored(unit, 1.0, 1.0, 1.0, 1.0, 0.0)])
    assert lines[0] == "````python" and lines[2] == "````" and lines[3] == "[5]"
    assert lines[1].startswith('def help(self):\n    """Usage:\n    ```')
