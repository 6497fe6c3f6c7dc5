"""JSON request handlers. Each takes the database and a parsed request body and returns a response dict."""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from userservice.auth import AuthError, current_user, hash_password, is_service_call, login
from userservice.db import Database

MIN_PASSWORD_LENGTH = 10


def signup(db: Database, body: dict[str, Any]) -> dict[str, Any]:
    email = str(body.get("email", "")).strip().lower()
    password = str(body.get("password", ""))
    if "@" not in email:
        return {"status": 400, "error": "a valid email is required"}
    if len(password) < MIN_PASSWORD_LENGTH:
        return {"status": 400, "error": f"passwords need at least {MIN_PASSWORD_LENGTH} characters"}
    user_id = db.add_user(email, str(body.get("name", email)), hash_password(password))
    return {"status": 201, "id": user_id}


def login_handler(db: Database, body: dict[str, Any]) -> dict[str, Any]:
    try:
        token = login(db, str(body.get("email", "")), str(body.get("password", "")))
    except AuthError as e:
        return {"status": 401, "error": str(e)}
    return {"status": 200, "token": token}


def profile(db: Database, authorization: str | None) -> dict[str, Any]:
    try:
        user = current_user(db, authorization)
    except AuthError as e:
        return {"status": 401, "error": str(e)}
    return {"status": 200, "id": user.id, "email": user.email, "name": user.name}


def search_users(db: Database, authorization: str | None, query: dict[str, str]) -> dict[str, Any]:
    if not is_service_call(authorization):
        return {"status": 403, "error": "service token required"}
    users = db.search_users(query.get("prefix", ""), query.get("order", "name"))
    return {"status": 200, "users": [{"id": u.id, "name": u.name} for u in users]}


class Handler(BaseHTTPRequestHandler):
    db: Database

    def _reply(self, response: dict[str, Any]) -> None:
        status = response.pop("status")
        payload = json.dumps(response).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        routes = {"/signup": signup, "/login": login_handler}
        handler = routes.get(self.path)
        self._reply(handler(self.db, body) if handler else {"status": 404, "error": "not found"})

    def do_GET(self) -> None:
        authorization = self.headers.get("Authorization")
        if self.path == "/me":
            self._reply(profile(self.db, authorization))
        elif self.path.startswith("/users"):
            params = dict(p.split("=", 1) for p in self.path.partition("?")[2].split("&") if "=" in p)
            self._reply(search_users(self.db, authorization, params))
        else:
            self._reply({"status": 404, "error": "not found"})


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the user service.")
    parser.add_argument("--db", default="users.sqlite3")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    Handler.db = Database(args.db)
    HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
