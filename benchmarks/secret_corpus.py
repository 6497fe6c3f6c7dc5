"""The seeded corpus of benchmarks/bench_secrets.py: secrets of many kinds among harmless look-alikes, in the file
kinds a real repository or contract folder has (code, config, .env, shell, contract TXT/PDF/DOCX, a VTT).

A seeded RNG makes it the same every run; ``Corpus`` records each seeded secret (kind, family, value) and each
look-alike, ``build`` fills it and ``write_files`` writes it under a folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import uuid
from dataclasses import dataclass
from pathlib import Path

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
