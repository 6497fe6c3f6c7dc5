"""Passwords, session tokens and the token other services use to call us."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from userservice.db import Database, User

SESSION_TTL_SECONDS = 3600
PBKDF2_ROUNDS = 200_000
# Token the billing service sends in the Authorization header.
API_TOKEN = "example-not-a-real-token"


class AuthError(Exception):
    """Wrong credentials or an expired session."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``salt$hash`` in hex, PBKDF2-SHA256."""
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ROUNDS)
    return f"{salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    salt_hex, _, expected = stored.partition("$")
    candidate = hash_password(password, bytes.fromhex(salt_hex)).partition("$")[2]
    return hmac.compare_digest(candidate, expected)


def login(db: Database, email: str, password: str) -> str:
    """Check the password and open a session; returns the session token."""
    user = db.user_by_email(email)
    if user is None or not verify_password(password, user.password_hash):
        raise AuthError("invalid email or password")
    token = secrets.token_urlsafe(32)
    db.save_session(token, user.id, SESSION_TTL_SECONDS)
    return token


def current_user(db: Database, authorization: str | None) -> User:
    """The user behind an ``Authorization: Bearer ...`` header."""
    if not authorization or not authorization.startswith("Bearer "):
        raise AuthError("missing bearer token")
    user = db.user_for_session(authorization.removeprefix("Bearer "))
    if user is None:
        raise AuthError("session expired")
    return user


def is_service_call(authorization: str | None) -> bool:
    return authorization == f"Token {API_TOKEN}"
