"""Deliberately vulnerable code for the audit's syntax rules and the bandit comparison (bench_audit_bandit.py).

Three small Python web apps in the styles the issue found missed (``from hashlib import md5``, SQL built over
several statements and passed to ``execute``), decoys in comments, docstrings and string literals that must never
be findings, and what bandit does not read: JavaScript, a shell script, config files with credentials.
``EXPECTED`` lists (file, line marker, rule) for each real finding; ``DECOYS`` the markers of lines that are not.
"""

from __future__ import annotations

from pathlib import Path

SHOP_APP = '''"""Shop: a Flask app. The docstring says eval(request.args) and shell=True but is only prose."""
import sqlite3
from hashlib import md5
import subprocess as sp
import pickle as pk
from yaml import load as yaml_load
import requests
from flask import Flask, request
import xml.etree.ElementTree as ET

app = Flask(__name__)
API_KEY = "sk-shop-1234567890abcdef"  # MARK:creds-shop


def login(db, name, password):
    digest = md5(password.encode()).hexdigest()  # MARK:md5-alias
    query = "SELECT id FROM users WHERE name = '"
    query += name
    query += "' AND hash = '" + digest + "'"
    return db.execute(query).fetchone()  # MARK:sql-multi


def search(db, term, limit):
    sql = ("SELECT id, title FROM items "
           "WHERE title LIKE '%" + term + "%' "  # MARK:sql-concat
           "LIMIT " + str(limit))
    rows = db.execute(sql).fetchall()  # MARK:sql-concat-exec
    safe = db.execute("SELECT id FROM items WHERE title = ?", (term,)).fetchall()
    return rows + safe


def report(db, year):
    return db.executemany("DELETE FROM stats WHERE year = %s" % year, [])  # MARK:sql-percent


def ping(host):
    # sp.call("ping " + host, shell=True) was the old way; never again
    return sp.check_output("ping -c 1 " + host, shell=True)  # MARK:shell-alias


def restore(blob):
    return pk.loads(blob)  # MARK:pickle-alias


def settings(text):
    return yaml_load(text)  # MARK:yaml-alias


def calc(expr):
    return eval(expr)  # MARK:eval


def parse(xml_text):
    return ET.fromstring(xml_text)  # MARK:xxe-alias


def fetch(url):
    return requests.get(url).json()  # MARK:no-timeout


def fetch_insecure(url):
    return requests.post(url, verify=False, timeout=5)  # MARK:verify-false


HELP = "Never call os.system(cmd) or subprocess.run(cmd, shell=True) with user input."  # MARK:decoy-string

if __name__ == "__main__":
    app.run(host="0.0.0.0", debug=True)  # MARK:debug-bind
'''

BLOG_SETTINGS = '''"""Blog settings (Django)."""
DEBUG = True  # MARK:django-debug
SECRET_KEY = "django-insecure-8f3k2l1m0n9b8v7c6x5z"  # MARK:django-secret
ALLOWED_HOSTS = ["*"]
'''

BLOG_VIEWS = '''"""Blog views (Django)."""
import os
import hashlib
import marshal
from xml.dom import minidom
from django.db import connection
from blog.models import Post


def post_by_slug(slug):
    with connection.cursor() as cursor:
        statement = f"SELECT * FROM blog_post WHERE slug = '{slug}'"  # MARK:sql-fstring
        cursor.execute(statement)  # MARK:sql-fstring-exec
        return cursor.fetchone()


def posts_by_author(author):
    return Post.objects.raw("SELECT * FROM blog_post WHERE author = '%s'" % author)  # MARK:sql-raw


def thumbnail(name):
    os.system("convert uploads/%s thumbs/%s" % (name, name))  # MARK:os-system


def token(user):
    return hashlib.sha1(user.email.encode()).hexdigest()  # MARK:sha1


def session_state(blob):
    return marshal.loads(blob)  # MARK:marshal


def import_feed(text):
    return minidom.parseString(text)  # MARK:minidom


def exec_template(code):
    exec(code)  # MARK:exec
'''

TOOLS_APP = '''"""Tools: archive import and an internal API client."""
import ssl
import tarfile
import hashlib as hl
import os as operating_system
from lxml import etree
import urllib.request


def unpack(path, dest):
    with tarfile.open(path) as archive:
        archive.extractall(dest)  # MARK:extractall


def context():
    return ssl._create_unverified_context()  # MARK:unverified


def legacy_digest(data):
    return hl.new("md5", data).hexdigest()  # MARK:hashlib-new


def run(cmd):
    return operating_system.popen(cmd).read()  # MARK:popen-alias


def parse(xml_bytes):
    return etree.fromstring(xml_bytes)  # MARK:lxml


def checksum(data):
    return hl.md5(data, usedforsecurity=False).hexdigest()  # not for security: not a finding


def note():
    """Example: hashlib.md5(b"x") and eval("1+1") appear in this docstring only."""
    text = "pickle.loads(data) is unsafe"  # MARK:decoy-string-2
    return text
'''

CLIENT_JS = """// Admin client: eval(input) and child_process.exec(cmd) here are not findings.  MARK:decoy-js-comment
const cp = require('child_process');
const { execSync: runSync } = require('child_process');
const crypto = require('crypto');
const https = require('https');
const DB_PASSWORD = "adm1n-Pa55w0rd!";  // MARK:js-creds

function handle(req, db) {
  const out = cp.exec('tar czf /tmp/backup.tgz ' + req.query.dir);  // MARK:js-exec
  runSync(`git log ${req.query.ref}`);  // MARK:js-exec-alias
  const value = eval(req.body.expr);  // MARK:js-eval
  let q = "SELECT * FROM users WHERE id = " + req.params.id;  // MARK:js-sql-build
  db.query(q);  // MARK:js-sql
  db.query("SELECT * FROM users WHERE id = ?", [req.params.id]);
  const h = crypto.createHash('md5').update(req.body.pw).digest('hex');  // MARK:js-md5
  const agent = new https.Agent({ rejectUnauthorized: false });  // MARK:js-tls
  return [out, value, h, agent];
}

module.exports = { handle };
"""

DEPLOY_SH = """#!/bin/bash
# eval "$cmd" and curl -k in this comment are not findings.  MARK:decoy-sh-comment
set -euo pipefail
DB_PASSWORD="Pr0d-Db-Passw0rd"  # MARK:sh-creds
curl -fsSL https://get.example.com/install.sh | bash  # MARK:sh-pipe
curl -k https://internal.example.com/health  # MARK:sh-insecure
mysqldump -u root -pS3cretRoot shop > backup.sql  # MARK:sh-mysql
eval "$DEPLOY_HOOK"  # MARK:sh-eval
echo "curl -k is never used here"
"""

ENV_FILE = """# SECRET_KEY=commented-out-secret-value  MARK:decoy-env-comment
DATABASE_URL=postgres://db:5432/shop
DB_PASSWORD=hunter2hunter2
STRIPE_API_KEY=${STRIPE_API_KEY}
"""

CONFIG_YAML = """database:
  host: db.internal
  user: shop
  password: "Wint3r-is-c0ming"
smtp:
  password: ${SMTP_PASSWORD}
"""

FILES: dict[str, str] = {
    "shop/app.py": SHOP_APP,
    "blog/settings.py": BLOG_SETTINGS,
    "blog/views.py": BLOG_VIEWS,
    "tools/archive.py": TOOLS_APP,
    "web/admin.js": CLIENT_JS,
    "deploy/deploy.sh": DEPLOY_SH,
    "deploy/.env.production": ENV_FILE,
    "deploy/config.yaml": CONFIG_YAML,
}

# (file, marker or literal text on the line, rule) for every line that is a real finding.
EXPECTED: tuple[tuple[str, str, str], ...] = (
    ("shop/app.py", "MARK:creds-shop", "hard-coded-credentials"),
    ("shop/app.py", "MARK:md5-alias", "weak-crypto"),
    ("shop/app.py", "MARK:sql-multi", "sql-string-building"),
    ("shop/app.py", "MARK:sql-concat-exec", "sql-string-building"),
    ("shop/app.py", "MARK:sql-percent", "sql-string-building"),
    ("shop/app.py", "MARK:shell-alias", "shell-injection"),
    ("shop/app.py", "MARK:pickle-alias", "unsafe-deserialization"),
    ("shop/app.py", "MARK:yaml-alias", "unsafe-deserialization"),
    ("shop/app.py", "MARK:eval", "eval-exec"),
    ("shop/app.py", "MARK:xxe-alias", "xml-external-entities"),
    ("shop/app.py", "MARK:no-timeout", "request-without-timeout"),
    ("shop/app.py", "MARK:verify-false", "tls-verification-disabled"),
    ("shop/app.py", "MARK:debug-bind", "debug-mode"),
    ("shop/app.py", "MARK:debug-bind", "bind-all-interfaces"),
    ("blog/settings.py", "MARK:django-debug", "debug-mode"),
    ("blog/settings.py", "MARK:django-secret", "hard-coded-credentials"),
    ("blog/views.py", "MARK:sql-fstring-exec", "sql-string-building"),
    ("blog/views.py", "MARK:sql-raw", "sql-string-building"),
    ("blog/views.py", "MARK:os-system", "shell-injection"),
    ("blog/views.py", "MARK:sha1", "weak-crypto"),
    ("blog/views.py", "MARK:marshal", "unsafe-deserialization"),
    ("blog/views.py", "MARK:minidom", "xml-external-entities"),
    ("blog/views.py", "MARK:exec", "eval-exec"),
    ("tools/archive.py", "MARK:extractall", "path-traversal"),
    ("tools/archive.py", "MARK:unverified", "tls-verification-disabled"),
    ("tools/archive.py", "MARK:hashlib-new", "weak-crypto"),
    ("tools/archive.py", "MARK:popen-alias", "shell-injection"),
    ("tools/archive.py", "MARK:lxml", "xml-external-entities"),
    ("web/admin.js", "MARK:js-creds", "hard-coded-credentials"),
    ("web/admin.js", "MARK:js-exec", "shell-injection"),
    ("web/admin.js", "MARK:js-exec-alias", "shell-injection"),
    ("web/admin.js", "MARK:js-eval", "eval-exec"),
    ("web/admin.js", "MARK:js-sql", "sql-string-building"),
    ("web/admin.js", "MARK:js-md5", "weak-crypto"),
    ("web/admin.js", "MARK:js-tls", "tls-verification-disabled"),
    ("deploy/deploy.sh", "MARK:sh-creds", "hard-coded-credentials"),
    ("deploy/deploy.sh", "MARK:sh-pipe", "shell-injection"),
    ("deploy/deploy.sh", "MARK:sh-insecure", "tls-verification-disabled"),
    ("deploy/deploy.sh", "MARK:sh-mysql", "hard-coded-credentials"),
    ("deploy/deploy.sh", "MARK:sh-eval", "eval-exec"),
    ("deploy/.env.production", "DB_PASSWORD=hunter2hunter2", "hard-coded-credentials"),
    ("deploy/config.yaml", 'password: "Wint3r-is-c0ming"', "hard-coded-credentials"),
)
# Lines that mention a dangerous call only in a comment, docstring or string literal: never a finding.
DECOYS: tuple[tuple[str, str], ...] = (
    ("shop/app.py", "was the old way"),
    ("shop/app.py", "MARK:decoy-string"),
    ("tools/archive.py", 'hashlib.md5(b"x")'),
    ("tools/archive.py", "MARK:decoy-string-2"),
    ("tools/archive.py", "usedforsecurity=False"),
    ("web/admin.js", "MARK:decoy-js-comment"),
    ("deploy/deploy.sh", "MARK:decoy-sh-comment"),
    ("deploy/deploy.sh", 'echo "curl -k is never used here"'),
    ("deploy/.env.production", "MARK:decoy-env-comment"),
    ("deploy/config.yaml", "${SMTP_PASSWORD}"),
)


def write_vulnerable(root: Path) -> Path:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def line_of(rel: str, marker: str) -> int:
    """1-based line of ``rel`` that holds ``marker``."""
    for n, line in enumerate(FILES[rel].splitlines(), start=1):
        if marker in line:
            return n
    raise KeyError(f"{marker!r} not in {rel}")
