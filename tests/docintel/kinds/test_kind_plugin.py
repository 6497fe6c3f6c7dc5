"""The "Adding a document kind" walkthrough of CONTRIBUTING.md, done in a test: a tiny ``.eml`` kind (headers From,
To, Subject, Date and a body) added through the plug-in registry only — no package module is edited — and then
a question asked of a folder of mail, as a user would, with the extractive backend."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

import docintel
from docintel.assemble.corpus_map import build_corpus_map
from docintel.corpus import Document, Segment, SourceSpan
from docintel.ingest import IngestOptions, decode_utf8, sha256_bytes
from docintel.ingest.lines import LineIndex
from docintel.kinds import DocumentKind, FileSample, OutlineNode, register, unregister
from docintel.kinds.base import budgeted, document_label, document_span
from docintel.tokens import count_tokens


class EmailLoader:
    """One message: its header block and its body, each a segment whose span names the sender (``speaker``)."""

    kind = "email"

    def load(self, rel_path: str, data: bytes, options: IngestOptions) -> Document:
        text = decode_utf8(rel_path, data)
        message = email.message_from_string(text, policy=email.policy.default)
        sender = str(message["From"] or "") or None
        subject = str(message["Subject"] or "") or None
        blank = text.find("\n\n")
        header_end = len(text) if blank < 0 else blank + 1
        lines = LineIndex(text)

        def segment(start: int, end: int, unit: str) -> Segment:
            first, last = lines.line_range(start, end)
            span = SourceSpan(rel_path, start, end, first, last, speaker=sender)
            return Segment(text[start:end], span, count_tokens(text[start:end]), unit, subject)

        parts = [(0, header_end, "headers"), (header_end, len(text), "body")]
        return Document(
            path=rel_path,
            kind="email",
            language="email",
            sha256=sha256_bytes(data),
            size=len(data),
            text=text,
            segments=tuple(segment(s, e, unit) for s, e, unit in parts if e > s),
        )


def headers(document: Document) -> email.message.EmailMessage:
    return email.message_from_string(document.text, policy=email.policy.default)  # type: ignore[return-value]


class EmailKind(DocumentKind):
    name = "email"
    title = "Mail"
    map_title = "Mail: senders, recipients and subjects"
    loader = EmailLoader
    priority = 35  # before prose detection (a message can look like a transcript: "From: ...")
    span_fields = ("speaker",)

    def detect(self, sample: FileSample) -> str | None:
        return "email message" if sample.suffix == ".eml" else None

    def map_section(self, documents: Sequence[Document], budget_tokens: int) -> list[str]:
        lines = []
        for d in documents:
            h = headers(d)
            lines.append(f"{d.path}: {h['From']} -> {h['To']}, {h['Date']}: {h['Subject']}")
        return budgeted(lines, budget_tokens)

    def outline(self, documents: Sequence[Document]) -> list[OutlineNode]:
        return [
            OutlineNode(
                document_label(d, str(headers(d)["Subject"])),
                document_span(d),
                tuple(OutlineNode(s.unit, s.span) for s in d.segments),
            )
            for d in documents
        ]


@pytest.fixture
def email_kind() -> Iterator[EmailKind]:
    kind = register(EmailKind())
    try:
        yield kind
    finally:
        unregister("email")


def write_mailbox(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "budget.eml").write_text(
        "From: Dana Ruiz <dana@example.org>\nTo: finance-team@example.org\nSubject: Budget review moved\n"
        "Date: Mon, 3 Mar 2025 09:12:00 +0000\n\n"
        "Hi all,\n\nThe budget review moved to Thursday at 3 pm in room 4B.\nPlease bring the Q1 forecasts.\n\nDana\n"
    )
    (root / "offsite.eml").write_text(
        "From: Lee Park <lee@example.org>\nTo: all@example.org\nSubject: Offsite venue\n"
        "Date: Tue, 4 Mar 2025 16:40:00 +0000\n\nThe offsite will be at the lake house in May.\n"
    )
    (root / "README.md").write_text("# Mail export\n\nMessages exported from the team inbox.\n")
    return root


@pytest.mark.usefixtures("hash_embedder")
def test_an_eml_kind_added_through_the_registry_answers_a_question(tmp_path: Path, email_kind: EmailKind) -> None:
    root = write_mailbox(tmp_path / "mail")
    with docintel.open(root, backend="extractive") as session:
        kinds = {d.path: d.kind for d in session.corpus.documents}
        assert kinds == {"budget.eml": "email", "offsite.eml": "email", "README.md": "text"}
        corpus_map = build_corpus_map(session.corpus)
        assert "## Mail: senders, recipients and subjects" in corpus_map
        assert "budget.eml: Dana Ruiz <dana@example.org> -> finance-team@example.org" in corpus_map

        answer = session.ask("When is the budget review?")
        cited = [c for c in answer.citations if c.span.path == "budget.eml"]
        assert cited, answer.text
        assert "Thursday at 3 pm" in " ".join(c.quote for c in cited)
        # the kind's span field went through chunking, the store and citation to the label
        assert any("Dana Ruiz <dana@example.org>" in c.span.label() for c in cited)
    [message] = [n for n in email_kind.outline([session.corpus.document("budget.eml")])]
    assert message.label.startswith("Budget review moved") and [c.label for c in message.children] == [
        "headers",
        "body",
    ]


def test_without_the_plug_in_an_eml_file_is_plain_text_and_the_ingest_cache_knows(tmp_path: Path) -> None:
    """The ingest cache keys on the registered kinds: registering one later re-reads the files it claims."""
    from docintel.ingest import load_corpus

    root = write_mailbox(tmp_path / "mail")
    assert {d.kind for d in load_corpus(root).documents} == {"text"}
    register(EmailKind())
    try:
        assert {d.path: d.kind for d in load_corpus(root).documents}["budget.eml"] == "email"
    finally:
        unregister("email")
    assert {d.kind for d in load_corpus(root).documents} == {"text"}
