"""Which document a question names, from file names weighted by how rare their words are in the corpus."""

from __future__ import annotations

from pathlib import Path

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


# --- identity: title, parties, short forms, acronyms (ingest.identity), not the file name -------------------------
ENDORSEMENT = (
    "ENDORSEMENT AGREEMENT\n\nTHIS AGREEMENT, made and entered into as of this 1st day of January, 2000, by and "
    'between MOSSIMO, INC., 2450 White Road, Irvine, California ("Company"), and DAVID DUVAL ENTERPRISES, INC. '
    '("Licensor").\n\n1. DEFINITIONS. "Products" shall mean casual apparel.\n'
)
FRANCHISE = (
    "Exhibit 10.1 MASTER FRANCHISE AGREEMENT This Master Franchise Agreement is made on 20 November 2018 by and "
    'between Smaaash Entertainment Private Limited, an Indian company ("Franchisor") and I-AM Capital Acquisition '
    'Company ("Franchisee"). Confidential Information shall be protected.\n'
)
BCG = (
    "Mutual Non-Disclosure Agreement\nThis agreement is between The Boston Consulting Group, Inc. and the Company. "
    "Confidential Information of the Disclosing Party shall be protected by the Receiving Party.\n"
)
GENERIC = (
    "Mutual Non-Disclosure Agreement\nConfidential Information of the Disclosing Party is protected by the Receiving "
    "Party.\n"
)
CONTRACTS = [
    ("MOSSIMOINC_04_14_2000-EX-10.14-ENDORSEMENT AGREEMENT.txt", ENDORSEMENT, "contract"),
    ("SimplicityEsports_EX-10.1_Franchise Agreement.txt", FRANCHISE, "contract"),
    ("mutual-nda-7.txt", BCG, "contract"),
    ("nda-employee-template.txt", GENERIC, "contract"),
    ("nda-supplier-form.txt", GENERIC.replace("Mutual", "Supplier"), "contract"),
    ("nda-standard.txt", GENERIC, "contract"),
]


def test_contract_found_by_title_and_parties_not_file_name() -> None:
    q = "Does the ENDORSEMENT AGREEMENT between DAVID DUVAL ENTERPRISES, INC. and Mossimo impose a minimum purchase?"
    match = named_documents(q, CONTRACTS)
    assert match is not None and match.paths == ("MOSSIMOINC_04_14_2000-EX-10.14-ENDORSEMENT AGREEMENT.txt",)
    assert "duval" in match.words and match.how == "identity"
    q = "Which law governs the MASTER FRANCHISE AGREEMENT between Franchisor and Smaaash Entertainment Private Limited?"
    match = named_documents(q, CONTRACTS)
    assert match is not None and match.paths == ("SimplicityEsports_EX-10.1_Franchise Agreement.txt",)


def test_contract_found_by_acronym_of_a_party() -> None:
    match = named_documents("Consider BCG's Mutual Non-Disclosure Agreement; may it be assigned?", CONTRACTS)
    assert match is not None and match.paths == ("mutual-nda-7.txt",) and "bcg" in match.words


def test_fuzzy_name_word_of_the_file_name() -> None:
    match = named_documents("Consider Employer's Non-Disclosure Agreement; may it be assigned?", CONTRACTS)
    assert match is not None and match.paths == ("nda-employee-template.txt",)


def test_no_name_means_no_scope() -> None:
    question = "Does the agreement let the Receiving Party keep Confidential Information?"
    assert named_documents(question, CONTRACTS) is None


REPO = [
    ("src/pkg/fixtures.py", "def tmp_path(): pass\ndef order(): pass\n", "code"),
    ("src/pkg/main.py", "def main(): pass\n", "code"),
    ("src/pkg/effects.py", "def apply(): pass\n", "code"),
    ("doc/en/how-to/tmp_path.rst", "How to use the tmp_path fixture.\n", "text"),
    ("doc/en/img/multiple-order-effects.svg", "<svg>order effects multiple</svg>", "text"),
    ("CHANGELOG.rst", "Fixed the order of effects.\n", "text"),
]


def test_code_question_never_scoped_onto_docs_by_common_words() -> None:
    """A doc page named after a fixture (tmp_path.rst) is not what a question about the fixture asks for."""
    assert named_documents("How does the tmp_path fixture clean up its directories?", REPO) is None
    assert named_documents("What is the order of multiple effects in the test run?", REPO) is None


def test_code_question_scoped_by_an_exact_path() -> None:
    match = named_documents("What does main() in src/pkg/main.py return?", REPO)
    assert match is not None and match.paths == ("src/pkg/main.py",) and match.how == "path"


def test_a_name_several_documents_share_scopes_to_that_group(tmp_path: Path) -> None:
    """The SUPPLY AGREEMENT when five supply agreements exist: read within those five, and list them."""
    from docintel.ingest import load_corpus
    from docintel.routers.scope import resolve_scope

    for i in range(5):
        (tmp_path / f"supplier-{i}.txt").write_text(
            f"SUPPLY AGREEMENT\nThis Supply Agreement is between Vendor{i} Corp. and Buyer{i} Inc.\n"
        )
    for i, title in enumerate(["LICENSE AGREEMENT", "ESCROW AGREEMENT", "AGENCY AGREEMENT"] * 5):
        (tmp_path / f"other-{i}.txt").write_text(f"{title}\nThis agreement is between Other{i} LLC and Party{i}.\n")
    corpus = load_corpus(tmp_path)
    match = resolve_scope("Which law governs the SUPPLY AGREEMENT?", corpus, None)
    assert match is not None and match.how == "title-group" and match.guess  # any of five: the plan widens
    assert set(match.paths) == set(match.candidates) == {f"supplier-{i}.txt" for i in range(5)}
    one = resolve_scope("Which law governs the SUPPLY AGREEMENT between Vendor3 Corp. and Buyer3?", corpus, None)
    assert one is not None and one.paths == ("supplier-3.txt",) and not one.guess  # the parties name it exactly


def test_a_title_is_matched_against_preambles_not_by_fuzzy_words_or_initials(tmp_path: Path) -> None:
    """The MARKETING AND TRANSPORTATION SERVICES AGREEMENT is the contract whose preamble writes that title, not
    the one whose defined term "MTS" equals the title's initials, nor one whose name shares "Trans-" or "Servic-"."""
    from docintel.ingest import load_corpus
    from docintel.routers.scope import resolve_scope, title_phrases

    (tmp_path / "dynamex.txt").write_text(
        "MARKETING AND TRANSPORTATION SERVICES AGREEMENT\nThis Agreement is made between Dynamex Inc. and "
        "Road Runner LLC.\n1. Assignment. Neither party may assign this Agreement.\n"
    )
    (tmp_path / "trizetto.txt").write_text(
        "TECHNICAL INFRASTRUCTURE MAINTENANCE AGREEMENT\nBetween TriZetto Group and Managed Technical Services "
        '("MTS"). MTS understands the services.\n'
    )
    (tmp_path / "transmontaigne.txt").write_text(
        "SERVICES AGREEMENT\nBetween TransMontaigne Partners and Serviced Holdings Corp.\n"
    )
    for i in range(6):
        (tmp_path / f"other-{i}.txt").write_text(f"LICENSE AGREEMENT\nBetween Licensor{i} Ltd. and Licensee{i}.\n")
    corpus = load_corpus(tmp_path)
    q = "Does the MARKETING AND TRANSPORTATION SERVICES AGREEMENT restrict assignment by either party?"
    assert title_phrases(q)[0] == ("marketing", "and", "transportation", "services", "agreement")
    match = resolve_scope(q, corpus, None)
    assert match is not None and match.paths == ("dynamex.txt",) and match.how == "title" and not match.guess
    # a possessive names a party, not the title
    assert title_phrases("Consider APIC's Confidentiality Agreement; may it be assigned?") == [
        ("confidentiality", "agreement")
    ]
    assert title_phrases("Does the agreement restrict assignment?") == []


def test_unnamed_question_reads_the_one_document_its_content_points_at(tmp_path: Path, hash_embedder: str) -> None:
    """No name, but only one contract is about turbines: it is read whole (its chunks fill the top hits)."""
    from docintel.index.corpus_index import open_corpus
    from docintel.routers.scope import resolve_scope

    topics = ["turbine blade maintenance intervals", "office cleaning schedule", "software licence seats", "catering"]
    for i, topic in enumerate(topics):
        body = "\n".join(
            f"{n}. The Supplier shall perform the {topic} services. Confidential information stays confidential."
            for n in range(1, 150)
        )
        (tmp_path / f"services-{i}.txt").write_text(f"SERVICES AGREEMENT\n\n{body}\n")
    corpus, index = open_corpus(tmp_path)
    try:
        winner = resolve_scope("How often are the turbine blade maintenance intervals?", corpus, index)
        assert winner is not None and winner.how == "ranked" and winner.paths == ("services-0.txt",)
        # a summary that names nothing is about every document, whatever its words rank first
        assert resolve_scope("Summarize the turbine blade maintenance intervals of everything.", corpus, index) is None
    finally:
        index.close()


def test_question_across_the_agreements_is_not_scoped_by_a_value_it_names() -> None:
    """'Georgia' is the law asked about, not the party (a Georgia company) of one contract."""
    from docintel.ingest.identity import document_identity
    from docintel.routers.scope import IdentityIndex

    docs = [
        ("a.txt", 'SUPPLY AGREEMENT between Peach Corp., a Georgia corporation ("Seller"), and Buyer Inc.\n'),
        ("b.txt", "LICENSE AGREEMENT between Lone Star LLC and Licensee Ltd.\nGoverned by the laws of Georgia.\n"),
        ("c.txt", "AGENCY AGREEMENT between Golden Gate Inc. and Agent Co.\n"),
    ]
    named = named_documents(
        "Which of the agreements are governed by the laws of Georgia?", [(*d, "contract") for d in docs]
    )
    assert named is not None and named.paths  # the identity match alone would scope to one contract
    from docintel.corpus import Corpus, Document

    corpus = Corpus(Path("/x"), tuple(Document(p, "contract", None, p, len(t), t) for p, t in docs))
    assert IdentityIndex([document_identity(d) for d in corpus.documents]).code is False
    from docintel.routers.scope import resolve_scope

    assert (
        resolve_scope("Which of the agreements are governed by the laws of Georgia?", corpus, None, asks_across=True)
        is None
    )


def _franchise_corpus(root: Path) -> None:
    """Four FRANCHISE AGREEMENTs (one per franchisee) and twelve other contracts; the clause about royalties on
    sub-franchises is only in a supply agreement, which no franchise question names."""
    parties = [("Acme Foods Inc.", "Zenith Diners LLC"), ("Burgerly Corp.", "Quokka Eats Ltd.")]
    parties += [("Coffeeco Inc.", "Yonder Cafes"), ("Dinerco Inc.", "Xylo Kitchens LLC")]
    for i, (franchisor, franchisee) in enumerate(parties):
        clauses = "\n".join(f"{n}. The franchisee shall keep the premises clean, item {n}." for n in range(1, 40))
        (root / f"franchise-{i}.txt").write_text(
            f"FRANCHISE AGREEMENT\nThis Franchise Agreement is made between {franchisor} and {franchisee}.\n{clauses}\n"
        )
    for i in range(12):
        clauses = "\n".join(f"{n}. The supplier delivers goods in lot {n} on time." for n in range(1, 40))
        extra = "\n40. Royalties on sub-franchises are paid quarterly to the master licensor.\n" if i == 7 else "\n"
        (root / f"supply-{i}.txt").write_text(
            f"SUPPLY AGREEMENT\nThis Supply Agreement is made between Vendor{i} Corp. and Buyer{i} Inc.\n"
            f"{clauses}{extra}"
        )


def test_a_guessed_scope_also_sends_what_retrieval_finds_elsewhere(tmp_path: Path, hash_embedder: str) -> None:
    """A title four contracts share is a guess: the plan reads those four and adds the whole corpus's retrieved
    passages (so it holds at least what always-retrieve would), and says so. Named by its parties, one contract is
    read whole and nothing else is added."""
    from docintel.index.corpus_index import open_corpus
    from docintel.pipeline import build_prompt, plan_question
    from docintel.profiles import get_profile

    sonnet = get_profile("claude-sonnet-4-6")
    _franchise_corpus(tmp_path)
    corpus, index = open_corpus(tmp_path)
    try:
        q = "How are royalties on sub-franchises paid under the FRANCHISE AGREEMENT?"
        plan = plan_question(corpus, index, q, profile=sonnet, backend_name="anthropic")
        assert plan.scope == tuple(f"franchise-{i}.txt" for i in range(4))
        assert plan.widen_k > 0
        codes = [r.code for r in plan.reasons]
        assert "widened" in codes and codes.index("widened") == codes.index("named_group") + 1
        widened = next(r for r in plan.reasons if r.code == "widened")
        assert widened.data["how"] == "title-group" and "a title several documents write" in widened.text
        prompt = build_prompt(corpus, index, plan, profile=sonnet)
        paths = {c.span.path for c in prompt.citations}
        assert set(plan.scope) <= paths and "supply-7.txt" in paths  # the clause retrieval finds elsewhere
        sent = next(c for c in prompt.citations if c.span.path == "supply-7.txt" and "sub-franchises" in c.text)
        assert f"[{sent.id}]" in prompt.text and "may mean another document" in prompt.text
        assert plan.mode == "full"  # four small contracts: read whole, the extra passages after the cache breakpoint
        assert "sub-franchises" not in prompt.prefix and "Zenith Diners" in prompt.prefix
        retrieved = plan_question(corpus, index, q, profile=sonnet, backend_name="anthropic", mode="retrieve")
        assert retrieved.widen_k == plan.widen_k and retrieved.scope == plan.scope  # retrieving inside the four ...
        texts = [c.text for c in build_prompt(corpus, index, retrieved, profile=sonnet).citations]
        assert any("sub-franchises" in t for t in texts)  # ... and in the whole corpus

        exact = plan_question(
            corpus,
            index,
            "How are royalties paid under the FRANCHISE AGREEMENT between Burgerly Corp. and Quokka Eats Ltd.?",
            profile=sonnet,
            backend_name="anthropic",
        )
        assert exact.scope == ("franchise-1.txt",) and exact.widen_k == 0
        assert "widened" not in [r.code for r in exact.reasons]
        assert {c.span.path for c in build_prompt(corpus, index, exact, profile=sonnet).citations} == {
            "franchise-1.txt"
        }
    finally:
        index.close()


def test_a_party_named_beats_a_title_other_preambles_write() -> None:
    """Fifteen NDAs write "MUTUAL NON-DISCLOSURE AGREEMENT"; the one between Mutual Customer and Allazo Electronics
    writes its title otherwise. The parties name it exactly: it is read, and only it."""
    docs = [
        (
            f"mutual-{i}.txt",
            f"MUTUAL NON-DISCLOSURE AGREEMENT\nBetween Company{i} Ltd. and Recipient{i} Inc.\n",
            "contract",
        )
        for i in range(15)
    ]
    docs.append(
        (
            "web-nda-v2.txt",
            "NON-DISCLOSURE AGREEMENT\nBetween Mutual Customer and Allazo Electronics GmbH.\n",
            "contract",
        )
    )
    q = "Consider the Mutual Non-Disclosure Agreement between Mutual Customer and Allazo Electronics; may it lapse?"
    match = named_documents(q, docs)
    assert match is not None and match.paths == ("web-nda-v2.txt",) and not match.guess
    assert "allazo" in match.words and "non" not in match.words  # the title's words name nothing here
