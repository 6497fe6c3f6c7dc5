"""Our own secret rules, where detect-secrets is blind, and the context judgements that keep hashes alone.

detect-secrets misses (each was seen sending a secret): URL credentials whose password holds RFC 3986 characters
(``!``, ``*``, ``;``...) or whose user is empty (``redis://:pw@host``); ``"Authorization": "Bearer ..."`` inside
dicts; unquoted new-style tokens (``sk-proj-...``, ``github_pat_...``) in shell scripts; Azure ``AccountKey=``
connection strings; prose credentials ("the staging password is ...") and unquoted ``KEY = value`` assignments in
documents (a PDF's text has no quotes).

And it flags things that are not secrets: 40-hex git SHAs, sha256 digests in fixtures and lock files, SRI
``integrity`` hashes and checksum files. A high-entropy string alone is never enough here: it is a secret only when
the line names a credential (key names) and nothing on it says "hash".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MIN_VALUE_CHARS = 6

# (kind, pattern, group holding the secret). Token shapes are secrets wherever they occur.
TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    # A PEM block: BEGIN line, optional headers, base64 lines, END line (absent when a span cuts the block).
    # A BEGIN marker with no base64 body (code that parses PEM) is not a key.
    (
        "private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[ \t]*\r?\n"
            r"(?:[A-Za-z\-]+:[^\n]*\n)*(?:[ \t]*\r?\n)?"
            r"(?:[ \t]*[A-Za-z0-9+/=]{16,}[ \t]*(?:\r?\n|\Z))+"
            r"(?:[ \t]*-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?"
        ),
        0,
    ),
    # The same block written as one string with \n escapes (JSON service-account files, .env values).
    (
        "private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[^\n]{16,}?"
            r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        ),
        0,
    ),
    ("private-key", re.compile(r"Private-Lines: *\d+\r?\n((?:[A-Za-z0-9+/=]{16,}\r?\n?)+)"), 1),  # PuTTY
    ("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}"), 0),
    ("openai-key", re.compile(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}"), 0),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"), 0),
    ("google-oauth-secret", re.compile(r"\bGOCSPX-[A-Za-z0-9_\-]{24,}"), 0),
    ("github-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"), 0),
    ("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), 0),
    ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"), 0),
    ("slack-token", re.compile(r"\bxox[abposre]-[A-Za-z0-9\-]{10,}"), 0),
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}"), 0),
    ("stripe-key", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"), 0),
    ("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), 0),
    ("pypi-token", re.compile(r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"), 0),
    ("sendgrid-key", re.compile(r"\bSG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}\b"), 0),
    ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{34,}\b"), 0),
    ("twilio-key", re.compile(r"\bSK[0-9a-f]{32}\b"), 0),
    ("digitalocean-token", re.compile(r"\bdop_v1_[a-f0-9]{64}\b"), 0),
    ("shopify-token", re.compile(r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"), 0),
    ("azure-storage-key", re.compile(r"(?i)\bAccountKey=([A-Za-z0-9+/]{20,}={0,2})"), 1),
    ("azure-storage-key", re.compile(r"(?i)\bSharedAccessKey=([A-Za-z0-9+/]{20,}={0,2})"), 1),
    (
        "aws-secret-key",
        re.compile(
            r"(?i)\b(?:aws_?)?secret_?(?:access_?)?key(?:_?id)?[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        1,
    ),
    # "Authorization": "Bearer ...", Authorization: Bearer ..., -H 'authorization: bearer ...'
    (
        "bearer-token",
        re.compile(r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?bearer\s+([A-Za-z0-9._~+/\-]{16,}=*)"),
        1,
    ),
    ("basic-auth-header", re.compile(r"(?i)\bauthorization[\"']?\s*[:=]\s*[\"']?basic\s+([A-Za-z0-9+/]{12,}=*)"), 1),
)

# scheme://user:password@host — the user may be empty, the password may hold any sub-delim (RFC 3986 §3.2.1).
URL_CREDENTIALS = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://([^\s:@/\"'<>]*):([^\s@/\"'<>]+)@[A-Za-z0-9\[\]_.\-]+")

# NAME = value, NAME: value, "name": "value" where NAME says credential. Applied to every file kind: a PDF's or a
# shell script's text has no quotes for detect-secrets' keyword rules to anchor on.
_SECRET_NAME = (
    r"[A-Za-z0-9_.\-]*(?:passw(?:or)?d|passwd|pwd|passphrase|secret|token|api[_\-.]?key|apikey|access[_\-.]?key"
    r"|private[_\-.]?key|auth[_\-.]?key|credentials?|client[_\-.]?secret|signing[_\-.]?key)[A-Za-z0-9_.\-]*"
)
ASSIGNMENT = re.compile(
    r"(?i)(?<![A-Za-z0-9_])[\"']?(" + _SECRET_NAME + r")[\"']?\s*(?::=|=>|[:=])\s*(?:[\"'`]([^\"'`\n]{6,200})[\"'`]"
    r"|([^\s\"'`,;#]{6,200}))"
)

# "the staging password is X", "passphrase: X", "API key for prod was X" in prose.
PROSE = re.compile(
    r"(?i)\b(password|passphrase|passcode|pin code|api key|access key|secret key|token|secret)"
    r"(?:\s+(?:for|of|to|on)\s+(?:the\s+)?[\w\-. ]{1,40}?)?\s+(?:is|was|will be|reads|remains|=)\s*:?\s*"
    r"[\"'“‘`]?([^\s\"'”’`]{6,100})"
)

# Names that say "this is a hash, an id, a reference", not a credential.
HASH_NAMES = re.compile(
    r"(?i)(sha\d*|md5|hash|digest|checksum|integrity|commit|rev(ision)?|etag|fingerprint|nonce|uuid|\bid\b|_id\b"
    r"|tree|parent|object|blob|oid|crc|salt_?rounds|version|token_?type|token_?url|token_?endpoint|tokenizer"
    r"|_file\b|_path\b|_env\b|_name\b|_length\b|_len\b|_ttl\b|_expires?\b|_header\b|_field\b|_prefix\b)"
)
HASH_PREFIX = re.compile(r"(?i)(?:sha(?:1|224|256|384|512)|md5|blake2b?|xxh\d+)[-:=]\s*$")
# Files full of digests: lock files, checksum lists, SRI manifests.
DIGEST_FILES = re.compile(
    r"(?i)(^|/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|poetry\.lock|pdm\.lock|uv\.lock"
    r"|Pipfile\.lock|Cargo\.lock|go\.sum|composer\.lock|Gemfile\.lock|flake\.lock|[^/]*sums?(\.txt)?"
    r"|[^/]*\.(sha1|sha256|sha512|md5|sum|asc|sig|integrity))$"
)
PLACEHOLDER_WORDS = frozenset(
    [
        "password",
        "passwd",
        "secret",
        "token",
        "changeme",
        "example",
        "sample",
        "dummy",
        "placeholder",
        "redacted",
        "xxxxxx",
        "none",
        "null",
        "true",
        "false",
        "undefined",
        "required",
        "optional",
        "hidden",
        "masked",
        "yourpassword",
        "your_password",
        "mypassword",
    ]
)
_TEMPLATED = re.compile(r"^(?:\$|%\(|\{\{|<|\[|\{|@|env\(|os\.|process\.env|getenv|ENV\[)|\$\{|\{\{|\}\}")
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(\(.*\))?$")
_WORDY = re.compile(r"^[a-z]+(?:[ _\-.][a-z]+)*$")
_CODE_EXPRESSION = re.compile(r"^[A-Za-z_][\w.]*[\[(]|^(?:None|null|nil|true|false|True|False)\b")
_PATHLIKE = re.compile(r"^(?:/|\./|\.\./|~/|[A-Za-z]:\\|[a-zA-Z][a-zA-Z0-9+.\-]*://)")
# A value that names a secret ("prod-db-credentials-5", "api-token-ref") is a reference to one, not the secret.
_NAMES_A_SECRET = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)+$")
_SECRET_WORDS = re.compile(r"credential|secret|token|passw|apikey|api[-_]key")


def is_digest(value: str) -> bool:
    """Git SHAs, sha256/512 digests, UUIDs: hex of a hash length, or a UUID."""
    return bool(_UUID.match(value)) or (bool(_HEX.match(value)) and len(value) in (7, 8, 12, 32, 40, 56, 64, 96, 128))


def credential_like(value: str, *, name: str = "", strict: bool = True) -> bool:
    """Whether a value assigned to a credential name (or named in prose) looks like a real credential: not a
    template, a variable, a function call, a path, a word, or a hash under a hash-ish name. ``strict`` also asks
    for two character classes (our own rules); detect-secrets' keyword hits are judged without it."""
    v = value.strip().rstrip(".,;:)]}")
    if _CODE_EXPRESSION.match(v):
        return False
    if len(v) < MIN_VALUE_CHARS or v.lower() in PLACEHOLDER_WORDS or v.lower().strip("*x<>._-") == "":
        return False
    if _TEMPLATED.search(v) or _PATHLIKE.match(v) or "[REDACTED:" in v:
        return False
    if set(v) <= {"*", "x", "X", "•", ".", "#", "-", "_"} or len(set(v)) <= 2:
        return False
    if _UUID.match(v) or (_NAMES_A_SECRET.match(v) and _SECRET_WORDS.search(v)):
        return False
    if name and HASH_NAMES.search(name) and (is_digest(v) or _HEX.match(v)):
        return False
    # settings.SECRET_KEY, get_token(), load_password, API_TOKEN (a name, not a value); mixed-case alphanumerics
    # (``aB3dE9...``) fall through: they are how generated keys look
    generated = any(c.isdigit() for c in v) and any(c.isalpha() for c in v) and len(v) >= 12 and "." not in v
    if _IDENTIFIER.match(v) and ("." in v or "(" in v or v.islower() or v.isupper() or "_" in v) and not generated:
        return False
    if _WORDY.match(v) and (strict or len(v) < 16):  # "stored in vault", "set-by-ci", "not-set"
        return False
    if not strict:
        return True
    classes = sum((any(c.islower() for c in v), any(c.isupper() for c in v), any(c.isdigit() for c in v)))
    symbols = any(not c.isalnum() for c in v)
    return classes + symbols >= 2


def prose_value_ok(value: str) -> bool:
    """A prose credential must look generated: a digit and a letter, or a symbol among letters."""
    v = value.rstrip(".,;:)]}")
    has_digit = any(c.isdigit() for c in v)
    has_alpha = any(c.isalpha() for c in v)
    return credential_like(v) and has_alpha and (has_digit or any(not c.isalnum() for c in v)) and len(v) >= 8


_URL_PLACEHOLDERS = (
    frozenset(["pass", "pw", "pwd", "passwd", "secret", "test", "user", "pass%20pass"]) | PLACEHOLDER_WORDS
)


def url_password_ok(user: str, password: str) -> bool:
    """A URL's password is a secret unless it is a documentation placeholder (``user:pass@host``), a template,
    a mask or a port number (``http://host:8080@...``)."""
    p = password
    if p.lower() in _URL_PLACEHOLDERS or _TEMPLATED.search(p) or set(p) <= {"*", "x", "X"} or p.isdigit():
        return False
    return len(p) >= 3


def basic_auth_ok(encoded: str) -> bool:
    """``Authorization: Basic <base64>`` is a secret unless it decodes to a placeholder pair (``user:pass``)."""
    import base64
    import binascii

    try:
        user, _, password = base64.b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return True
    return url_password_ok(user, password)


# A literal (lowercase) every match of a pattern contains: ``in`` over the lowered text is ~100x faster than a regex
# scan, and most texts hold none of them. Patterns missing here are always run.
_HINTS: dict[str, tuple[str, ...]] = {
    "private-key": ("private",),
    "anthropic-key": ("sk-ant-",),
    "openai-key": ("sk-proj-", "sk-svcacct-", "sk-admin-"),
    "google-api-key": ("aiza",),
    "google-oauth-secret": ("gocspx-",),
    "github-token": ("github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "gitlab-token": ("glpat-",),
    "slack-token": ("xox",),
    "slack-webhook": ("hooks.slack.com",),
    "stripe-key": ("k_live_", "k_test_"),
    "npm-token": ("npm_",),
    "pypi-token": ("pypi-age",),
    "sendgrid-key": ("sg.",),
    "huggingface-token": ("hf_",),
    "twilio-key": ("sk",),
    "digitalocean-token": ("dop_v1_",),
    "shopify-token": ("shpat_", "shpca_", "shppa_", "shpss_"),
    "azure-storage-key": ("accountkey=", "sharedaccesskey="),
    "aws-secret-key": ("secret",),
    "bearer-token": ("authorization",),
    "basic-auth-header": ("authorization",),
}
_ASSIGNMENT_NAMES = re.compile(
    r"passw|passwd|pwd|passphrase|secret|token|api[_\-.]?key|apikey|access[_\-.]?key|private[_\-.]?key"
    r"|auth[_\-.]?key|credential|signing[_\-.]?key"
)


def _lines_with(lowered: str, text: str, names: re.Pattern[str]) -> Iterator[tuple[int, str]]:
    """(offset, line) of each line of ``text`` that mentions one of ``names`` (matched in the lowered text)."""
    seen: set[int] = set()
    for m in names.finditer(lowered):
        start = text.rfind("\n", 0, m.start()) + 1
        if start in seen:
            continue
        seen.add(start)
        end = text.find("\n", m.start())
        yield start, text[start : end if end >= 0 else len(text)]


def rule_hits(text: str) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, kind, anchored) for our rules. Anchored hits are secrets only where found."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few Unicode letters change length when lowered: no shortcuts then
        lowered = ""
    for kind, pattern, group in TOKEN_PATTERNS:
        hints = _HINTS.get(kind)
        if lowered and hints and not any(h in lowered for h in hints):
            continue
        for m in pattern.finditer(text):
            if m.group(group) and (kind != "basic-auth-header" or basic_auth_ok(m.group(group))):
                yield m.start(group), m.end(group), kind, False
    for m in URL_CREDENTIALS.finditer(text):
        user, password = m.group(1), m.group(2)
        if url_password_ok(user, password):
            yield m.start(2), m.end(2), "url-credentials", False
    lines = _lines_with(lowered, text, _ASSIGNMENT_NAMES) if lowered else iter([(0, text)])
    for offset, line in lines:  # only lines that name a credential: the assignment regex is slow on whole texts
        for m in ASSIGNMENT.finditer(line):
            name = m.group(1)
            group = 2 if m.group(2) is not None else 3
            value = m.group(group)
            end = m.start(group) + len(value.rstrip(".,;:)]}"))
            if credential_like(value, name=name) and not HASH_NAMES.search(name.lower().replace("-", "_")):
                yield offset + m.start(group), offset + end, _assignment_kind(name), True
    for m in PROSE.finditer(text):
        value = m.group(2)
        if prose_value_ok(value):
            yield m.start(2), m.start(2) + len(value.rstrip(".,;:)]}")), "prose-credential", True


def _assignment_kind(name: str) -> str:
    n = name.lower()
    if re.search(r"passw|passwd|pwd|passphrase", n):
        return "password"
    if "token" in n:
        return "token"
    if re.search(r"api[_\-.]?key|apikey|access[_\-.]?key|auth[_\-.]?key", n):
        return "api-key"
    return "secret"


def near_digest_context(text: str, start: int) -> bool:
    """``sha256:<hex>``, ``integrity="sha512-<b64>"`` and similar: the value is a digest, whatever its entropy."""
    return bool(HASH_PREFIX.search(text[max(0, start - 12) : start]))


_LONG_VALUE = re.compile(r"[A-Za-z0-9+/=_\-]{20,}")


def line_names_credential(line: str) -> bool:
    """A high-entropy string counts only on a line whose key names a credential and does not name a hash.
    Names are looked for outside long values (``...efPWDhw...`` inside a digest is not a key name)."""
    names = re.findall(_SECRET_NAME, _LONG_VALUE.sub(" ", line), flags=re.IGNORECASE)
    return bool(names) and not all(HASH_NAMES.search(n) for n in names)
