"""Does anything secret leave? Seeded secrets and harmless look-alikes through docintel's real egress paths.

Generates a corpus (a seeded RNG: the same every run) of secrets of many kinds — cloud and SaaS keys, VCS tokens,
private keys, URL credentials, Authorization headers, passwords in .env/YAML/shell and in the prose of contracts
(TXT, PDF, DOCX) and a meeting transcript (VTT) — among harmless look-alikes: git SHAs, sha256/512 digests in
fixtures, lock and checksum files, UUIDs, SRI hashes, public keys, templated and placeholder values, prose that
talks about passwords. Then runs what a user runs, against a localhost server that speaks the Messages API and
records every request (tests/docintel/backends/fake_messages_server.py):

    docintel ask CORPUS Q --backend anthropic          (full route: the whole corpus in the prompt)
    docintel ask CORPUS Q --backend anthropic --budget  (retrieve route)
    docintel audit CORPUS --backend anthropic           (every checklist item, and the report it writes)
    docintel pack CORPUS Q --format json                (what an agent's own model gets)
    MCP search (the real server, in process)            (hit texts an agent receives)

A secret counts as *sent* if its value appears in anything that left (request texts, pack output, MCP results,
the audit report; not the answer ``ask`` prints on this machine); a look-alike counts as *redacted* if it is in
the ingested corpus but missing from the full route's prompt. Prints the table per kind (and family), the totals,
and a baseline measured in the same run (detect-secrets alone); exits 1 if the goal is not met
(0 secrets sent, recall >= 95% per family, <= 1% of look-alikes redacted).

    .venv/bin/python benchmarks/bench_secrets.py [--keep DIR]
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import random
import shutil
import string
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests/docintel/backends"))

RNG = random.Random(20261202)
ALNUM = string.ascii_letters + string.digits
FAMILIES = {
    "aws-access-key": "cloud keys",
    "aws-secret-key": "cloud keys",
    "google-api-key": "cloud keys",
    "azure-storage-key": "cloud keys",
    "github-token": "VCS tokens",
    "github-fine-grained": "VCS tokens",
    "gitlab-token": "VCS tokens",
    "openai-key": "SaaS tokens",
    "anthropic-key": "SaaS tokens",
    "slack-token": "SaaS tokens",
    "slack-webhook": "SaaS tokens",
    "stripe-key": "SaaS tokens",
    "sendgrid-key": "SaaS tokens",
    "npm-token": "SaaS tokens",
    "huggingface-token": "SaaS tokens",
    "private-key": "private keys",
    "url-credentials": "URL credentials",
    "bearer-header": "auth headers",
    "jwt": "auth headers",
    "env-password": "passwords",
    "yaml-password": "passwords",
    "shell-token": "passwords",
    "prose-password": "prose credentials",
    "pdf-credential": "prose credentials",
    "docx-credential": "prose credentials",
    "vtt-credential": "prose credentials",
}


def rand(chars: str, n: int) -> str:
    return "".join(RNG.choice(chars) for _ in range(n))


def password() -> str:
    return (
        rand(string.ascii_uppercase, 1)
        + rand(string.ascii_lowercase, 5)
        + rand(string.digits, 3)
        + "!"
        + rand(ALNUM, 4)
    )


@dataclass
class Seed:
    kind: str
    value: str
    path: str


@dataclass
class Clean:
    kind: str
    value: str
    path: str


class Corpus:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: dict[str, str] = {}
        self.secrets: list[Seed] = []
        self.clean: list[Clean] = []

    def secret(self, kind: str, value: str, path: str) -> str:
        self.secrets.append(Seed(kind, value, path))
        return value

    def ok(self, kind: str, value: str, path: str) -> str:
        self.clean.append(Clean(kind, value, path))
        return value

    def add(self, path: str, text: str) -> None:
        self.files[path] = self.files.get(path, "") + text


# ------------------------------------------------------------------------------------------------- generators
def _pem(kind: str = "RSA") -> str:
    body = base64.b64encode(RNG.randbytes(600)).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {kind} PRIVATE KEY-----\n{lines}\n-----END {kind} PRIVATE KEY-----\n"


def _jwt() -> str:
    head = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    claims = json.dumps({"sub": rand(string.digits, 8), "name": "svc", "iat": 1700000000 + RNG.randrange(10**6)})
    body = base64.urlsafe_b64encode(claims.encode()).decode().rstrip("=")
    return f"{head}.{body}.{base64.urlsafe_b64encode(RNG.randbytes(32)).decode().rstrip('=')}"


def build(c: Corpus) -> None:
    for n in range(5):
        svc = f"services/svc{n}"
        ak = c.secret("aws-access-key", "AKIA" + rand(string.ascii_uppercase + "234567", 16), f"{svc}/.env")
        sk = c.secret("aws-secret-key", rand(ALNUM + "/+", 40), f"{svc}/.env")
        pw = c.secret("env-password", password(), f"{svc}/.env")
        c.add(f"{svc}/.env", f"PORT=80{n}0\nAWS_ACCESS_KEY_ID={ak}\nAWS_SECRET_ACCESS_KEY={sk}\nDB_PASSWORD={pw}\n")
        c.add(f"{svc}/.env", f"DB_HOST=db{n}.internal\nLOG_LEVEL=info\nFEATURE_FLAGS=search,export\n")
        ypw = c.secret("yaml-password", password(), f"{svc}/config.yaml")
        c.add(
            f"{svc}/config.yaml",
            f"database:\n  host: db{n}.internal\n  user: app\n  password: {ypw}\n"
            f"  password_file: {c.ok('templated', '/run/secrets/db_password', f'{svc}/config.yaml')}\n"
            f"cache:\n  token: {c.ok('templated', '${CACHE_TOKEN}', f'{svc}/config.yaml')}\n",
        )
        gh = c.secret("github-token", "ghp_" + rand(ALNUM, 36), f"{svc}/deploy.sh")
        pat = c.secret(
            "github-fine-grained", "github_pat_" + rand(ALNUM, 22) + "_" + rand(ALNUM, 59), f"{svc}/deploy.sh"
        )
        oa = c.secret("openai-key", "sk-proj-" + rand(ALNUM + "_-", 48), f"{svc}/deploy.sh")
        tok = c.secret("shell-token", rand(ALNUM, 32), f"{svc}/deploy.sh")
        c.add(
            f"{svc}/deploy.sh",
            "#!/bin/sh\nset -eu\n"
            f"export GITHUB_TOKEN={gh}\nexport GH_PAT={pat}\nexport OPENAI_API_KEY={oa}\n"
            f"DEPLOY_TOKEN={tok} ./release.sh\n"
            f'curl -H "Authorization: Bearer $DEPLOY_TOKEN" https://deploy.example.com/v1/release\n'
            f"git checkout {c.ok('git-sha', hashlib.sha1(f'rel{n}'.encode()).hexdigest(), f'{svc}/deploy.sh')}\n",
        )
        gl = c.secret("gitlab-token", "glpat-" + rand(ALNUM, 20), f"{svc}/ci.yml")
        c.add(f"{svc}/ci.yml", f"variables:\n  GITLAB_TOKEN: {gl}\n  IMAGE_TAG: v1.{n}.0\n")
        an = c.secret("anthropic-key", "sk-ant-api03-" + rand(ALNUM + "-_", 80), f"{svc}/client.py")
        bearer = c.secret("bearer-header", rand(ALNUM, 40), f"{svc}/client.py")
        redis_pw = c.secret("url-credentials", "r3d!s" + rand(ALNUM, 6) + "*;", f"{svc}/client.py")
        pg_pw = c.secret("url-credentials", "Pg" + rand(ALNUM, 8) + "!$", f"{svc}/client.py")
        c.add(
            f"{svc}/client.py",
            "import os\n\n"
            f'ANTHROPIC_KEY = "{an}"\n'
            f'HEADERS = {{"Authorization": "Bearer {bearer}", "Accept": "application/json"}}\n'
            f'REDIS_URL = "redis://:{redis_pw}@cache{n}.internal:6379/0"\n'
            f'DB_URL = "postgresql://app:{pg_pw}@db{n}.internal:5432/app"\n'
            f'token = os.environ["API_TOKEN"]\n'
            f'auth = f"Bearer {{token}}"\n'
            f'REQUEST_ID = "{c.ok("uuid", str(uuid.UUID(int=RNG.getrandbits(128))), f"{svc}/client.py")}"\n',
        )
        jwt = c.secret("jwt", _jwt(), f"{svc}/auth/session.json")
        c.add(f"{svc}/auth/session.json", json.dumps({"session": jwt, "user": f"user{n}"}, indent=2) + "\n")

    # one each of the rarer shapes, across files
    kinds = [
        ("google-api-key", lambda: "AIza" + rand(ALNUM + "_-", 35), "web/maps.js", 'const MAPS_KEY = "{}";\n'),
        (
            "slack-token",
            lambda: "xoxb-" + rand(string.digits, 12) + "-" + rand(ALNUM, 24),
            "ops/notify.sh",
            "SLACK={} \n",
        ),
        (
            "slack-webhook",
            lambda: (
                f"https://hooks.slack.com/services/T{rand(string.ascii_uppercase + string.digits, 8)}/"
                f"B{rand(string.ascii_uppercase + string.digits, 8)}/{rand(ALNUM, 24)}"
            ),
            "ops/alerts.yaml",
            "webhook_url: {}\n",
        ),
        ("stripe-key", lambda: "sk_live_" + rand(ALNUM, 24), "billing/settings.py", 'STRIPE_KEY = "{}"\n'),
        (
            "sendgrid-key",
            lambda: "SG." + rand(ALNUM + "_-", 22) + "." + rand(ALNUM + "_-", 43),
            "mail/send.js",
            'const sg = "{}";\n',
        ),
        ("npm-token", lambda: "npm_" + rand(ALNUM, 36), "web/.npmrc", "//registry.npmjs.org/:_authToken={}\n"),
        ("huggingface-token", lambda: "hf_" + rand(ALNUM, 34), "ml/train.sh", "huggingface-cli login --token {}\n"),
        (
            "azure-storage-key",
            lambda: base64.b64encode(RNG.randbytes(64)).decode(),
            "infra/storage.cs",
            'var conn = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={};'
            'EndpointSuffix=core.windows.net";\n',
        ),
    ]
    for kind, make, path, template in kinds:
        for i in range(3):
            value = c.secret(kind, make(), path)
            c.add(
                path,
                template.format(value) + (f"// entry {i}\n" if path.endswith((".js", ".cs")) else f"# entry {i}\n"),
            )
    for i, label in enumerate(("RSA", "OPENSSH", "EC")):
        pem = _pem(label)
        body_line = pem.splitlines()[2]
        c.secret("private-key", body_line, f"keys/deploy_{i}")
        c.add(f"keys/deploy_{i}", pem)

    # contracts and a transcript: prose credentials
    for i in range(3):
        sow = f"contracts/sow_{i}.txt"
        pw = c.secret("prose-password", password(), sow)
        c.add(
            f"contracts/sow_{i}.txt",
            f"STATEMENT OF WORK {i + 1}\n\n1. Access\n1.1 The staging password is {pw} and will be rotated monthly.\n"
            f"1.2 {c.ok('prose', 'The password is required to have at least 12 characters.', sow)}\n"
            f"1.3 {c.ok('prose', 'The production password is stored in the customer vault.', sow)}\n"
            "2. Fees\n2.1 Fees are payable within 30 days.\n",
        )
    pdf_lines: list[str] = []
    for i in range(3):
        key = c.secret("pdf-credential", rand(ALNUM + "/+", 40), "contracts/hosting.pdf")
        pdf_lines += [f"Schedule {i + 1}: credentials", f"aws_secret_access_key = {key}", ""]
    pdf_lines.append(c.ok("prose", "Passwords must be changed every ninety days.", "contracts/hosting.pdf"))
    c.add("contracts/hosting.pdf", "\n".join(pdf_lines))
    docx_lines: list[str] = []
    for i in range(3):
        pw = c.secret("docx-credential", password(), "contracts/msa.docx")
        docx_lines.append(f"{i + 1}.1 The vendor portal password is {pw} until the first rotation.")
    docx_lines.append(c.ok("prose", "The token is valid for one hour after issue.", "contracts/msa.docx"))
    c.add("contracts/msa.docx", "\n".join(docx_lines))
    vtt = ["WEBVTT", ""]
    for i in range(3):
        pw = c.secret("vtt-credential", password(), "meetings/standup.vtt")
        vtt += [
            f"00:00:{10 * i + 1:02d}.000 --> 00:00:{10 * i + 9:02d}.000",
            f"<v Dana>The VPN password is {pw} for now.",
            "",
        ]
    vtt += [
        "00:01:00.000 --> 00:01:09.000",
        "<v Lee>" + c.ok("prose", "Okay, the secret is safe with me.", "meetings/standup.vtt"),
        "",
    ]
    c.add("meetings/standup.vtt", "\n".join(vtt))

    _look_alikes(c)


def _look_alikes(c: Corpus) -> None:
    """Harmless strings that look like secrets to entropy and regexes: each must arrive as it is."""
    for n in range(40):  # git metadata in JSON
        path = f"data/commits_{n // 4}.json"
        sha = c.ok("git-sha", hashlib.sha1(f"commit{n}".encode()).hexdigest(), path)
        tree = c.ok("git-sha", hashlib.sha1(f"tree{n}".encode()).hexdigest(), path)
        c.add(path, json.dumps({"sha": sha, "tree": {"sha": tree}, "message": f"fix {n}"}) + "\n")
    for n in range(60):  # fixtures with digests
        path = f"tests/fixtures/blobs_{n // 5}.py"
        digest = c.ok("sha256", hashlib.sha256(f"blob{n}".encode()).hexdigest(), path)
        c.add(path, f'BLOB_{n}_SHA256 = "{digest}"\n')
    for n in range(50):  # lock files
        path = f"web/package-lock_{n // 10}.json"
        integ = "sha512-" + base64.b64encode(hashlib.sha512(f"pkg{n}".encode()).digest()).decode()
        c.ok("sri", integ, path)
        c.add(path, f'    "node_modules/pkg{n}": {{"version": "1.{n}.0", "integrity": "{integ}"}},\n')
    for n in range(40):  # checksum files
        path = f"dist/SHA256SUMS_{n // 8}"
        digest = c.ok("sha256", hashlib.sha256(f"artifact{n}".encode()).hexdigest(), path)
        c.add(path, f"{digest}  docintel-1.{n}.tar.gz\n")
    for n in range(30):  # poetry.lock style hashes
        path = f"locks/poetry_{n // 6}.lock"
        digest = c.ok("sha256", hashlib.sha256(f"wheel{n}".encode()).hexdigest(), path)
        c.add(path, f'{{file = "pkg{n}-1.0-py3-none-any.whl", hash = "sha256:{digest}"}},\n')
    for n in range(50):  # UUIDs in config and code
        path = f"config/tenants_{n // 5}.yaml"
        u = c.ok("uuid", str(uuid.UUID(int=RNG.getrandbits(128))), path)
        c.add(path, f"- tenant_id: {u}\n  name: tenant{n}\n")
    for n in range(30):  # SRI in HTML
        path = f"web/page_{n // 3}.html"
        sri = "sha384-" + base64.b64encode(hashlib.sha384(f"script{n}".encode()).digest()).decode()
        c.ok("sri", sri, path)
        c.add(path, f'<script src="/js/app{n}.js" integrity="{sri}" crossorigin="anonymous"></script>\n')
    for n in range(30):  # docker digests and etags
        path = f"deploy/images_{n // 3}.txt"
        d = c.ok("sha256", hashlib.sha256(f"image{n}".encode()).hexdigest(), path)
        e = c.ok("etag", hashlib.md5(f"etag{n}".encode()).hexdigest(), path)
        c.add(path, f'registry.example.com/app@sha256:{d}\nETag: "{e}"\n')
    for n in range(30):  # public keys and base64 data under non-credential names
        path = f"keys/authorized_keys_{n // 3}"
        pub = "AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + base64.b64encode(RNG.randbytes(48)).decode()
        c.ok("public-key", pub, path)
        c.add(path, f"ssh-rsa {pub} user{n}@host\n")
    for n in range(30):
        path = f"web/assets_{n // 3}.json"
        thumb = base64.b64encode(RNG.randbytes(45)).decode()
        c.ok("base64-data", thumb, path)
        c.add(path, json.dumps({"name": f"icon{n}.png", "thumbnail": thumb}) + "\n")
    for n in range(30):  # templated and placeholder credentials
        path = f"docs/setup_{n // 3}.md"
        line = c.ok(
            "templated",
            RNG.choice(
                [
                    "export API_KEY=${API_KEY}",
                    "password: <your-password>",
                    "DB_URL=postgres://user:${DB_PASSWORD}@localhost/app",
                    "token = get_token(client_id)",
                    "SECRET_KEY = os.environ.get('SECRET_KEY')",
                    "api_key = settings.API_KEY",
                ]
            )
            + f"  # step {n}",
            path,
        )
        c.add(path, line + "\n")
    for n in range(30):  # credential-ish key names whose values are references, not secrets
        path = f"k8s/deployment_{n // 3}.yaml"
        line = c.ok(
            "reference",
            RNG.choice(
                [
                    f"secretName: prod-db-credentials-{n}",
                    f"token_type: bearer  # oauth client {n}",
                    f"password_min_length: {8 + n % 8}",
                    f"api_version: 2023-06-{n % 28 + 1:02d}",
                    f"secret_ref: vault://kv/apps/service{n}/db",
                    f"Authorization: Bearer ${{TOKEN_{n}}}",
                ]
            ),
            path,
        )
        c.add(path, line + "\n")
    for n in range(20):  # long identifiers and version strings
        path = f"src/names_{n // 2}.py"
        ident = c.ok("identifier", f"refresh_access_token_from_session_cookie_v{n}", path)
        c.add(path, f"def {ident}(request):\n    return request\n")


def write_files(c: Corpus) -> None:
    for rel, text in c.files.items():
        path = c.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".pdf"):
            from reportlab.lib.pagesizes import A4
            from reportlab.pdfgen import canvas

            pdf = canvas.Canvas(str(path), pagesize=A4)
            y = 800
            for line in text.splitlines():
                pdf.setFont("Helvetica", 9)
                pdf.drawString(40, y, line)
                y -= 14
            pdf.save()
        elif rel.endswith(".docx"):
            import docx

            document = docx.Document()
            for line in text.splitlines():
                document.add_paragraph(line)
            document.save(str(path))
        else:
            path.write_text(text, encoding="utf-8")


# ------------------------------------------------------------------------------------------------- egress runs
def _request_texts(server: Any) -> list[str]:
    out: list[str] = []
    for r in server.requests:
        for block in r.body.get("system", []) or []:
            out.append(block.get("text", ""))
        for message in r.body.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                out.append(content)
            else:
                out.extend(part.get("text", "") for part in content or [])
    return out


def _json_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _json_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _json_strings(v)]
    return []


def run_channels(root: Path) -> tuple[dict[str, str], str, int]:
    """Text that left per channel, the full route's prompt text, and the number of requests sent."""
    from fake_messages_server import FakeMessagesServer
    from typer.testing import CliRunner

    from docintel.cli.main import app

    runner = CliRunner()
    sent: dict[str, str] = {}
    with FakeMessagesServer(reply="See [1].") as server:
        env = {"ANTHROPIC_API_KEY": server.api_key, "ANTHROPIC_BASE_URL": server.base_url}
        os.environ.update(env)
        base = ["--backend", "anthropic", "--base-url", server.base_url, "--json"]
        question = "Which credentials and keys does the deployment use?"
        r = runner.invoke(app, ["ask", str(root), question, *base, "--mode", "full"])
        _check(r, "ask (full)")
        full_prompt = "\n".join(_request_texts(server))
        sent["ask full"] = full_prompt  # what left; the answer printed here (stdout) stays on this machine
        mode = json.loads(r.stdout).get("plan", {}).get("mode") if r.stdout.strip().startswith("{") else "?"
        if mode != "full":
            print(f"warning: the first ask took the {mode} route, not full", file=sys.stderr)
        n0 = len(server.requests)
        r = runner.invoke(app, ["ask", str(root), "What is the staging password?", *base, "--budget", "3000"])
        _check(r, "ask (retrieve)")
        sent["ask retrieve"] = "\n".join(_request_texts(server)[n0:])
        n0 = len(server.requests)
        audit = ["audit", str(root), "--checklist", "code-security", "--backend", "anthropic", "--format", "json"]
        r = runner.invoke(app, audit)
        _check(r, "audit", ok=(0, 3))
        sent["audit"] = "\n".join(_request_texts(server)[n0:]) + r.stdout  # the report: uploaded, attached, pasted
        requests = len(server.requests)
    r = runner.invoke(
        app, ["pack", str(root), "Which credentials does deploy use?", "--budget", "100000", "--format", "json"]
    )
    _check(r, "pack")
    sent["pack"] = "\n".join(_json_strings(json.loads(r.stdout)))
    sent["mcp search"] = asyncio.run(_mcp_search(root))
    return sent, full_prompt, requests


async def _mcp_search(root: Path) -> str:
    from mcp import Client

    from docintel.mcp_server import build_server

    texts: list[str] = []
    async with Client(build_server([root])) as client:
        for query in ("password", "token", "secret key", "credentials", "Authorization Bearer", "private key"):
            result = await client.call_tool("search", {"query": query, "k": 100})
            texts += _json_strings(result.structured_content)
    return "\n".join(texts)


def _check(result: Any, what: str, ok: tuple[int, ...] = (0,)) -> None:
    if result.exit_code not in ok:
        detail = f"{result.stdout[-500:]} {result.stderr[-500:]} {result.exception!r}"
        raise SystemExit(f"{what} failed (exit {result.exit_code}): {detail}")
    if "Traceback" in result.stdout + result.stderr:
        raise SystemExit(f"{what} printed a traceback")


# ----------------------------------------------------------------------------------------------------- baseline
def detect_secrets_alone(documents: list[tuple[str, str]]) -> set[tuple[str, int]]:
    """The baseline, measured in the same run: detect-secrets' own scan (default plugins and filters) over the
    ingested text of every document. It flags lines; a value counts as caught when its line is flagged."""
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    flagged: set[tuple[str, int]] = set()
    with tempfile.TemporaryDirectory() as tmp, default_settings():
        collection = SecretsCollection(root=tmp)
        for i, (path, text) in enumerate(documents):
            name = f"{i}_{Path(path).name}"
            (Path(tmp) / name).write_text(text, encoding="utf-8")
            collection.scan_file(name)
        names = {f"{i}_{Path(path).name}": path for i, (path, _) in enumerate(documents)}
        for filename, secrets in collection.data.items():
            for secret in secrets:
                flagged.add((names.get(Path(filename).name, filename), secret.line_number))
    return flagged


def lines_of(value: str, documents: list[tuple[str, str]]) -> list[tuple[str, int]]:
    out = []
    for path, text in documents:
        at = text.find(value)
        while at >= 0:
            out.append((path, text.count("\n", 0, at) + 1))
            at = text.find(value, at + 1)
    return out


# ------------------------------------------------------------------------------------------------------ report
def main() -> int:
    keep = Path(sys.argv[sys.argv.index("--keep") + 1]) if "--keep" in sys.argv else None
    home = tempfile.mkdtemp(prefix="docintel-home-")
    os.environ["DOCINTEL_HOME"] = home
    os.environ.pop("DOCINTEL_REDACT", None)
    root = keep or Path(tempfile.mkdtemp(prefix="secrets-corpus-"))
    c = Corpus(root)
    build(c)
    write_files(c)
    from docintel.ingest import load_corpus

    documents = [(d.path, d.text) for d in load_corpus(root).documents]
    ingested = "\n".join(text for _, text in documents)
    t0 = time.perf_counter()
    baseline = detect_secrets_alone(documents)
    baseline_s = time.perf_counter() - t0
    started = time.perf_counter()
    sent, full_prompt, requests = run_channels(root)
    elapsed = time.perf_counter() - started
    everything = "\n".join(sent.values())

    rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    leaks: list[str] = []
    for s in c.secrets:
        row = rows[s.kind]
        row["seeded"] += 1
        if s.value not in ingested:
            row["not ingested"] += 1
            continue
        if s.value in everything:
            row["sent"] += 1
            leaks.append(f"{s.kind} in {s.path} via {', '.join(k for k, v in sent.items() if s.value in v)}")
        else:
            row["redacted"] += 1
    fp_rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    false_positives: list[str] = []
    for x in c.clean:
        row = fp_rows[x.kind]
        row["strings"] += 1
        if x.value not in ingested:
            row["not ingested"] += 1
        elif x.value not in full_prompt:
            row["redacted"] += 1
            false_positives.append(f"{x.kind} in {x.path}: {x.value[:60]}")

    files = len(c.files)
    print(f"corpus: {files} files, {len(c.secrets)} seeded secrets of {len(rows)} kinds, {len(c.clean)} look-alikes")
    print(f"egress: {requests} requests to the localhost Messages API + pack + MCP search, {elapsed:.0f} s\n")
    print("| kind | family | seeded | sent | redacted | recall |\n|---|---|---:|---:|---:|---:|")
    fam: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for kind in sorted(rows, key=lambda k: (FAMILIES.get(k, ""), k)):
        r = rows[kind]
        counted = r["seeded"] - r["not ingested"]
        fam[FAMILIES.get(kind, "other")][0] += r["redacted"]
        fam[FAMILIES.get(kind, "other")][1] += counted
        recall = r["redacted"] / counted if counted else 0.0
        extra = f" ({r['not ingested']} not ingested)" if r["not ingested"] else ""
        family = FAMILIES.get(kind, "other")
        print(f"| {kind} | {family} | {r['seeded']}{extra} | {r['sent']} | {r['redacted']} | {recall:.0%} |")
    print("\n| family | recall |\n|---|---:|")
    for family, (hit, total) in sorted(fam.items()):
        print(f"| {family} | {hit}/{total} = {hit / total:.0%} |")
    print("\n| look-alike | strings | redacted (false positive) |\n|---|---:|---:|")
    for kind in sorted(fp_rows):
        r = fp_rows[kind]
        extra = f" ({r['not ingested']} not ingested)" if r["not ingested"] else ""
        print(f"| {kind} | {r['strings']}{extra} | {r['redacted']} |")
    base_caught = sum(1 for x in c.secrets if any(ln in baseline for ln in lines_of(x.value, documents)))
    base_fp = sum(1 for x in c.clean if any(ln in baseline for ln in lines_of(x.value, documents)))
    print(
        f"\nbaseline, same run: detect-secrets alone (default plugins and filters, line-level, {baseline_s:.1f} s) "
        f"flags the lines of {base_caught} of {len(c.secrets)} secrets and of {base_fp} of {len(c.clean)} look-alikes"
    )
    total_sent = sum(r["sent"] for r in rows.values())
    total_fp = sum(r["redacted"] for r in fp_rows.values())
    counted_clean = sum(r["strings"] - r["not ingested"] for r in fp_rows.values())
    print(
        f"\nsecrets sent: {total_sent} of {len(c.secrets)}; per channel: "
        + ", ".join(f"{k} {sum(1 for s in c.secrets if s.value in v)}" for k, v in sent.items())
    )
    print(f"look-alikes redacted: {total_fp} of {counted_clean} ({total_fp / max(1, counted_clean):.1%})")
    for line in leaks[:20]:
        print("  SENT:", line)
    for line in false_positives[:20]:
        print("  FALSE POSITIVE:", line)
    worst_family = min((h / t for h, t in fam.values() if t), default=0.0)
    met = total_sent == 0 and worst_family >= 0.95 and total_fp <= 0.01 * counted_clean
    print(f"\ngoal (0 sent, recall >= 95% per family, <= 1% look-alikes redacted): {'met' if met else 'NOT met'}")
    shutil.rmtree(home, ignore_errors=True)  # the index; the corpus too unless --keep asked for it
    if keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
