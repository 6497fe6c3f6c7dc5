"""Labels as the document states them: Word auto-numbering, paged PDFs with running headers, subtitle cues.

Every document here is built for real (python-docx with numbering.xml definitions, reportlab PDFs, SRT/VTT
text) by tests/ingest/citation_docs.py; the assertions are the exact clause numbers, pages, times and speakers a
reader would check, through the one labelling path (docintel.cite.locators) that every route uses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from docintel.cite.locators import narrow, span_in
from docintel.corpus import Corpus, Document
from docintel.eval.fidelity import check_corpus
from docintel.index.chunks import build_chunks
from docintel.ingest import IngestOptions
from docintel.ingest.contract import ContractLoader
from docintel.ingest.extract import extract_pdf
from docintel.ingest.page_furniture import furniture_lines
from docintel.ingest.transcript import TranscriptLoader
from tests.ingest.citation_docs import (
    DIARIZED_SRT,
    DOCX_EXPECTED,
    PDF_FOOTER,
    PDF_HEADER,
    VOICE_VTT,
    add_numbering,
    karaoke_srt,
    pdf_clauses,
    set_num_pr,
    write_numbered_docx,
    write_paged_pdf,
)


def _contract(path: Path) -> Document:
    return ContractLoader().load(path.name, path.read_bytes(), IngestOptions())


def _transcript(name: str, text: str) -> Document:
    return TranscriptLoader().load(name, text.encode(), IngestOptions())


def _quote_span(doc: Document, phrase: str):  # type: ignore[no-untyped-def]
    start = doc.text.index(phrase)
    return span_in(doc, start, start + len(phrase))


@pytest.fixture(scope="module")
def docx_doc(tmp_path_factory: pytest.TempPathFactory) -> Document:
    return _contract(write_numbered_docx(tmp_path_factory.mktemp("docx") / "cloud_service_agreement.docx"))


@pytest.fixture(scope="module")
def pdf_doc(tmp_path_factory: pytest.TempPathFactory) -> Document:
    return _contract(write_paged_pdf(tmp_path_factory.mktemp("pdf") / "services_agreement.pdf"))


# ------------------------------------------------------------------------------------------------------ DOCX


def test_word_numbering_is_rendered_as_word_shows_it(docx_doc: Document) -> None:
    lines = docx_doc.text.split("\n")
    # Heading 1/2 styles name the list without a level: the level comes from w:pStyle, so sub-headings do not
    # advance the top counter (the off-by-one that labelled § 8 as § 9.1)
    assert "8. Limitation of Liability" in lines
    assert any(line.startswith("8.1 Liability Caps.") for line in lines)
    assert any(line.startswith("1.4 Feedback and Usage Data.") for line in lines)
    assert "Signatures" in lines  # numId 0 switches the style's numbering off
    # the order form's list instance restarts at 1 (startOverride); the amendment's list starts at 12
    assert "1. Subscription" in lines and "2. Fees" in lines and "12. Notices" in lines and "13. Counterparts" in lines


@pytest.mark.parametrize(("phrase", "clause"), sorted(DOCX_EXPECTED.items()))
def test_docx_quotes_carry_the_documents_own_clause_numbers(docx_doc: Document, phrase: str, clause: str) -> None:
    span = _quote_span(docx_doc, phrase)
    assert span.clause == clause
    assert span.label().endswith(f"§ {clause}") and span.page is None  # DOCX has no pages


def test_a_heading_keeps_its_number_and_its_body(docx_doc: Document) -> None:
    heading = _quote_span(docx_doc, "8. Limitation of Liability")
    assert heading.clause == "8"  # the heading line alone is § 8 ...
    segment = next(s for s in docx_doc.segments if s.span.start <= heading.start < s.span.end)
    assert "8.1 Liability Caps" in segment.text and segment.span.clause == "8.1"  # ... folded into the clause
    assert all(s.text.strip() != "8. Limitation of Liability" for s in docx_doc.segments)  # no heading-only entry


def test_word_counters_restart_continue_and_render_like_word(tmp_path: Path) -> None:
    """Shared abstract counters, lvlRestart 0 (never restart), isLgl-free letters, a third instance continuing."""
    import docx

    from tests.ingest.citation_docs import _lvl

    document = docx.Document()
    add_numbering(
        document,
        {
            950: [_lvl(0, "upperRoman", "Article %1"), _lvl(1, "decimal", "Section %2.", restart=0)],
            951: [_lvl(0, "lowerLetter", "(%1)", start=3)],
        },
        {950: (950, {}), 952: (950, {}), 953: (951, {})},
    )
    for text, num_id, ilvl in (
        ("Definitions", 950, 0),
        ("Defined terms apply.", 950, 1),
        ("Services", 950, 0),
        ("Provider performs the Services.", 950, 1),  # lvlRestart 0: Section 2, not Section 1
        ("Fees", 952, 0),  # another instance of the same list continues it: Article III
        ("Custom start item.", 953, 0),  # a list that starts at (c)
    ):
        set_num_pr(document.add_paragraph(text)._p, num_id, ilvl)
    path = tmp_path / "counters.docx"
    document.save(str(path))
    from docintel.ingest.extract import extract_docx

    assert extract_docx(path.name, path.read_bytes()).text.split("\n")[:6] == [
        "Article I Definitions",
        "Section 1. Defined terms apply.",
        "Article II Services",
        "Section 2. Provider performs the Services.",
        "Article III Fees",
        "(c) Custom start item.",
    ]


# ------------------------------------------------------------------------------------------------------- PDF


def test_running_headers_and_page_numbers_are_not_sections(pdf_doc: Document, tmp_path: Path) -> None:
    raw = extract_pdf("services_agreement.pdf", write_paged_pdf(tmp_path / "again.pdf").read_bytes())
    furniture = furniture_lines(raw.text, raw.page_starts)
    found = {raw.text[at : raw.text.index("\n", at)] for at in furniture}
    assert found == {PDF_HEADER} | {PDF_FOOTER.format(page=n, pages=4) for n in range(1, 5)}
    # gone from the contract's text: no outline entry, no quote can be a running header or a page number
    assert PDF_HEADER not in pdf_doc.text and "Page 1 of 4" not in pdf_doc.text
    assert not any(PDF_HEADER in (s.name or "") or "Page " in (s.name or "") for s in pdf_doc.segments)
    assert [s.span.page for s in pdf_doc.segments if "10.8 Governing Law" in s.text] == [4]


def test_every_pdf_clause_is_labelled_by_its_own_number(pdf_doc: Document) -> None:
    expected = [(line, clause) for line, clause in pdf_clauses() if clause]
    assert len(expected) == 41  # 27 in articles 1-9, 10.1 ... 10.10, and (a)(b) of 8.2 and 10.10: none missing
    for line, clause in expected:
        span = _quote_span(pdf_doc, line[line.index(" ") + 1 :])  # the words after the number
        assert span.clause == clause, line
    # the drift of the issue: governing law is 10.8 and assignment 10.10, on the page they are printed on
    governing = _quote_span(pdf_doc, "Governing Law. The provisions of clause 10.8")
    assert governing.label() == f"services_agreement.pdf:{governing.start_line} p. 4 § 10.8"
    assert _quote_span(pdf_doc, "the second condition of clause 10.10").clause == "10.10(b)"


def test_pdf_outline_has_no_heading_only_entries(pdf_doc: Document) -> None:
    for seg in pdf_doc.segments:
        body = [ln for ln in seg.text.split("\n") if ln.strip()]
        assert len(body) >= 2 or seg.text.rstrip().endswith((".", ";")), seg.text


def test_fidelity_is_total_on_the_built_contracts(docx_doc: Document, pdf_doc: Document) -> None:
    report = check_corpus(Corpus(Path("."), (docx_doc, pdf_doc))).to_dict()
    assert report["clauses"]["rate"] == 1.0 and report["clauses"]["numbered_lines"] >= 70
    assert report["outline"] == {"entries": report["outline"]["entries"], "running_headers": 0, "heading_only": 0}
    assert report["misses"] == []


# ------------------------------------------------------------------------------------------------ transcripts


def test_diarized_srt_prefixes_become_speakers_and_quotes_carry_their_cues() -> None:
    doc = _transcript("review.srt", DIARIZED_SRT)
    assert doc.text.split("\n")[:2] == [
        "[00:00:01] SPEAKER_00: Good morning, this is the quarterly budget review. We will start with the "
        "hardware line.",
        "[00:00:08] SPEAKER_04: The hardware budget is forty thousand dollars. and it covers the new laptops.",
    ]
    laptops = _quote_span(doc, "it covers the new laptops")  # cue 4 (no prefix: continues SPEAKER_04)
    assert (laptops.speaker, laptops.start_time, laptops.end_time) == ("SPEAKER_04", 12.6, 15.0)
    travel = _quote_span(doc, "Travel is capped at five thousand per quarter.")
    assert travel.label() == "review.srt:4 SPEAKER_04 [00:18:43]"  # the cue's own time, not its chunk's
    assert (travel.start_time, travel.end_time) == (1123.0, 1127.5)


def test_vtt_voice_tags_and_broadcast_chevrons() -> None:
    doc = _transcript("vendors.vtt", VOICE_VTT)
    quote = _quote_span(doc, "Acme offered the lowest price per seat.")
    assert (quote.speaker, quote.start_time, quote.end_time) == ("Maria Lopez", 568.0, 573.5)
    assert quote.label() == "vendors.vtt:1 Maria Lopez [00:09:28]"
    tom = _quote_span(doc, "We still need a security review of Acme.")
    assert (tom.speaker, tom.start_time) == ("Tom Baker", 574.0)
    unnamed = _quote_span(doc, "I can run that review next week.")  # ">>" alone: someone else, unnamed
    assert (unnamed.speaker, unnamed.start_time) == (None, 578.5)
    assert [s.span.speaker for s in doc.segments] == ["Maria Lopez", "Tom Baker", None]


def test_karaoke_export_reads_as_the_sentence_it_is() -> None:
    raw = karaoke_srt()
    assert "{\\c&H00FFFF&}" in raw and raw.count("launch") == 11  # every cue repeats the growing line
    doc = _transcript("launch.srt", raw)
    assert doc.text == "[00:01:00] JUNE: the launch date moves to the ninth of March\n"
    ninth = _quote_span(doc, "ninth of March")
    assert (ninth.speaker, ninth.start_time, ninth.end_time) == ("JUNE", 63.0, 66.0)  # re-shown to 66 s


def test_retrieval_chunks_narrow_to_the_quoted_cue() -> None:
    """A chunk merges several turns; a quote from its middle carries its own cue's time and speaker."""
    doc = _transcript("review.srt", DIARIZED_SRT)
    (chunk,) = build_chunks(doc)
    assert chunk.span.start_time == 1.0 and chunk.span.speaker is None  # the chunk: two speakers
    phrase = "Travel is capped at five thousand per quarter."
    start = doc.text.index(phrase)
    quote = narrow(chunk.span, start, start + len(phrase), 4, 4, phrase)
    assert (quote.speaker, quote.start_time, quote.end_time) == ("SPEAKER_04", 1123.0, 1127.5)
    fidelity = check_corpus(Corpus(Path("."), (doc, _transcript("v.vtt", VOICE_VTT)))).to_dict()
    assert fidelity["transcripts"]["rate"] == 1.0 and fidelity["transcripts"]["cues"] == 10
