"""Redaction: credentials in a corpus are replaced before a prompt leaves the machine; reports never hold them."""

from __future__ import annotations

import base64
import random
import string

import pytest

from docintel.corpus import SourceSpan
from docintel.egress.redact import (
    Redaction,
    find_secrets,
    redact_prompt,
    redact_text,
    redaction_enabled,
    redaction_note,
)
from docintel.errors import DocintelError
from docintel.prompt import CitedSpan, Prompt, PromptBlock

RNG = random.Random(11)


def _rand(chars: str, n: int) -> str:
    return "".join(RNG.choice(chars) for _ in range(n))


# Built at run time so the repository holds no key-shaped strings for scanners to trip on.
AWS_KEY = "AKIA" + _rand(string.ascii_uppercase + "234567", 16)
GITHUB_TOKEN = "ghp_" + _rand(string.ascii_letters + string.digits, 36)
ANTHROPIC_KEY = "sk-ant-api03-" + _rand(string.ascii_letters + string.digits, 40)
PASSWORD = "n8Vq-" + _rand(string.ascii_letters + string.digits, 12)
_PEM_BODY = base64.b64encode(bytes(RNG.randrange(256) for _ in range(180))).decode()
PEM_LINES = [_PEM_BODY[i : i + 64] for i in range(0, len(_PEM_BODY), 64)]
PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(PEM_LINES) + "\n-----END OPENSSH PRIVATE KEY-----\n"


def kinds(reports: list[Redaction]) -> list[tuple[int, str]]:
    return [(r.line, r.kind) for r in reports]


@pytest.mark.parametrize(
    ("path", "text", "secret", "expected"),
    [
        ("settings.py", f'DEBUG = False\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"\n', AWS_KEY, [(2, "aws-access-key")]),
        ("ci.js", f'const token = "{GITHUB_TOKEN}";\n', GITHUB_TOKEN, [(1, "github-token")]),
        ("notes.md", f"Use the key {ANTHROPIC_KEY} for staging.\n", ANTHROPIC_KEY, [(1, "anthropic-key")]),
        ("db.yaml", f"db:\n  password: {PASSWORD}\n", PASSWORD, [(2, "password")]),  # unquoted: config rules
        (".env", f"PORT=8000\nDB_PASSWORD={PASSWORD}\n", PASSWORD, [(2, "password")]),
        ("app.py", f'db_url = "postgres://app:{PASSWORD}@db:5432/x"\n', PASSWORD, [(1, "url-credentials")]),
        ("keys/deploy", "# deploy key\n" + PEM, PEM_LINES[1], [(2, "private-key")]),
    ],
)
def test_each_kind_of_secret_is_replaced_and_reported_without_the_secret(
    path: str, text: str, secret: str, expected: list[tuple[int, str]]
) -> None:
    redacted, reports = redact_text(text, path)
    assert secret not in redacted
    assert kinds(reports) == expected
    assert f"[REDACTED:{expected[0][1]}]" in redacted
    assert all(secret not in r.label() for r in reports)


def test_the_whole_private_key_block_goes_including_a_key_cut_by_a_span() -> None:
    redacted, _ = redact_text(PEM, "id_ed25519")
    assert redacted == "[REDACTED:private-key]\n"
    cut = "\n".join(PEM.splitlines()[:3]) + "\n"  # a span that ends inside the key
    redacted, reports = redact_text(cut, "id_ed25519")
    assert redacted == "[REDACTED:private-key]" and kinds(reports) == [(1, "private-key")]


def test_ordinary_code_and_placeholder_values_are_left_alone() -> None:
    code = (
        "def is_pem(line):\n"
        '    return line.startswith("-----BEGIN RSA PRIVATE KEY-----")\n'
        'SECRET_KEY = "config"\n'
        'app.config["SECRET_KEY"] == "config"\n'
        'password = "${DB_PASSWORD}"\n'
        'user_id = "c0a8012e-7f3b-4a5c-9d2e-000000000001"\n'
    )
    redacted, reports = redact_text(code, "app.py")
    assert reports == [] and redacted == code


def test_a_keyword_secret_is_replaced_only_where_it_was_assigned() -> None:
    text = f'password = "{PASSWORD}x"\nprint("password ok")\n'
    redacted, reports = redact_text(text, "app.py")
    assert redacted == 'password = "[REDACTED:password]"\nprint("password ok")\n'
    assert kinds(reports) == [(1, "password")]


def _prompt(files: dict[str, tuple[int, str]], question: str = "How do we deploy?") -> Prompt:
    cited = []
    for i, (path, (first_line, text)) in enumerate(files.items(), start=1):
        last = first_line + text.count("\n") - 1
        cited.append(CitedSpan(str(i), SourceSpan(path, 1000 * i, 1000 * i + len(text), first_line, last), text))
    corpus = "".join(f'<doc path="{c.span.path}">\n[{c.id}] {c.text}</doc>\n' for c in cited)
    blocks = (
        PromptBlock("instructions", "Answer from the corpus; cite [id].\n"),
        PromptBlock("corpus", f"<corpus>\n{corpus}</corpus>\n", cache_breakpoint=True),
        PromptBlock("passages", f"<passages>\n[{cited[0].id}] {cited[0].text}</passages>\n"),
        PromptBlock("question", f"<question>\n{question}\n</question>\n"),
    )
    return Prompt(blocks, tuple(cited), question, "full")


def test_redact_prompt_changes_the_text_sent_and_keeps_spans_and_ids() -> None:
    config = f"db:\n  host: db.internal\n  password: {PASSWORD}\n"  # unquoted: only the yaml rules see it
    prompt = _prompt(
        {
            "deploy/db.yaml": (10, config),
            "deploy/keys.py": (40, f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\nREGION = "eu-west-1"\n'),
            "README.md": (1, "Deploy with `make deploy`.\n"),
        }
    )
    sent, reports = redact_prompt(prompt)

    assert [(r.path, r.line, r.kind) for r in reports] == [
        ("deploy/db.yaml", 12, "password"),  # document line: the span starts at line 10
        ("deploy/keys.py", 40, "aws-access-key"),
    ]
    for secret in (PASSWORD, AWS_KEY):
        assert secret not in sent.text and all(secret not in c.text for c in sent.citations)
    assert [(c.id, c.span) for c in sent.citations] == [(c.id, c.span) for c in prompt.citations]
    assert sent.citations[0].text == "db:\n  host: db.internal\n  password: [REDACTED:password]\n"
    assert sent.citations[2] == prompt.citations[2]  # nothing secret: unchanged
    assert "[1] db:\n  host: db.internal\n  password: [REDACTED:password]\n" in sent.blocks[1].text
    assert sent.blocks[2].text.count("[REDACTED:password]") == 1  # the passage quoting it again too
    assert [b.cache_breakpoint for b in sent.blocks] == [b.cache_breakpoint for b in prompt.blocks]
    assert redact_prompt(prompt)[0].prefix == sent.prefix  # deterministic: the cached prefix stays byte-identical


def test_a_secret_outside_any_span_is_reported_by_block() -> None:
    prompt = _prompt({"README.md": (1, "Deploy with make.\n")}, question=f"Is {GITHUB_TOKEN} still valid?")
    sent, reports = redact_prompt(prompt)
    assert [(r.path, r.line, r.kind) for r in reports] == [("<question>", 2, "github-token")]
    assert GITHUB_TOKEN not in sent.text and GITHUB_TOKEN not in sent.question


def test_a_prompt_without_secrets_is_returned_as_is() -> None:
    prompt = _prompt({"README.md": (1, "Deploy with make.\n")})
    sent, reports = redact_prompt(prompt)
    assert sent is prompt and reports == []


def test_redaction_note_names_places_and_kinds_only() -> None:
    reports = [Redaction("config.py", 3, "aws-access-key"), Redaction("id_rsa", 1, "private-key")]
    assert (
        redaction_note(reports)
        == "redacted 2 secrets before sending: config.py:3 (aws-access-key), id_rsa:1 (private-key)"
    )
    many = [Redaction(f"f{i}.py", 1, "password") for i in range(12)]
    assert redaction_note(many, limit=2).endswith("f0.py:1 (password), f1.py:1 (password) and 10 more")
    assert redaction_note([]) == ""


@pytest.mark.parametrize(
    ("setting", "remote", "override", "expected"),
    [
        (None, True, None, True),  # default "remote": third-party APIs are redacted
        (None, False, None, False),  # ... local engines are not
        ("always", False, None, True),
        ("never", True, None, False),
        ("never", True, True, True),  # an explicit option wins
        ("remote", True, False, False),  # --no-redact
    ],
)
def test_the_setting_decides_unless_the_option_is_given(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, remote: bool, override: bool | None, expected: bool
) -> None:
    if setting is None:
        monkeypatch.delenv("DOCINTEL_REDACT", raising=False)
    else:
        monkeypatch.setenv("DOCINTEL_REDACT", setting)
    assert redaction_enabled(remote=remote, override=override) is expected


def test_a_bad_setting_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCINTEL_REDACT", "sometimes")
    with pytest.raises(DocintelError, match=r"DOCINTEL_REDACT='sometimes' is not valid; use one of: always"):
        redaction_enabled(remote=True)


def test_find_secrets_gives_exact_ranges() -> None:
    text = f'x = 1\nAWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'
    [hit] = find_secrets(text, "k.py")
    assert text[hit.start : hit.end] == AWS_KEY
