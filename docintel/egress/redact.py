"""Nothing secret leaves the machine by default: find credentials in a Prompt and replace them by placeholders.

Detection: detect-secrets' maintained plugins (AWS, GitHub/GitLab/Slack/Stripe/OpenAI/... tokens, JWTs, URL
basic-auth, ``password = "..."`` keywords, high-entropy strings) plus our rules where it is blind
(docintel.egress.secret_rules: new token shapes, URL passwords with RFC 3986 characters, Authorization headers in dicts,
Azure connection strings, unquoted assignments and prose credentials in documents), judged with context: a
high-entropy string counts only on a line that names a credential and not a hash; digests, SHAs, UUIDs, SRI and
lock/checksum files are left alone. Plugins are called through ``analyze_string`` (never ``analyze_line``, which may
verify a secret over the network).

What is redacted: every occurrence of a found secret in every block and every CitedSpan text, replaced by
``[REDACTED:<kind>]`` (``-2``, ``-3``... for further distinct values of the kind, stable within one prompt). Spans
keep their SourceSpan (they point into the original document); only the text sent changes. What is reported:
``Redaction(path, line, kind)``, never the secret. If the scanner cannot run, ScannerError: nothing is sent.

When: decided at the egress seam (docintel.egress.guard), never inside a backend.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from docintel.egress import secret_rules
from docintel.errors import DocintelError
from docintel.prompt import CitedSpan, Prompt

REDACT_ENV = "DOCINTEL_REDACT"
REDACT_SETTINGS = ("always", "remote", "never")
MIN_SECRET_CHARS = 6  # shorter "secrets" (password = "x") are placeholders in docs, and replacing them mangles text

# detect-secrets secret_type -> the kind we report (kebab-case, as in ``[REDACTED:aws-access-key]``)
_KIND_NAMES = {
    "AWS Access Key": "aws-access-key",
    "Private Key": "private-key",
    "Secret Keyword": "password",
    "Base64 High Entropy String": "high-entropy-string",
    "Hex High Entropy String": "high-entropy-hex",
    "Basic Auth Credentials": "url-credentials",
    "JSON Web Token": "jwt",
    "GitHub Token": "github-token",
    "GitLab Token": "gitlab-token",
    "Slack Token": "slack-token",
    "Stripe Access Key": "stripe-key",
    "OpenAI Token": "openai-key",
    "Azure Storage Account access key": "azure-storage-key",
    "Twilio API Key": "twilio-key",
    "SendGrid API Key": "sendgrid-key",
    "NPM tokens": "npm-token",
    "PyPI Token": "pypi-token",
}
# Public IPs are not credentials, and redacting them would mangle docs and logs. PrivateKeyDetector only flags
# the "BEGIN ... PRIVATE KEY" marker; our whole-block patterns (secret_rules) replace it with the key itself.
# BasicAuthDetector yields only the password and falls back to the whole match for short ones (``://user:pass@``),
# which would then be replaced everywhere: our URL rule (secret_rules.URL_CREDENTIALS) judges the password instead.
_SKIPPED_PLUGINS = {"IPPublicDetector", "PrivateKeyDetector", "BasicAuthDetector"}
# Keyword-style secrets in these files may be unquoted (``password: hunter22``): scan them as config files.
_CONFIG_SUFFIXES = (".env", ".cfg", ".conf", ".cnf", ".ini", ".properties", ".toml", ".yaml", ".yml")


class ScannerError(DocintelError):
    """The secret scanner could not run: nothing is sent (fail closed)."""


@dataclass(frozen=True)
class Redaction:
    """One secret replaced in what was sent: where it was and what kind. Never the secret itself."""

    path: str  # corpus path, or "<instructions>", "<question>", ... for text outside any cited span
    line: int  # 1-based line in the document (or in the block)
    kind: str  # "AWS key", "private key", "password", ...

    def label(self) -> str:
        return f"{self.path}:{self.line} ({self.kind})"


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: str
    # A keyword match (``password = "config"``) is a secret only where it was found; a token-shaped secret
    # (AKIA..., ghp_..., a PEM block) is a secret wherever it occurs.
    anchored: bool = False


def redaction_setting() -> str:
    value = os.environ.get(REDACT_ENV, "remote").strip().lower() or "remote"
    if value not in REDACT_SETTINGS:
        raise DocintelError(f"{REDACT_ENV}={value!r} is not valid; use one of: {', '.join(REDACT_SETTINGS)}")
    return value


def redaction_enabled(*, remote: bool, override: bool | None = None) -> bool:
    """Whether to redact a prompt for a backend; ``override`` (``redact=``/``--no-redact``) beats the setting."""
    if override is not None:
        return override
    setting = redaction_setting()
    return setting == "always" or (setting == "remote" and remote)


def redaction_note(redactions: list[Redaction], *, limit: int = 10) -> str:
    """One line for Answer.notes: ``redacted 2 secrets: config.py:3 (AWS key), key.pem:1 (private key)``."""
    if not redactions:
        return ""
    shown = ", ".join(r.label() for r in redactions[:limit])
    more = f" and {len(redactions) - limit} more" if len(redactions) > limit else ""
    noun = "secret" if len(redactions) == 1 else "secrets"
    return f"redacted {len(redactions)} {noun} before sending: {shown}{more}"


@lru_cache(maxsize=1)
def _plugins() -> tuple[Any, ...]:
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    except ImportError as e:
        raise ScannerError(
            f"the secret scanner cannot run ({e}); nothing was sent: reinstall docintel (detect-secrets), or set "
            "DOCINTEL_REDACT=never / pass --no-redact to send the text unredacted"
        ) from None
    classes: Any = get_mapping_from_secret_type_to_class().values()
    return tuple(cls() for cls in classes if cls.__name__ not in _SKIPPED_PLUGINS)


@lru_cache(maxsize=1)
def _keyword_prefilter() -> re.Pattern[str]:
    from detect_secrets.plugins.keyword import DENYLIST

    return re.compile("|".join(DENYLIST))  # lowercase keywords, matched against lowered text: see _keyword_hits


def _keyword_filename(path: str) -> str:
    """The file name detect-secrets should see, so unquoted ``KEY=value`` in .env and similar is caught."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.startswith(".env") or name.endswith(_CONFIG_SUFFIXES):
        return "settings.ini" if not name.endswith((".yaml", ".yml", ".toml")) else name
    return name


def _is_false_positive(secret: str, line: str, plugin: Any) -> bool:
    from detect_secrets.filters import heuristic

    return (
        len(secret) < MIN_SECRET_CHARS
        or heuristic.is_sequential_string(secret)
        or heuristic.is_potential_uuid(secret)
        or heuristic.is_templated_secret(secret)
        or heuristic.is_prefixed_with_dollar_sign(secret)
        or heuristic.is_not_alphanumeric_string(secret)
        or heuristic.is_likely_id_string(secret, line, plugin)
        or "[REDACTED:" in secret
    )


def _line_at(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start : end if end >= 0 else len(text)]


def _occurrences(text: str, value: str) -> Iterator[int]:
    i = text.find(value)
    while i >= 0:
        yield i
        i = text.find(value, i + len(value))


def _plugin_secrets(plugin: Any, text: str) -> Iterator[tuple[str, int]]:
    """(secret value, offset) pairs a plugin finds in ``text``.

    A regex plugin's ``analyze_string`` yields its capture groups, which for some patterns is only a prefix
    (GitHubTokenDetector yields "ghp"), and no positions: use its patterns directly, taking the secret group
    where there is one. High-entropy plugins: their quoted-string pattern, group 2 is the string.
    """
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

    if isinstance(plugin, HighEntropyStringsPlugin):
        for m in plugin.regex.finditer(text):
            yield m.group(2), m.start(2)
    elif isinstance(plugin, RegexBasedDetector):
        for pattern in plugin.denylist:
            for m in pattern.finditer(text):
                spans = [(m.group(i), m.start(i)) for i in range(1, (pattern.groups or 0) + 1) if m.group(i)]
                value, at = max(spans, key=lambda g: len(g[0]), default=("", 0))
                yield (value, at) if len(value) >= MIN_SECRET_CHARS else (m.group(0), m.start())
    else:
        for value in plugin.analyze_string(text):
            yield value, text.find(value)


def _keyword_hits(plugin: Any, text: str, filename: str, kind: str) -> Iterator[_Hit]:
    """KeywordDetector matches one secret per string and its patterns may run across newlines: go line by
    line, over the lines that mention a keyword at all, and keep each secret at the place it was found."""
    from detect_secrets.plugins.keyword import REGEX_BY_FILETYPE
    from detect_secrets.util.filetype import determine_file_type

    denylist = REGEX_BY_FILETYPE.get(determine_file_type(filename))
    seen_lines: set[int] = set()
    lowered = text.lower()  # a case-sensitive scan of the lowered text is ~8x faster than re.IGNORECASE
    prefilter = _keyword_prefilter()
    if len(lowered) == len(text):
        matches = prefilter.finditer(lowered)
    else:  # lowering changed offsets (a few Unicode letters do): match case-insensitively instead
        matches = re.finditer(prefilter.pattern, text, re.IGNORECASE)
    for m in matches:
        line_start = text.rfind("\n", 0, m.start()) + 1
        if line_start in seen_lines:
            continue
        seen_lines.add(line_start)
        line = _line_at(text, m.start())
        for secret in plugin.analyze_string(line, denylist_regex_to_group=denylist):
            if (
                not secret
                or _is_false_positive(secret, line, plugin)
                or _is_word_like(secret)
                or not secret_rules.credential_like(secret, name=line, strict=False)
            ):
                continue
            pos = line.find(secret, m.start() - line_start)
            if pos < 0:
                pos = line.find(secret)
            yield _Hit(line_start + pos, line_start + pos + len(secret), kind, anchored=True)


def _is_word_like(secret: str) -> bool:
    """``SECRET_KEY = "development key"``: short lowercase words are examples and defaults, not credentials."""
    return len(secret) < 16 and re.fullmatch(r"[a-z _\-.]+", secret) is not None


def find_secrets(text: str, path: str = "") -> list[_Hit]:
    """Character ranges of secrets in ``text`` (a file's text or part of one; ``path`` picks config rules).

    Cached by content: every question over the same corpus sends the same pieces, and scanning is ~1 MB/s.
    Any failure of the scanner is a ScannerError (the caller sends nothing).
    """
    digest_file = bool(path) and secret_rules.DIGEST_FILES.search(path) is not None
    try:
        return list(_find_secrets_cached(text, _keyword_filename(path), digest_file))
    except ScannerError:
        raise
    except ImportError as e:
        raise ScannerError(
            f"the secret scanner cannot run ({e}); nothing was sent: reinstall docintel (detect-secrets), or set "
            "DOCINTEL_REDACT=never / pass --no-redact to send the text unredacted"
        ) from None
    except Exception as e:  # a scanner bug must not let a prompt out unscanned
        raise ScannerError(
            f"the secret scanner failed on {path or 'the prompt'} ({type(e).__name__}: {e}); nothing was sent"
        ) from None


@lru_cache(maxsize=16384)
def _find_secrets_cached(text: str, keyword_file: str, digest_file: bool) -> tuple[_Hit, ...]:
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.plugins.keyword import KeywordDetector

    if not text:
        return ()
    hits = [_Hit(start, end, kind, anchored) for start, end, kind, anchored in secret_rules.rule_hits(text)]

    values: dict[str, str] = {}  # secret value -> kind
    for plugin in _plugins():
        kind = _KIND_NAMES.get(plugin.secret_type, _kebab(plugin.secret_type))
        if isinstance(plugin, KeywordDetector):
            hits.extend(_keyword_hits(plugin, text, keyword_file, kind))
            continue
        entropy = isinstance(plugin, HighEntropyStringsPlugin)
        if entropy and digest_file:  # lock and checksum files: every long string there is a digest
            continue
        rejected: set[str] = set()
        for secret, at in _plugin_secrets(plugin, text):
            if not secret or "\n" in secret or at < 0 or secret in values or secret in rejected:
                continue
            line = _line_at(text, at)
            if (
                entropy
                and (
                    len(secret) < 20
                    or plugin.calculate_shannon_entropy(secret) <= plugin.entropy_limit
                    or secret_rules.is_digest(secret)
                    or secret_rules.near_digest_context(text, at)
                    or not secret_rules.line_names_credential(line)  # entropy alone is not a secret
                )
            ) or _is_false_positive(secret, line, plugin):
                rejected.add(secret)
                continue
            values[secret] = kind
    for secret, kind in values.items():
        hits.extend(_Hit(i, i + len(secret), kind) for i in _occurrences(text, secret))
    return tuple(_merge(hits))


def _kebab(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")


def _merge(hits: list[_Hit]) -> list[_Hit]:
    """Overlapping hits become one (the longest first hit's kind wins), sorted by start."""
    merged: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end, h.anchored)):
        if merged and hit.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = _Hit(last.start, max(last.end, hit.end), last.kind)
        else:
            merged.append(hit)
    return merged


class Placeholders:
    """``[REDACTED:<kind>]`` for the first value of a kind, ``[REDACTED:<kind>-2]`` for the next distinct one...:
    stable per value within one prompt (numbered in the order the prompt's text meets them, so an unchanged
    prefix gets the same placeholders and the prompt cache still hits), and two different secrets stay apart."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def name(self, value: str, kind: str) -> str:
        if value not in self._names:
            n = self._counts[kind] = self._counts.get(kind, 0) + 1
            self._names[value] = f"[REDACTED:{kind}]" if n == 1 else f"[REDACTED:{kind}-{n}]"
        return self._names[value]


def _replace(text: str, hits: list[_Hit], names: Placeholders | None = None) -> str:
    names = names or Placeholders()
    out: list[str] = []
    pos = 0
    for hit in hits:
        out.append(text[pos : hit.start])
        out.append(names.name(text[hit.start : hit.end], hit.kind))
        pos = hit.end
    out.append(text[pos:])
    return "".join(out)


@dataclass
class _Known:
    """Secrets found so far in one prompt, to replace wherever else the same text is sent."""

    values: dict[str, str]  # token-shaped secret -> kind: replaced everywhere
    lines: dict[str, list[tuple[str, str]]]  # a line holding keyword secrets -> [(secret, kind)]

    def add(self, text: str, hit: _Hit) -> None:
        value = text[hit.start : hit.end]
        if not hit.anchored:
            self.values.setdefault(value, hit.kind)
            return
        line = _line_at(text, hit.start).strip()
        if line and (value, hit.kind) not in self.lines.setdefault(line, []):
            self.lines[line].append((value, hit.kind))

    def __contains__(self, value: str) -> bool:
        return value in self.values or any(value == v for pairs in self.lines.values() for v, _ in pairs)

    def hits_in(self, text: str) -> list[_Hit]:
        hits = [_Hit(i, i + len(v), k) for v, k in self.values.items() for i in _occurrences(text, v)]
        for line, pairs in self.lines.items():
            for at in _occurrences(text, line):
                for value, kind in pairs:
                    i = text.find(value, at, at + len(line))
                    if i >= 0:
                        hits.append(_Hit(i, i + len(value), kind, anchored=True))
        return hits


def _redacted(text: str, hits: list[_Hit], known: _Known, names: Placeholders) -> str:
    return _replace(text, _merge(hits + known.hits_in(text)), names)


def redact_text(text: str, path: str = "") -> tuple[str, list[Redaction]]:
    """``text`` with its secrets replaced, and where they were (lines counted from 1 within ``text``)."""
    hits = find_secrets(text, path)
    reports = [Redaction(path, text.count("\n", 0, h.start) + 1, h.kind) for h in hits]
    return _replace(text, hits), reports


def _block_secrets(text: str, cited: tuple[CitedSpan, ...]) -> list[_Hit]:
    """Secrets in a block, not scanning again the cited spans it quotes verbatim (the corpus block holds every
    span: scanning it whole would double the cost). Their secrets are replaced through ``_Known``."""
    if len(text) < 65536:
        return find_secrets(text)
    gaps: list[tuple[int, int]] = []
    cursor = 0
    for c in cited:
        # pieces follow each other in the block, with only a short label between: look a little way ahead
        at = text.find(c.text, cursor, cursor + len(c.text) + 4096) if c.text else -1
        if at >= 0:
            gaps.append((cursor, at))
            cursor = at + len(c.text)
    gaps.append((cursor, len(text)))
    hits: list[_Hit] = []
    for start, end in gaps:
        if text[start:end].strip():
            hits.extend(_Hit(h.start + start, h.end + start, h.kind, h.anchored) for h in find_secrets(text[start:end]))
    return hits


def redact_prompt(prompt: Prompt) -> tuple[Prompt, list[Redaction]]:
    """The prompt as it may be sent to a third party, and the redactions made (path, line, kind).

    Cited spans are scanned with their file's path (so config-file rules apply) and reported at document lines;
    every secret found is then replaced wherever that text is sent: in the spans, the blocks and the question.
    Secrets found only in block text (a corpus map, the instructions) are reported as ``<role>:line``.
    """
    known = _Known({}, {})
    redactions: list[Redaction] = []
    span_hits: list[list[_Hit]] = []
    for cited in prompt.citations:
        hits = find_secrets(cited.text, cited.span.path)
        span_hits.append(hits)
        for h in hits:
            known.add(cited.text, h)
            line = cited.span.start_line + cited.text.count("\n", 0, h.start)
            redactions.append(Redaction(cited.span.path, line, h.kind))

    block_hits = [_block_secrets(b.text, prompt.citations) for b in prompt.blocks]
    for block, hits in zip(prompt.blocks, block_hits, strict=True):
        for h in hits:
            value = block.text[h.start : h.end]
            if value not in known and not any(value in v or v in value for v in known.values):
                redactions.append(Redaction(f"<{block.role}>", block.text.count("\n", 0, h.start) + 1, h.kind))
    for block, hits in zip(prompt.blocks, block_hits, strict=True):
        for h in hits:
            known.add(block.text, h)

    if not redactions:
        return prompt, []
    names = Placeholders()  # blocks first, in order: the prefix numbers its placeholders the same every time
    blocks = tuple(
        replace(b, text=_redacted(b.text, hits, known, names))
        for b, hits in zip(prompt.blocks, block_hits, strict=True)
    )
    citations = tuple(
        CitedSpan(c.id, c.span, _redacted(c.text, hits, known, names))
        for c, hits in zip(prompt.citations, span_hits, strict=True)
    )
    question = _redacted(prompt.question, find_secrets(prompt.question), known, names)
    unique = sorted(set(redactions), key=lambda r: (r.path, r.line, r.kind))
    return replace(prompt, blocks=blocks, citations=citations, question=question), unique


__all__ = [
    "REDACT_ENV",
    "Placeholders",
    "Redaction",
    "ScannerError",
    "find_secrets",
    "redact_prompt",
    "redact_text",
    "redaction_enabled",
    "redaction_note",
    "redaction_setting",
]
