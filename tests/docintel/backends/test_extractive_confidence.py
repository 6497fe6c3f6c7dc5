"""The extractive answer's confidence: what the best quotes say by themselves (not their search rank), against the
bar of their kind of document; and up to three quotes from different passages."""

from __future__ import annotations

from typing import Any

from docintel.answer import NO_CLEAR_ANSWER
from docintel.backends.extractive import MIN_CONFIDENCE, _pick, extractive_result
from docintel.backends.sentence_rank import (
    CODE_BLOCK_CHARS,
    CONFIDENT,
    EVIDENCE_BAR,
    Scored,
    Unit,
    calibrated,
    confidence,
    rank_units,
    split_units,
    unit_kind,
)
from docintel.corpus import SourceSpan
from docintel.prompt import CitedSpan, Prompt
from docintel.session import ask


def test_each_kinds_bar_sits_at_the_threshold_and_the_mapping_keeps_order() -> None:
    assert MIN_CONFIDENCE == CONFIDENT
    for kind, bar in EVIDENCE_BAR.items():
        assert abs(calibrated(bar, kind) - CONFIDENT) < 1e-9
        assert calibrated(0.0, kind) == 0.0 and calibrated(1.0, kind) == 1.0
        values = [calibrated(x / 20, kind) for x in range(21)]
        assert values == sorted(values)
    # code questions paraphrase the names away: the same evidence is enough in code, not in a contract
    assert calibrated(0.3, "code") >= CONFIDENT > calibrated(0.3, "text")


def test_the_kind_of_a_unit_comes_from_its_document() -> None:
    assert unit_kind(SourceSpan("src/app.py", 0, 10, 1, 1)) == "code"
    assert unit_kind(SourceSpan("Bed002.txt", 0, 10, 1, 1, speaker="Grad E")) == "transcript"
    assert unit_kind(SourceSpan("nda.txt", 0, 10, 1, 1)) == "text"
    cited = CitedSpan("3", SourceSpan("src/app.py", 0, 40, 1, 2), "def do_login():\n    return check_password()\n")
    assert {u.kind for u in split_units(cited, 0)} == {"code"}


def test_the_search_rank_alone_gives_no_confidence() -> None:
    """The top search hit is always ranked first, whether or not the corpus holds the answer: a sentence that is
    only ranked first is quoted first but is not a confident answer; one that uses the question's words is."""
    unrelated = Unit("1", "The parties signed this agreement in two counterparts.", "a.txt", 0, 55, 0)
    ranked = rank_units(
        "What is the warranty period for trucks?", [unrelated], (SourceSpan("a.txt", 0, 55, 1, 1),), embed=False
    )
    assert ranked[0].rank == 1.0 and ranked[0].score > 0.2
    assert ranked[0].evidence == 0.0 and confidence(ranked) < MIN_CONFIDENCE
    answering = Unit("2", "The warranty period for all trucks is twelve (12) months.", "a.txt", 60, 118, 1)
    ranked = rank_units("What is the warranty period for trucks?", [unrelated, answering], embed=False)
    assert ranked[0].unit.cid == "2" and confidence(ranked) >= MIN_CONFIDENCE


def _scored(cid: str, score: float) -> Scored:
    text = f"Sentence number {cid} of the candidate passages here."
    return Scored(Unit(cid, text, "a.txt", int(cid) * 100, int(cid) * 100 + len(text), int(cid)), score, 0, 0, 0, 0)


def test_up_to_three_quotes_from_different_passages_above_half_the_best() -> None:
    picked = _pick([_scored("1", 0.8), _scored("2", 0.5), _scored("3", 0.45), _scored("4", 0.3)], 3)
    assert [s.unit.cid for s in picked] == ["1", "2", "3"]  # 0.5 and 0.45 were dropped at 0.75 of the best
    picked = _pick([_scored("1", 0.8), _scored("2", 0.39)], 3)
    assert [s.unit.cid for s in picked] == ["1"]


SHOP = '''"""A small shop."""
from flask import Flask, redirect, request, session

app = Flask(__name__)


@app.route("/login", methods=["GET", "POST"])
def do_login():
    """Check the submitted user name and password and start a session."""
    if request.method == "POST" and check_password(request.form["user"], request.form["password"]):
        session["user"] = request.form["user"]
        return redirect("/")
    return redirect("/login")


def check_password(user, password):
    """A password is accepted when it is at least twelve characters long."""
    return bool(user) and len(password) >= 12
'''


def test_a_code_answer_is_confident_where_the_code_holds_it_and_not_where_it_does_not(tmp_path: Any) -> None:
    from docintel.index.corpus_index import open_corpus

    root = tmp_path / "shop"
    root.mkdir()
    (root / "app.py").write_text(SHOP, encoding="utf-8")
    corpus, index = open_corpus(root)
    answer = ask(corpus, index, "Where is the login handled and the password checked?")
    assert not answer.insufficient_context, answer.text
    assert answer.confidence is not None and answer.confidence >= MIN_CONFIDENCE
    assert answer.citations[0].span.path == "app.py"
    # the first quote is a line of the handler or of the password check (the gold of a code question is the
    # definition that answers it)
    handler = (SHOP.index("@app.route"), len(SHOP))
    assert handler[0] <= answer.citations[0].span.start < handler[1], answer.text
    absent = ask(corpus, index, "How are failed webhook deliveries retried with exponential backoff?")
    assert absent.insufficient_context and absent.text.startswith(NO_CLEAR_ANSWER), absent.text
    assert absent.confidence is not None and absent.confidence < MIN_CONFIDENCE


def test_a_prompt_without_ranking_still_reports_the_calibrated_confidence() -> None:
    text = "Either party may terminate this Agreement on sixty (60) days written notice to the other party."
    cited = CitedSpan("1", SourceSpan("nda.txt", 0, len(text), 1, 1), text)
    prompt = Prompt((), (cited,), "How many days of notice are needed to terminate the Agreement?", "full")
    result = extractive_result(prompt)
    assert result.found and result.quotes[0].unit.cid == "1"
    assert result.confidence == round(confidence(rank_units(prompt.question, split_units(cited, 0))), 3)


def test_code_is_quoted_in_blocks_a_definition_with_its_decorators() -> None:
    cited = CitedSpan("5", SourceSpan("app.py", 0, len(SHOP), 1, SHOP.count("\n")), SHOP)
    units = split_units(cited, 0)
    for u in units:
        assert SHOP[u.start : u.end] == u.text and u.kind == "code"
    route = next(u for u in units if u.text.startswith("@app.route"))
    assert "def do_login():" in route.text  # the decorator goes with its definition
    check = next(u for u in units if u.text.startswith("def check_password"))
    assert "len(password) >= 12" in check.text and "do_login" not in check.text  # a definition starts a block
    assert all(len(u.text) <= CODE_BLOCK_CHARS or "\n" not in u.text for u in units)
    # prose and transcripts keep their sentences and turns
    turns = "Grad E: We should record the meeting.\nGrad B: Agreed, I will set it up.\n"
    meeting = split_units(CitedSpan("6", SourceSpan("Bed002.txt", 0, len(turns), 1, 2, speaker="Grad E"), turns), 0)
    assert meeting and all("\n" not in u.text and u.kind == "transcript" for u in meeting)


def test_passages_outside_the_named_documents_rank_below_the_named_ones() -> None:
    """A guessed scope ("the Franchise Agreement": two franchise agreements) sends other documents' passages too,
    ranked by search; the answer quotes the named documents' clauses first, not a search hit from elsewhere."""
    inside = "This instrument shall be governed by and construed under the laws of the State of Texas."
    outside = "Governing Law. This Agreement shall be governed by the laws of the State of California."
    cited = (
        CitedSpan("1", SourceSpan("franchise.txt", 0, len(inside), 9, 9), inside),
        CitedSpan("2", SourceSpan("endorsement.txt", 0, len(outside), 24, 24), outside),
    )
    question = "What is the governing law of the Franchise Agreement?"
    ranked_by_search = (cited[1].span,)  # only the other document's clause was a search hit
    unscoped = extractive_result(Prompt((), cited, question, "full", ranked_spans=ranked_by_search))
    assert unscoped.quotes[0].unit.cid == "2"  # without a scope the search hit wins
    scoped = extractive_result(
        Prompt((), cited, question, "full", ranked_spans=ranked_by_search, scope=("franchise.txt",))
    )
    assert scoped.found and scoped.quotes[0].unit.cid == "1"
