"""Contract loader on real PDFs (reportlab) and DOCX files (python-docx) built here, the sample and CUAD."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from docintel.corpus import Document
from docintel.errors import InputError
from docintel.ingest import IngestOptions, load_corpus
from docintel.ingest.contract import ContractLoader

PAGES = [
    [
        "MASTER SUPPLY AGREEMENT",
        "",
        "ARTICLE I - DEFINITIONS",
        "",
        '1.1 "Affiliate" means any entity that controls, is controlled by or is under',
        "common control with a Party.",
        "",
        '1.2 "Confidential Information" shall mean all non-public information disclosed',
    ],
    [
        "by either Party, marked confidential.",  # clause 1.2 runs on to page 2
        "",
        "ARTICLE II - TERM",
        "",
        "2.1 Term. This Agreement continues for three (3) years from the Effective Date",
        '(the "Initial Term").',
        "",
        "2.2 Renewal. This Agreement renews for one (1) year periods unless a Party",
        "objects in writing.",
    ],
    [
        "ARTICLE VIII - LIABILITY",
        "",
        "8.4 Limitation of Liability. Neither Party is liable for:",
        "(a) indirect damages;",
        "(b) lost profits, except for:",
        "(i) breach of confidentiality; and",
        "(ii) wilful misconduct.",
        "",
        "8.5 Governing Law. This Agreement is governed by the laws of the State of Delaware.",
    ],
]


def make_pdf(pages: list[list[str]]) -> bytes:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    for lines in pages:
        y = 740
        for line in lines:
            c.drawString(72, y, line)
            y -= 16
        c.showPage()
    c.save()
    return buf.getvalue()


def load(name: str, data: bytes) -> Document:
    doc = ContractLoader().load(name, data, IngestOptions())
    assert "".join(s.text for s in doc.segments) == doc.text  # segments tile the text
    for seg in doc.segments:
        assert doc.text[seg.span.start : seg.span.end] == seg.text
    return doc


def by_clause(doc: Document) -> dict[str, list]:
    out: dict[str, list] = {}
    for seg in doc.segments:
        if seg.span.clause:
            out.setdefault(seg.span.clause, []).append(seg)
    return out


def test_pdf_clauses_pages_and_terms() -> None:
    doc = load("msa.pdf", make_pdf(PAGES))
    assert doc.kind == "contract" and doc.language == "pdf"
    clauses = by_clause(doc)
    assert {"1.1", "1.2", "2.1", "2.2", "8.4", "8.4(a)", "8.4(b)", "8.4(b)(i)", "8.4(b)(ii)", "8.5"} <= set(clauses)
    assert clauses["1.1"][0].span.page == 1
    # a clause that crosses a page is cut there: each piece keeps the clause number and has its own page
    assert [(seg.span.page, seg.text.strip()[-20:]) for seg in clauses["1.2"]] == [
        (1, "nformation disclosed"),
        (2, "marked confidential."),
    ]
    assert clauses["2.2"][0].span.page == 2
    assert clauses["8.4(b)(ii)"][0].span.page == 3
    assert "wilful misconduct" in clauses["8.4(b)(ii)"][0].text
    assert clauses["8.5"][0].name == "8.5 Governing Law"
    assert "State of Delaware" in clauses["8.5"][0].text
    terms = {d.name: d for d in doc.definitions}
    assert {"Affiliate", "Confidential Information", "Initial Term"} <= set(terms)
    affiliate = terms["Affiliate"]
    assert affiliate.kind == "term" and affiliate.span.page == 1 and affiliate.span.clause == "1.1"
    definition = doc.text[affiliate.span.start : affiliate.span.end]
    assert definition.startswith('1.1 "Affiliate" means') and "control" in definition
    assert terms["Initial Term"].span.page == 2


def test_corrupt_pdf_is_skipped_with_reason(tmp_path: Path) -> None:
    (tmp_path / "good.pdf").write_bytes(make_pdf(PAGES))
    (tmp_path / "broken.pdf").write_bytes(make_pdf(PAGES)[:700])
    corpus = load_corpus(tmp_path)
    assert [d.path for d in corpus.documents] == ["good.pdf"]
    [skipped] = corpus.skipped
    assert skipped.path == "broken.pdf"
    assert skipped.reason.startswith("corrupt PDF") and "re-export" in skipped.reason
    assert "\n" not in skipped.reason


def test_scanned_pdf_without_text_says_ocr_unsupported() -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.rect(100, 100, 200, 200, fill=1)  # an image-like page: no text layer
    c.showPage()
    c.save()
    with pytest.raises(InputError, match=r"no extractable text.*OCR is not supported"):
        ContractLoader().load("scan.pdf", buf.getvalue(), IngestOptions())


def _numbered_docx() -> bytes:
    """Headings, Word auto-numbering (1. / 1.1 / (a) from numbering.xml), a table and definitions."""
    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    numbering = document.part.numbering_part.element
    levels = [("decimal", "%1."), ("decimal", "%1.%2"), ("lowerLetter", "(%3)"), ("lowerRoman", "(%4)")]
    lvl_xml = "".join(
        f'<w:lvl w:ilvl="{n}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
        for n, (fmt, text) in enumerate(levels)
    )
    numbering.insert(0, parse_xml(f'<w:abstractNum {w} w:abstractNumId="90">{lvl_xml}</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {w} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text: str, level: int) -> None:
        p = document.add_paragraph(text)
        p._p.get_or_add_pPr().append(
            parse_xml(f'<w:numPr {w}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>')
        )

    document.add_heading("SERVICES AGREEMENT", level=0)
    document.add_paragraph('This Services Agreement (the "Agreement") is made between Acme Corp and Beta LLC.')
    numbered("Definitions", 0)
    numbered('"Services" means the consulting services described in Schedule 1.', 1)
    numbered('"Fees" means the amounts set out in the table below.', 1)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Milestone", "Fee"
    table.cell(1, 0).text, table.cell(1, 1).text = "Kick-off", "USD 10,000"
    numbered("Termination", 0)
    numbered("Either party may terminate this Agreement:", 1)
    numbered("for material breach not cured within 30 days;", 2)
    numbered("on insolvency of the other party, including:", 2)
    numbered("a bankruptcy filing; or", 3)
    numbered("a general assignment for creditors.", 3)
    numbered("Termination does not affect accrued rights.", 1)
    document.add_heading("Governing Law", level=1)
    document.add_paragraph("This Agreement is governed by the laws of the State of New York, and the parties agree.")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def test_docx_auto_numbering_headings_table_terms() -> None:
    doc = load("services.docx", _numbered_docx())
    assert doc.kind == "contract" and doc.language == "docx"
    assert all(seg.span.page is None for seg in doc.segments)  # DOCX has no stable pages
    assert '1.1 "Services" means' in doc.text  # auto-numbers rendered into the extracted text
    assert "Milestone | Fee\nKick-off | USD 10,000" in doc.text  # table rows as text lines
    clauses = by_clause(doc)
    assert {"1.1", "1.2", "2.1", "2.1(a)", "2.1(b)", "2.1(b)(i)", "2.1(b)(ii)", "2.2"} <= set(clauses)
    assert clauses["2.1(b)(ii)"][0].text.startswith("(ii) a general assignment")
    assert clauses["2.1(a)"][0].name == "2.1(a) Termination"
    assert "Kick-off | USD 10,000" in clauses["1.2"][0].text
    governing = next(s for s in doc.segments if s.name == "Governing Law")
    assert "State of New York" in governing.text and governing.unit == "heading"
    terms = {d.name: d for d in doc.definitions}
    assert {"Agreement", "Services", "Fees"} <= set(terms)
    services = terms["Services"]
    assert doc.text[services.span.start : services.span.end] == (
        '1.1 "Services" means the consulting services described in Schedule 1.'
    )
    assert services.span.clause == "1.1"


def test_corrupt_docx_raises_one_line() -> None:
    with pytest.raises(InputError, match=r"^corrupt DOCX \(.*\): re-export x.docx or remove it$"):
        ContractLoader().load("x.docx", b"PK\x03\x04 not really a zip", IngestOptions())


def test_unnumbered_text_loads_as_paragraph_windows() -> None:
    text = ("We met on Tuesday and talked about the garden. " * 40 + "\n\n") * 6
    doc = load("notes.txt", text.encode())
    assert doc.kind == "text"
    assert doc.segments and all(s.unit == "paragraphs" and s.span.clause is None for s in doc.segments)
    assert max(s.tokens for s in doc.segments) <= 400


def test_sample_contract(examples_dir: Path) -> None:
    path = examples_dir / "contract" / "master_services_agreement.md"
    doc = load(path.name, path.read_bytes())
    assert doc.kind == "contract" and doc.language == "markdown"
    clauses = by_clause(doc)
    law = clauses["12.1"][0]
    assert law.name == "12.1 Governing Law" and "State of Delaware" in law.text
    assert clauses["8.4"][0].name == "8.4 Limitation of Liability"
    assert "9.3(c)(ii)" in clauses and "5.2(d)" in clauses
    terms = {d.name for d in doc.definitions}
    assert {"Confidential Information", "Change of Control", "Statement of Work", "SOW", "Excluded Claims"} <= terms


def test_cuad_contracts(eval_dir: Path) -> None:
    folder = eval_dir / "corpora" / "contracts-cuad"
    files = sorted(folder.iterdir())[::10]  # every tenth file: 10 real contracts of all shapes
    with_clauses = 0
    for path in files:
        doc = load(path.name, path.read_bytes())
        assert doc.text == path.read_bytes().decode("utf-8")  # offsets index the file as the eval decodes it
        assert all(s.tokens <= 900 for s in doc.segments)
        with_clauses += any(s.span.clause for s in doc.segments)
    assert with_clauses >= 7


def test_roman_or_letter_by_context_and_curly_quote_terms() -> None:
    text = (
        "ARTICLE 1 GENERAL\n\n"
        "1.1 Obligations. The Supplier shall:\n"
        + "".join(f"({c}) do task {c};\n" for c in "abcdefgh")
        + "(i) do the ninth task;\n(j) report on:\n(i) costs;\n(ii) delays;\n(iii) risks;\n(iv) staffing; and\n"
        "(v) quality.\n\n"
        "1.2 Parties. Acme Inc. (hereinafter “Acme”) and Beta LLC (the “Buyer”) agree. “Goods” shall mean the "
        "products listed in Schedule A.\n"
    )
    doc = load("terms.txt", text.encode())
    clauses = by_clause(doc)
    assert clauses["1.1(i)"][0].text == "(i) do the ninth task;\n"  # (i) after (h) is a letter
    assert clauses["1.1(j)(i)"][0].text == "(i) costs;\n"  # (i) opening a new list is a roman numeral
    assert clauses["1.1(j)(v)"][0].text.startswith("(v) quality.")  # (v) after (iv) stays roman
    assert clauses["1.1(j)(iv)"][0].name == "1.1(j)(iv) Obligations"
    terms = {d.name: doc.text[d.span.start : d.span.end] for d in doc.definitions}
    assert set(terms) == {"Acme", "Buyer", "Goods"}
    assert terms["Goods"] == "“Goods” shall mean the products listed in Schedule A."
    assert terms["Acme"] == "Acme Inc. (hereinafter “Acme”) and Beta LLC (the “Buyer”) agree."


def test_big_clause_is_split_keeping_its_number() -> None:
    paragraph = "The Supplier shall maintain records of every shipment and make them available on request. " * 30
    text = "1.1 Records. " + "\n\n".join([paragraph] * 4) + "\n\n1.2 Audit. The Buyer may audit once a year.\n"
    text = "ARTICLE I RECORDS\n\n" + text + "1.3 Notices. In writing.\n"
    doc = load("big.txt", text.encode())
    records = by_clause(doc)["1.1"]
    assert len(records) >= 3 and all(s.tokens <= 800 for s in records)
    assert all(s.name == "1.1 Records" for s in records)
    assert by_clause(doc)["1.2"][0].text.startswith("1.2 Audit.")
