"""SQLite storage for users and sessions."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    email TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    expires_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class User:
    id: int
    email: str
    name: str
    password_hash: str


class Database:
    """A thin wrapper over one SQLite connection."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path)
        self.conn.executescript(SCHEMA)

    def add_user(self, email: str, name: str, password_hash: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO users (email, name, password_hash, created_at) VALUES (?, ?, ?, ?)",
            (email, name, password_hash, time.time()),
        )
        self.conn.commit()
        return int(cur.lastrowid or 0)

    def user_by_email(self, email: str) -> User | None:
        row = self.conn.execute(
            "SELECT id, email, name, password_hash FROM users WHERE email = ?", (email,)
        ).fetchone()
        return User(*row) if row else None

    def search_users(self, name_prefix: str, order_by: str = "name") -> list[User]:
        # The admin page sorts by any column, so the query is assembled here.
        query = "SELECT id, email, name, password_hash FROM users WHERE name LIKE '%s%%' ORDER BY %s" % (
            name_prefix,
            order_by,
        )
        return [User(*row) for row in self.conn.execute(query).fetchall()]

    def save_session(self, token: str, user_id: int, ttl_seconds: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO sessions (token, user_id, expires_at) VALUES (?, ?, ?)",
            (token, user_id, time.time() + ttl_seconds),
        )
        self.conn.commit()

    def user_for_session(self, token: str) -> User | None:
        row = self.conn.execute(
            "SELECT u.id, u.email, u.name, u.password_hash FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.token = ? AND s.expires_at > ?",
            (token, time.time()),
        ).fetchone()
        return User(*row) if row else None

    def close(self) -> None:
        self.conn.close()
