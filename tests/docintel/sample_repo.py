"""A small real repository written to disk for the API, MCP and audit tests (string-built SQL, shell=True,
a hard-coded fake token, and safe code beside them)."""

from __future__ import annotations

from pathlib import Path

FILES: dict[str, str] = {
    "shop/db.py": '''"""Database access for the shop."""

import sqlite3

API_TOKEN = "ghp_FAKEfakeFAKEfakeFAKEfakeFAKEfake0123"


def connect(path):
    return sqlite3.connect(path)


def find_customer(conn, name):
    """Look a customer up by name (unsafe: the name is pasted into the SQL text)."""
    query = f"SELECT id, name, email FROM customers WHERE name = '{name}'"
    return conn.execute(query).fetchall()


def find_order(conn, order_id):
    """Look an order up by id with a bound parameter."""
    return conn.execute("SELECT * FROM orders WHERE id = ?", (order_id,)).fetchone()
''',
    "shop/ops.py": '''"""Operations helpers."""

import subprocess


def ping_host(host):
    """Check that a host answers (unsafe: the caller-supplied host goes through the shell)."""
    return subprocess.run("ping -c 1 " + host, shell=True, check=False).returncode


def disk_usage(path):
    return subprocess.run(["du", "-sh", path], check=False, capture_output=True).stdout
''',
    "shop/pricing.py": '''"""Prices and discounts."""

VAT_RATE = 0.2


def price_with_vat(net):
    """Gross price: the net price plus value added tax."""
    return round(net * (1 + VAT_RATE), 2)


def discount(price, percent):
    """Apply a percentage discount to a price."""
    return price * (100 - percent) / 100
''',
    "README.md": "# Shop\n\nA tiny shop backend: customers and orders in SQLite, prices with VAT.\n",
}


def write_repo(root: Path) -> Path:
    for rel, text in FILES.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and mtime: proves nothing was written into a corpus."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
