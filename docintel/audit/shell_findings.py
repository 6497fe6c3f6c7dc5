"""Candidate findings bandit cannot see: shell scripts (tree-sitter bash) and configuration files.

Shell: ``eval``, a downloaded script piped into a shell, ``curl -k``/``wget --no-check-certificate``, a password
on a command line (``mysql -pSECRET``, ``sshpass -p``), credential-like variables assigned a literal.
Config files (``.env``, INI/CFG, YAML, JSON, TOML, properties): a credential-like key with a literal value, read
key by key (comments skipped, placeholders such as ``${DB_PASSWORD}`` or ``<changeme>`` left alone).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from docintel.audit.code_findings import Candidate, line_of, looks_secret, node_text, parse, walk
from docintel.corpus import Document

CONFIG_SUFFIXES = frozenset({".env", ".ini", ".cfg", ".conf", ".yaml", ".yml", ".json", ".toml", ".properties"})
_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh"})
_FETCH = frozenset({"curl", "wget"})
_KEY_VALUE = re.compile(
    r"""^\s*(?:export\s+)?["']?(?P<key>[A-Za-z_][\w.\-]*)["']?\s*(?::|=)\s*(?P<value>"[^"]*"|'[^']*'|[^\s#;,]+)"""
)
_COMMENT = re.compile(r"^\s*(#|;|//|\*)")


def is_config(path: str) -> bool:
    p = PurePosixPath(path)
    return p.suffix.lower() in CONFIG_SUFFIXES or p.name.startswith(".env")


def config_findings(doc: Document) -> list[Candidate]:
    """Credential-like keys with literal values, one candidate per line."""
    found = []
    for n, line in enumerate(doc.text.splitlines(), start=1):
        if _COMMENT.match(line):
            continue
        m = _KEY_VALUE.match(line)
        if not m:
            continue
        key, value = m.group("key").split(".")[-1], m.group("value").strip().strip("\"'")
        if looks_secret(key, value):
            found.append(Candidate("hard-coded-credentials", doc.path, n, f"{key} is a literal in a config file"))
    return found


def _command_name(node: Any) -> str:
    name = node.child_by_field_name("name")
    return node_text(name).rsplit("/", 1)[-1] if name is not None else ""


def _arguments(node: Any) -> list[str]:
    return [node_text(a).strip("\"'") for a in node.children_by_field_name("argument")]


def shell_findings(doc: Document) -> list[Candidate]:
    root = parse("bash", doc.text)
    found: list[Candidate] = []

    def add(rule: str, node: Any, why: str) -> None:
        found.append(Candidate(rule, doc.path, line_of(node), why))

    for node in walk(root):
        if node.type == "command":
            name, args = _command_name(node), _arguments(node)
            if name == "eval":
                add("eval-exec", node, "eval of a string")
            if name == "curl" and any(a in ("-k", "--insecure") for a in args):
                add("tls-verification-disabled", node, "curl --insecure")
            if name == "wget" and "--no-check-certificate" in args:
                add("tls-verification-disabled", node, "wget --no-check-certificate")
            if name in ("mysql", "mysqldump", "mysqladmin") and any(len(a) > 2 and a.startswith("-p") for a in args):
                add("hard-coded-credentials", node, f"{name} password on the command line")
            if name == "sshpass" and "-p" in args:
                add("hard-coded-credentials", node, "sshpass -p password on the command line")
        elif node.type == "pipeline":
            names = [_command_name(c) for c in node.named_children if c.type == "command"]
            if any(n in _FETCH for n in names[:-1]) and names and names[-1] in _SHELLS:
                add("shell-injection", node, f"a downloaded script piped into {names[-1]}")
        elif node.type == "variable_assignment":
            key, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if key is None or value is None or value.type not in ("word", "string", "raw_string"):
                continue
            literal = node_text(value).strip("\"'")
            if value.type == "string" and any(c.type != "string_content" for c in value.named_children):
                continue  # "$OTHER" or "$(cmd)": not a literal
            if looks_secret(node_text(key), literal):
                add("hard-coded-credentials", node, f"{node_text(key)} is a literal")
    return found
