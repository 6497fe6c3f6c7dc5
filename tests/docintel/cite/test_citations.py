"""Citation ids in an answer map back to the spans that were sent; unknown ids are flagged."""

from __future__ import annotations

from docintel.cite.citations import extract_citations, parse_ids
from docintel.corpus import SourceSpan
from docintel.prompt import CitedSpan, Prompt, PromptBlock

CLAUSE = (
    "5.1 Governing Law. This Agreement is governed by the laws of the State of Delaware,\nwithout regard to conflicts."
)
OTHER = "3.1 Invoices. Buyer shall pay each invoice within forty-five (45) days of receipt."


def prompt() -> Prompt:
    cited = (
        CitedSpan("1", SourceSpan("a.md", 100, 100 + len(OTHER), 10, 10, clause="3.1"), OTHER),
        CitedSpan("2", SourceSpan("a.md", 500, 500 + len(CLAUSE), 40, 41, clause="5.1"), CLAUSE),
        CitedSpan("3", SourceSpan("b.py", 0, 12, 1, 1), "def f(): ...\n"),
    )
    return Prompt((PromptBlock("question", "q"),), cited, "q", "retrieve")


def test_ids_map_to_their_spans_and_unknown_ids_are_flagged() -> None:
    citations, invalid = extract_citations("Payment is due in 45 days [1]. See also [7] and [2, 3].", prompt())
    assert [c.id for c in citations] == ["1", "2", "3"]
    assert invalid == ("7",)
    assert citations[0].span.path == "a.md" and citations[0].span.clause == "3.1"
    assert citations[2].span.path == "b.py"
    assert all(c.id != "7" for c in citations)


def test_a_verbatim_quote_narrows_the_citation_to_its_exact_range_and_lines() -> None:
    answer = "> This Agreement is governed by the laws of the State of Delaware, without regard to conflicts. [2]"
    (citation,), invalid = extract_citations(answer, prompt())
    assert invalid == ()
    start = CLAUSE.index("This Agreement")
    assert citation.span.start == 500 + start
    assert citation.span.end == 500 + len(CLAUSE)  # through "conflicts.", across the line break
    assert citation.quote.startswith("This Agreement is governed") and citation.quote.endswith("conflicts.")
    assert (citation.span.start_line, citation.span.end_line) == (40, 41)
    assert citation.span.clause == "5.1"


def test_unquoted_claim_cites_the_whole_span() -> None:
    (citation,), _ = extract_citations("Delaware law applies [2].", prompt())
    assert (citation.span.start, citation.span.end) == (500, 500 + len(CLAUSE))
    assert citation.quote == CLAUSE.strip()


def test_ranges_and_repeated_brackets() -> None:
    assert parse_ids("1-3") == ["1", "2", "3"]
    assert parse_ids("2, 5") == ["2", "5"]
    citations, invalid = extract_citations("A [1][3] and B [1-2] and C [9-10]", prompt())
    assert [c.id for c in citations] == ["1", "3", "2"]
    assert invalid == ("9", "10")
    assert extract_citations("no citations here, [x] or [] either", prompt()) == ((), ())


def test_a_quoted_code_block_with_brackets_is_cited_from_its_first_line() -> None:
    """Only a citation marker ends the claim before a citation: a "]" inside quoted code (``ignore[assignment]``)
    used to cut the quote there, so the label started one line late (app.py:893 for a quote of line 892)."""
    code = (
        "        rule: Rule = req.url_rule  # type: ignore[assignment]\n"
        "        # if we provide automatic options for this URL and the\n"
        '        if getattr(rule, "provide_automatic_options", False):\n'
    )
    sent = Prompt(
        (PromptBlock("question", "q"),),
        (
            CitedSpan("1", SourceSpan("a.md", 100, 100 + len(OTHER), 10, 10, clause="3.1"), OTHER),
            CitedSpan("14", SourceSpan("src/app.py", 4000, 4000 + len(code), 892, 894), code),
        ),
        "q",
        "retrieve",
    )
    answer = f"> {' '.join(OTHER.split())} [1]\n\n> {' '.join(code.split())} [14]"
    citations, invalid = extract_citations(answer, sent)
    assert invalid == ()
    cited = {c.id: c for c in citations}["14"]
    assert cited.quote.startswith("rule: Rule = req.url_rule")
    assert (cited.span.start_line, cited.span.end_line) == (892, 894)
    assert cited.span.start == 4000 + code.index("rule: Rule")


def test_a_citation_after_a_fenced_code_block_cites_the_block_lines() -> None:
    """The extractive answer (and a model) quotes code as written, in a fenced block, the citation on the next line:
    the label is narrowed to the block's lines, dedented or not."""
    code = (
        "    def add(self, rule):\n"
        "        self.rules.append(rule)  # keep order\n"
        "        return rule\n"
        "\n"
        "    def clear(self):\n"
        "        self.rules = []\n"
    )
    sent = Prompt(
        (PromptBlock("question", "q"),),
        (CitedSpan("4", SourceSpan("pkg/rules.py", 500, 500 + len(code), 20, 25), code),),
        "q",
        "retrieve",
    )
    answer = "Here it is:\n\n```python\ndef clear(self):\n    self.rules = []\n```\n[4]\n"
    (cited,), invalid = extract_citations(answer, sent)
    assert invalid == ()
    assert cited.quote == "def clear(self):\n        self.rules = []"
    assert (cited.span.start_line, cited.span.end_line) == (24, 25)
    # code that holds a fence itself is quoted in a longer one
    doc = '    def help(self):\n        """Usage:\n        ```\n        rules.add(r)\n        ```\n        """\n'
    sent_doc = Prompt(
        (PromptBlock("question", "q"),),
        (CitedSpan("5", SourceSpan("pkg/doc.py", 0, len(doc), 1, 6), doc),),
        "q",
        "retrieve",
    )
    quoted = 'def help(self):\n    """Usage:\n    ```\n    rules.add(r)\n    ```\n    """'
    (cited_doc,), _ = extract_citations(f"````python\n{quoted}\n````\n[5]\n", sent_doc)
    assert (cited_doc.span.start_line, cited_doc.span.end_line) == (1, 6) and cited_doc.quote.startswith("def help")
    # a citation on its own line after prose is not a block's: no narrowing, the whole span
    (plain,), _ = extract_citations("The rules are kept in order.\n[4]\n", sent)
    assert (plain.span.start_line, plain.span.end_line) == (20, 25)
