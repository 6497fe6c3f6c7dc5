from __future__ import annotations

import pytest

from docintel.routers.questions import classify_question


@pytest.mark.parametrize(
    "question,expected",
    [
        ("Which law governs this agreement?", "lookup"),
        ("Where is the password hashed?", "lookup"),
        ("List every function or method in this codebase that calls `sys.exc_info(...)`.", "aggregate"),
        ("Find all places where the session cookie is set.", "aggregate"),
        ("How many contracts have a non-compete clause?", "aggregate"),
        ("In how many meetings did the budget come up?", "aggregate"),
        ("Where is the session cookie set, and how many times is it refreshed?", "aggregate"),
        # "how many" inside a lookup is what the answer tells, not a count over the corpus
        ("Where does requests decide how many redirects to follow before raising TooManyRedirects?", "lookup"),
        ("What limits how many retries the adapter makes?", "lookup"),
        ("In meeting ES2009d: Summarize the whole meeting.", "summary"),
        ("Give me an overview of this repository.", "summary"),
        ("In meeting Bmr012: What was the general discussion?", "summary"),
        ("Compare the termination clauses of the two agreements.", "multi_hop"),
        ("What is the difference between login and register?", "multi_hop"),
        # summarizing one topic is a lookup of the parts about it
        ("In meeting TS3009d: Summarize the Project Manager's perspective on the prototype.", "lookup"),
        ("Summarize the discussion about setting up the recording equipment", "lookup"),
    ],
)
def test_question_types(question: str, expected: str) -> None:
    assert classify_question(question).type == expected


def test_features_name_the_cue_that_decided() -> None:
    analysis = classify_question("List every caller of open()")
    assert analysis.type == "aggregate"
    assert any("list every" in f for f in analysis.features)


def test_question_across_documents_is_an_aggregate() -> None:
    for q in (
        "Which of the agreements allow assignment without consent?",
        "Which of these NDAs survive termination?",
        "Do any of the contracts have a non-compete clause?",
    ):
        assert classify_question(q).type == "aggregate", q


def test_question_across_documents_is_told_from_one_about_a_named_document() -> None:
    from docintel.routers.questions import asks_across_documents

    assert asks_across_documents("Which of the agreements are governed by the laws of Georgia?")
    assert asks_across_documents("Do any of the contracts have a non-compete clause?")
    assert not asks_across_documents("Summarize the Endorsement Agreement between Mossimo and David Duval.")
    assert not asks_across_documents("List every obligation of the Supplier in the Mossimo agreement.")
