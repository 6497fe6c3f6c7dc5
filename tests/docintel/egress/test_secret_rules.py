"""The detector on the cases issue 9 lists: each secret that used to be sent is caught, each harmless look-alike
that used to be redacted is left alone. Secrets are built at run time (no key-shaped strings in the repository)."""

from __future__ import annotations

import base64
import hashlib
import random
import string
import uuid

import pytest

from docintel.egress.redact import Placeholders, find_secrets, redact_text

RNG = random.Random(9)
ALNUM = string.ascii_letters + string.digits


def _r(chars: str, n: int) -> str:
    return "".join(RNG.choice(chars) for _ in range(n))


PW = "Qx" + _r(ALNUM, 8) + "!7"
AWS_SECRET = _r(ALNUM + "/+", 40)
SK_PROJ = "sk-proj-" + _r(ALNUM + "_-", 48)
PAT = "github_pat_" + _r(ALNUM, 22) + "_" + _r(ALNUM, 59)
BEARER = _r(ALNUM, 40)
AZURE = base64.b64encode(RNG.randbytes(64)).decode()


@pytest.mark.parametrize(
    ("path", "text", "secret", "kind"),
    [
        # URL credentials: RFC 3986 sub-delims in the password, an empty user
        ("app.py", f'URL = "postgresql://app:{PW}$@db:5432/x"\n', PW, "url-credentials"),
        ("app.py", f'REDIS = "redis://:{PW}*;@cache:6379/0"\n', PW, "url-credentials"),
        ("worker.yaml", f"broker: amqp://guest:{PW}@mq.internal//\n", PW, "url-credentials"),
        # Authorization headers inside dicts and in shell
        ("client.py", f'HEADERS = {{"Authorization": "Bearer {BEARER}", "Accept": "*/*"}}\n', BEARER, "bearer-token"),
        ("call.sh", f"curl -H 'authorization: bearer {BEARER}' https://api.example.com\n", BEARER, "bearer-token"),
        # unquoted new-style tokens in shell scripts
        ("deploy.sh", f"export OPENAI_API_KEY={SK_PROJ}\n", SK_PROJ, "openai-key"),
        ("deploy.sh", f"gh auth login --with-token {PAT}\n", PAT, "github-token"),
        # Azure connection strings
        (
            "Storage.cs",
            f'var c = "DefaultEndpointsProtocol=https;AccountName=a;AccountKey={AZURE};EndpointSuffix=x.net";\n',
            AZURE,
            "azure-storage-key",
        ),
        # prose credentials in contracts, and unquoted assignments in a PDF's text
        ("sow.txt", f"1.1 The staging password is {PW} and is rotated monthly.\n", PW, "prose-credential"),
        ("hosting.pdf", f"Schedule 2\naws_secret_access_key = {AWS_SECRET}\n", AWS_SECRET, "aws-secret-key"),
        (
            "standup.vtt",
            f"00:01.000 --> 00:05.000\n<v Dana>The VPN password is {PW} for now.\n",
            PW,
            "prose-credential",
        ),
        ("notes.md", f"DB_PASSWORD={PW}\n", PW, "password"),
    ],
)
def test_each_listed_miss_is_caught(path: str, text: str, secret: str, kind: str) -> None:
    redacted, reports = redact_text(text, path)
    assert secret not in redacted
    assert kind in {r.kind for r in reports}
    assert f"[REDACTED:{kind}]" in redacted


SHA1 = hashlib.sha1(b"commit").hexdigest()
SHA256 = hashlib.sha256(b"blob").hexdigest()
SRI = "sha384-" + base64.b64encode(hashlib.sha384(b"script").digest()).decode()
NPM_INTEGRITY = "sha512-" + base64.b64encode(hashlib.sha512(b"pkg").digest()).decode()
UUID = str(uuid.UUID(int=RNG.getrandbits(128)))


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("data/commits.json", f'{{"sha": "{SHA1}", "tree": {{"sha": "{SHA1[::-1]}"}}, "message": "fix"}}\n'),
        ("tests/fixtures/blobs.py", f'BLOB_SHA256 = "{SHA256}"\nEXPECTED_DIGEST = "{SHA256[::-1]}"\n'),
        ("poetry.lock", f'{{file = "pkg-1.0-py3-none-any.whl", hash = "sha256:{SHA256}"}},\n'),
        ("package-lock.json", f'"node_modules/x": {{"version": "1.0.0", "integrity": "{NPM_INTEGRITY}"}},\n'),
        ("web/index.html", f'<script src="/app.js" integrity="{SRI}" crossorigin="anonymous"></script>\n'),
        ("dist/SHA256SUMS", f"{SHA256}  docintel-1.0.tar.gz\n"),
        ("config/tenants.yaml", f"- tenant_id: {UUID}\n  name: acme\n"),
        ("deploy/images.txt", f"registry.example.com/app@sha256:{SHA256}\n"),
        ("k8s/deploy.yaml", "secretName: prod-db-credentials-5\nsecret_ref: vault://kv/apps/db\n"),
        ("docs/setup.md", "export API_KEY=${API_KEY}\npassword: <your-password>\ntoken = get_token(client_id)\n"),
        ("sow.txt", "The password is required to have at least 12 characters.\n"),
        ("sow.txt", "The production password is stored in the customer vault.\n"),
        ("client.py", 'token = os.environ["API_TOKEN"]\nauth = f"Bearer {token}"\n'),
        # documentation placeholders in URLs and Basic headers (seen in the requests repository's docs and tests)
        ("docs/advanced.rst", 'proxies = {"http": "http://user:pass@10.10.1.10:3128/"}\nThe password value is set.\n'),
        ("tests/test_proxy.py", 'assert headers == {"Proxy-Authorization": "Basic dXNlcjpwYXNz"}\n'),
        ("docs/auth.rst", "HTTPBasicAuth('fake@example.com', 'not_a_real_password')\n"),
    ],
)
def test_listed_look_alikes_are_left_alone(path: str, text: str) -> None:
    redacted, reports = redact_text(text, path)
    assert reports == [] and redacted == text


def test_entropy_alone_is_not_a_secret_but_a_credential_name_makes_it_one() -> None:
    blob = base64.b64encode(RNG.randbytes(45)).decode()
    assert find_secrets(f'{{"thumbnail": "{blob}"}}\n', "assets.json") == []
    redacted, reports = redact_text(f'{{"client_secret": "{blob}"}}\n', "assets.json")
    assert blob not in redacted and reports


def test_placeholders_are_stable_per_value_and_tell_values_apart() -> None:
    names = Placeholders()
    assert names.name("a", "password") == "[REDACTED:password]"
    assert names.name("b", "password") == "[REDACTED:password-2]"
    assert names.name("a", "password") == "[REDACTED:password]"
    assert names.name("c", "jwt") == "[REDACTED:jwt]"
    other = "Zq" + _r(ALNUM, 8) + "!9"
    text = f"DB_PASSWORD={PW}\nCACHE_PASSWORD={other}\nREPLICA_PASSWORD={PW}\n"
    redacted, _ = redact_text(text, ".env")
    assert redacted == (
        "DB_PASSWORD=[REDACTED:password]\nCACHE_PASSWORD=[REDACTED:password-2]\nREPLICA_PASSWORD=[REDACTED:password]\n"
    )
