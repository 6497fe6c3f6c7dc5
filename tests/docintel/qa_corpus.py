"""A small real corpus for the router/context/answer tests: a contract, two Python files, a meeting transcript.

Written to a temp folder and read by the real ingestion and index (real embedding model, FAISS, BM25).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CONTRACT = """# SUPPLY AGREEMENT

This Supply Agreement (the "Agreement") is made as of January 5, 2026 between Acme Widgets, Inc. ("Supplier")
and Bluebird Foods LLC ("Buyer").

## ARTICLE 1 — DEFINITIONS

1.1 "Products" means the widgets listed in Schedule A.

1.2 "Delivery Date" means the date stated in a purchase order for delivery of Products.

## ARTICLE 2 — SUPPLY

2.1 Orders. Buyer shall place purchase orders at least thirty (30) days before the Delivery Date.

2.2 Acceptance. Supplier shall accept or reject each purchase order within five (5) business days.

## ARTICLE 3 — PAYMENT

3.1 Invoices. Supplier shall invoice Buyer upon shipment. Buyer shall pay each invoice within forty-five (45)
days of receipt.

3.2 Late Payment. Amounts not paid when due bear interest at one percent (1%) per month.

## ARTICLE 4 — TERM AND TERMINATION

4.1 Term. This Agreement starts on the Effective Date and continues for three (3) years.

4.2 Termination for Convenience. Either party may terminate this Agreement on ninety (90) days' written notice.

## ARTICLE 5 — MISCELLANEOUS

5.1 Governing Law. This Agreement is governed by the laws of the State of Delaware, without regard to its
conflict of laws rules.

5.2 Notices. Notices must be in writing and delivered to the addresses set out above.
"""

AUTH_PY = '''"""Authentication helpers."""

import hashlib
import os


def hash_password(password: str, salt: bytes | None = None) -> str:
    """Hash a password with PBKDF2 and a random salt."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100_000)
    return salt.hex() + ":" + digest.hex()


def verify_password(password: str, stored: str) -> bool:
    salt_hex, _ = stored.split(":")
    return hash_password(password, bytes.fromhex(salt_hex)) == stored
'''

VIEWS_PY = '''"""HTTP views."""

from auth import hash_password, verify_password


def register(form: dict) -> dict:
    return {"name": form["name"], "password": hash_password(form["password"])}


def login(form: dict, stored: str) -> bool:
    return verify_password(form["password"], stored)
'''

MEETING = """Alice: Welcome everyone, today we review the launch plan for the mobile app.
Bob: The beta build is ready and QA signed off on Friday.
Alice: Good. Carol, what about the marketing budget?
Carol: We agreed to cap the marketing budget at forty thousand dollars for the first quarter.
Bob: I will own the launch checklist and send it out on Monday.
Alice: Then we launch on the fifteenth of March.
"""


def write_corpus(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "supply_agreement.md").write_text(CONTRACT, encoding="utf-8")
    (root / "app").mkdir(exist_ok=True)
    (root / "app" / "auth.py").write_text(AUTH_PY, encoding="utf-8")
    (root / "app" / "views.py").write_text(VIEWS_PY, encoding="utf-8")
    (root / "launch_meeting.txt").write_text(MEETING, encoding="utf-8")
    return root


@contextmanager
def opened(root: Path, home: Path) -> Iterator[tuple[Any, Any]]:
    """(Corpus, CorpusIndex) of ``root`` with the index under ``home``."""
    from docintel.index.corpus_index import open_corpus

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCINTEL_HOME", str(home))
        mp.setenv("HF_HUB_OFFLINE", "1")
        corpus, index = open_corpus(root)
        try:
            yield corpus, index
        finally:
            index.close()
