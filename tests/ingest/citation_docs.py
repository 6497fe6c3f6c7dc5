"""Contracts and transcripts built for real, in every format, whose labels the tests know exactly.

- ``write_numbered_docx``: a cloud service agreement numbered only by Word auto-numbering (numbering.xml):
  heading styles linked to list levels (Heading 1 -> level 0, Heading 2 -> level 1, no ilvl on the styles),
  sub-clauses on level 2 ``(a)``, an unnumbered heading (numId 0), an order form whose list instance restarts
  at 1 (lvlOverride/startOverride), and an amendment list that starts at 12.
- ``write_paged_pdf``: a services agreement over several pages with a running header, a footer with the page
  number, and ARTICLE / decimal / (a) numbering, clauses crossing page breaks.
- ``DIARIZED_SRT``, ``VOICE_VTT``, ``KARAOKE_SRT``: diarized prefixes, voice tags and ``>>`` turns, a word-level
  export with ASS colour tags that repeats a growing line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# (style, text) or (style, text, ilvl) for list paragraphs; style None = Normal
# Expected label of each clause, by a phrase of its body.
DOCX_EXPECTED = {
    "Provider will make the Cloud Service available": "1.1",
    "Customer may give Provider feedback": "1.4",
    "Customer will not reverse engineer": "2.1(a)",
    "resell the Cloud Service": "2.1(b)",
    "Fees are due within 30 days": "3.1",
    "This Agreement starts on the Effective Date": "4.1",
    "Each party will protect Confidential Information": "5.1",
    "Provider warrants that the Cloud Service": "6.1",
    "Provider will defend Customer": "7.1",
    "each party's total cumulative liability": "8.1",
    "Neither party will be liable for indirect": "8.2",
    "This Agreement is governed by the laws of the State of Delaware": "9.1",
    "The Subscription Period is twelve months": "1.1",  # the order form's own list restarts at 1
    "The amended notice address is": "12.1",  # the amendment's list starts at 12
}


def _sections() -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """(heading, [(sub-heading body, [sub-items])]) of the standard terms."""
    return [
        (
            "Service",
            [
                ("Access. Provider will make the Cloud Service available to Customer during the term.", []),
                ("Support. Provider will provide support as described in the Order Form.", []),
                ("Changes. Provider may update the Cloud Service without degrading it.", []),
                ("Feedback and Usage Data. Customer may give Provider feedback about the Cloud Service.", []),
            ],
        ),
        (
            "Restrictions",
            [
                (
                    "Prohibited Uses. Customer will not:",
                    [
                        "Customer will not reverse engineer or copy the Cloud Service;",
                        "resell the Cloud Service or make it available to third parties.",
                    ],
                ),
            ],
        ),
        ("Payment", [("Fees. Fees are due within 30 days of the invoice date.", [])]),
        ("Term and Termination", [("Term. This Agreement starts on the Effective Date and lasts one year.", [])]),
        ("Confidentiality", [("Protection. Each party will protect Confidential Information with care.", [])]),
        ("Warranties", [("Service Warranty. Provider warrants that the Cloud Service will perform as described.", [])]),
        ("Indemnification", [("By Provider. Provider will defend Customer against third-party IP claims.", [])]),
        (
            "Limitation of Liability",
            [
                ("Liability Caps. Except for excluded claims, each party's total cumulative liability is capped.", []),
                ("Damages Exclusion. Neither party will be liable for indirect or consequential damages.", []),
            ],
        ),
        ("General Terms", [("Governing Law. This Agreement is governed by the laws of the State of Delaware.", [])]),
    ]


def _xml(fragment: str) -> Any:
    from docx.oxml import parse_xml

    return parse_xml(fragment.replace("W_NS", W_NS))


def _lvl(ilvl: int, fmt: str, text: str, start: int = 1, style: str | None = None, restart: int | None = None) -> str:
    p_style = f'<w:pStyle w:val="{style}"/>' if style else ""
    lvl_restart = f'<w:lvlRestart w:val="{restart}"/>' if restart is not None else ""
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>{lvl_restart}{p_style}'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>'
    )


def add_numbering(document: Any, abstracts: dict[int, list[str]], nums: dict[int, tuple[int, dict[int, int]]]) -> None:
    """Append abstract definitions (id -> level XML) and list instances (numId -> (abstract id, {ilvl:
    startOverride})) to the document's numbering part, abstracts before nums as the schema requires."""
    numbering = document.part.numbering_part.element
    first_num = numbering.find(f"{{{W_NS}}}num")
    for abstract_id, levels in abstracts.items():
        element = _xml(
            f'<w:abstractNum xmlns:w="W_NS" w:abstractNumId="{abstract_id}">'
            f'<w:multiLevelType w:val="multilevel"/>{"".join(levels)}</w:abstractNum>'
        )
        if first_num is not None:
            first_num.addprevious(element)
        else:
            numbering.append(element)
    for num_id, (abstract_id, overrides) in nums.items():
        override_xml = "".join(
            f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{start}"/></w:lvlOverride>'
            for ilvl, start in overrides.items()
        )
        numbering.append(
            _xml(
                f'<w:num xmlns:w="W_NS" w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>'
                f"{override_xml}</w:num>"
            )
        )


def set_num_pr(element: Any, num_id: int | None, ilvl: int | None) -> None:
    """Give a paragraph or a style (its ``pPr``) a ``numPr``: numId and/or ilvl."""
    p_pr = element.get_or_add_pPr()
    parts = (f'<w:ilvl w:val="{ilvl}"/>' if ilvl is not None else "") + (
        f'<w:numId w:val="{num_id}"/>' if num_id is not None else ""
    )
    p_pr.insert(0, _xml(f'<w:numPr xmlns:w="W_NS">{parts}</w:numPr>'))


def write_numbered_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    add_numbering(
        document,
        {
            901: [
                _lvl(0, "decimal", "%1.", style="Heading1"),
                _lvl(1, "decimal", "%1.%2", style="Heading2"),
                _lvl(2, "lowerLetter", "(%3)"),
            ],
            902: [_lvl(0, "decimal", "%1.", start=12), _lvl(1, "decimal", "%1.%2")],
        },
        {
            901: (901, {}),  # the standard terms
            903: (901, {0: 1}),  # the order form: same definition, restarted at 1
            904: (902, {}),  # the amendment: starts at 12
        },
    )
    # Heading 1 / Heading 2 name the list but no level: the level is the one whose pStyle links the style
    set_num_pr(document.styles["Heading 1"].element, 901, None)
    set_num_pr(document.styles["Heading 2"].element, 901, None)

    document.add_paragraph("Cloud Service Agreement", style="Title")
    document.add_paragraph("These Standard Terms govern the Order Form signed by Provider and Customer.")
    for heading, subs in _sections():
        document.add_paragraph(heading, style="Heading 1")
        for body, items in subs:
            document.add_paragraph(body, style="Heading 2")
            for item in items:
                para = document.add_paragraph(item)
                set_num_pr(para._p, 901, 2)
    signatures = document.add_paragraph("Signatures", style="Heading 1")
    set_num_pr(signatures._p, 0, None)  # numId 0: this heading is not numbered
    document.add_paragraph("Signed by the parties' authorised representatives.")
    document.add_paragraph("Order Form", style="Title")
    for text, ilvl in (
        ("Subscription", 0),
        ("Subscription Period. The Subscription Period is twelve months from the Order Date.", 1),
        ("Fees", 0),
        ("Fees. The Fees are USD 24,000 per year, invoiced annually.", 1),
    ):
        para = document.add_paragraph(text)
        set_num_pr(para._p, 903, ilvl)
    document.add_paragraph("Amendment No. 1", style="Title")
    for text, ilvl in (
        ("Notices", 0),
        ("Address. The amended notice address is 1 Market Street, San Francisco.", 1),
        ("Counterparts", 0),
        ("Counterparts. This amendment may be signed in counterparts.", 1),
    ):
        para = document.add_paragraph(text)
        set_num_pr(para._p, 904, ilvl)
    document.save(str(path))
    return path


# ------------------------------------------------------------------------------------------------------------- PDF

PDF_HEADER = "NORTHWIND SERVICES INC - CONFIDENTIAL"
PDF_FOOTER = "Services Agreement v3 | Page {page} of {pages}"


def pdf_clauses() -> list[tuple[str, str | None]]:
    """(line, expected clause of the clause that line opens, or None for a body line)."""
    lines: list[tuple[str, str | None]] = [
        ("SERVICES AGREEMENT", None),
        ("This Services Agreement is entered into by Northwind Services Inc. and Contoso LLC.", None),
        ("", None),
    ]
    for article in range(1, 11):
        lines.append((f"ARTICLE {article}", None))
        lines.append((["DEFINITIONS", "SERVICES", "FEES", "TERM", "CONFIDENTIALITY", "WARRANTIES",
                       "INDEMNITY", "LIABILITY", "INSURANCE", "MISCELLANEOUS"][article - 1], None))  # fmt: skip
        count = 10 if article == 10 else 3
        for section in range(1, count + 1):
            number = f"{article}.{section}"
            topic = _PDF_TOPICS.get(number, f"Topic {number}")
            lines.append((f"{number} {topic}. The provisions of clause {number} apply to the parties", number))
            lines.append(("as set out in this Agreement and in each Statement of Work under it.", None))
            if number in ("8.2", "10.10"):
                lines.append((f"(a) the first condition of clause {number} applies to the parties;", f"{number}(a)"))
                lines.append((f"(b) the second condition of clause {number} applies as well.", f"{number}(b)"))
            lines.append(("", None))
    return lines


_PDF_TOPICS = {
    "10.7": "Notices",
    "10.8": "Governing Law",
    "10.9": "Severability",
    "10.10": "Assignment",
    "8.2": "Limitation",
}


def write_paged_pdf(path: Path, lines_per_page: int = 38) -> Path:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    body = [line for line, _ in pdf_clauses()]
    pages = [body[i : i + lines_per_page] for i in range(0, len(body), lines_per_page)]
    pdf = canvas.Canvas(str(path), pagesize=letter)
    _, height = letter
    for n, page_lines in enumerate(pages, start=1):
        pdf.setFont("Helvetica", 9)
        pdf.drawString(72, height - 40, PDF_HEADER)
        pdf.setFont("Helvetica", 10)
        y = height - 72
        for line in page_lines:
            if line:
                pdf.drawString(72, y, line)
            y -= 16
        pdf.setFont("Helvetica", 9)
        pdf.drawString(72, 30, PDF_FOOTER.format(page=n, pages=len(pages)))
        pdf.showPage()
    pdf.save()
    return path


# ----------------------------------------------------------------------------------------------------- transcripts

DIARIZED_SRT = """1
00:00:01,000 --> 00:00:04,000
[SPEAKER_00]: Good morning, this is the quarterly budget review.

2
00:00:04,200 --> 00:00:07,900
[SPEAKER_00]: We will start with the hardware line.

3
00:00:08,000 --> 00:00:12,500
SPEAKER_04: The hardware budget is forty thousand dollars.

4
00:00:12,600 --> 00:00:15,000
and it covers the new laptops.

5
00:17:30,000 --> 00:17:35,000
[SPEAKER_00]: Let us move on to travel.

6
00:18:43,000 --> 00:18:47,500
SPEAKER_04: Travel is capped at five thousand per quarter.
"""

VOICE_VTT = """WEBVTT

1
00:09:20.000 --> 00:09:27.000
<v Maria Lopez>The vendor shortlist has three names.</v>

2
00:09:28.000 --> 00:09:33.500
<v Maria Lopez>Acme offered the lowest price per seat.</v>

3
00:09:34.000 --> 00:09:38.000
>> Tom Baker: We still need a security review of Acme.

4
00:09:38.500 --> 00:09:41.000
>> I can run that review next week.
"""

# A word-level export: every cue repeats the line so far with one word coloured by an ASS override tag.
_KARAOKE_WORDS = ["the", "launch", "date", "moves", "to", "the", "ninth", "of", "March"]


def karaoke_srt() -> str:
    blocks = []
    for i in range(len(_KARAOKE_WORDS)):
        shown = [
            ("{\\c&H00FFFF&}" + w + "{\\c&HFFFFFF&}") if j == i else w for j, w in enumerate(_KARAOKE_WORDS[: i + 1])
        ]
        start, end = 60 + i * 0.5, 60 + (i + 1) * 0.5
        blocks.append(f"{i + 1}\n{_srt_time(start)} --> {_srt_time(end)}\nJUNE: " + " ".join(shown) + "\n")
    # then the whole line re-shown, highlighted word by word (nothing new is said)
    n = len(_KARAOKE_WORDS)
    for i in range(3):
        shown = [("{\\c&H00FFFF&}" + w + "{\\c&HFFFFFF&}") if j == i else w for j, w in enumerate(_KARAOKE_WORDS)]
        start, end = 60 + (n + i) * 0.5, 60 + (n + i + 1) * 0.5
        blocks.append(f"{n + i + 1}\n{_srt_time(start)} --> {_srt_time(end)}\nJUNE: " + " ".join(shown) + "\n")
    return "\n".join(blocks)


def _srt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"
