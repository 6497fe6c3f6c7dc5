"""Candidate security findings from syntax, not from regular expressions over text.

Each code file is parsed with tree-sitter (the grammars the ingest layer uses); the rules look at calls, keyword
arguments, assignments and the strings that flow into them, so a ``shell=True`` inside a comment or a string
literal is never a finding. Names are resolved through the file's own imports and aliases (``from hashlib import
md5`` makes ``md5(...)`` a ``hashlib.md5`` call), and a SQL string built across several statements (``q = "SELECT
..." + name`` / ``q += ...``) is followed into ``execute``/``executemany``/``raw`` in the same function.

Python: ``python_findings``; JavaScript/TypeScript: ``docintel.audit.js_findings``; shell scripts and config files
(which bandit does not read): ``docintel.audit.shell_findings``. Every candidate names the checklist item it
belongs to (``rule``); without a model the audit lists them as candidates, with one a model judges each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from docintel.corpus import Corpus, Document, SourceSpan

# Checklist item ids of data/checklists/code-security.yaml that syntax rules produce candidates for.
RULES = (
    "sql-string-building",
    "shell-injection",
    "unsafe-deserialization",
    "tls-verification-disabled",
    "hard-coded-credentials",
    "path-traversal",
    "weak-crypto",
    "eval-exec",
    "xml-external-entities",
    "debug-mode",
    "bind-all-interfaces",
    "request-without-timeout",
)
SQL = re.compile(r"(?is)\bselect\s.*\bfrom\b|\bdelete\s+from\b|\binsert\s+into\b|\bupdate\s+\S+\s+set\b")
SECRET_NAME = re.compile(
    r"(?i)(pass(word|wd)?|pwd|secret|api_?key|apikey|auth_?token|access_?token|private_?key|access_?key|token)"
)
NOT_SECRET_NAME = re.compile(r"(?i)(_(file|path|url|env|name|field|length|len|min|max|header|type|prompt)$|^is_)")
PLACEHOLDER = re.compile(r"^(\$|\{\{|<|%\(|\*+$|x+$|null$|none$|true$|false$|\d+$)", re.I)


@dataclass(frozen=True)
class Candidate:
    rule: str  # checklist item id
    path: str
    line: int  # 1-based
    why: str  # what the syntax says: "hashlib.md5 (imported as md5)"


def node_text(node: Any) -> str:
    return bytes(node.text or b"").decode("utf-8", "replace")


def walk(node: Any) -> Iterator[Any]:
    """Every node below ``node``, in source order (iterative: deep files do not hit the recursion limit)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


@lru_cache(maxsize=16)
def parser_for(language: str) -> Any:
    from tree_sitter_language_pack import get_parser

    return get_parser(language)  # type: ignore[arg-type]


def parse(language: str, text: str) -> Any:
    return parser_for(language).parse(text.encode("utf-8")).root_node


def line_of(node: Any) -> int:
    return int(node.start_point[0]) + 1


def looks_secret(name: str, value: str) -> bool:
    """A literal assigned to a credential-like name: long enough, not a placeholder, not the name itself."""
    value = value.strip()
    return (
        bool(SECRET_NAME.search(name))
        and not NOT_SECRET_NAME.search(name)
        and len(value) >= 8
        and " " not in value
        and not PLACEHOLDER.match(value)
        and value.lower() != name.lower()
    )


# ------------------------------------------------------------------------------------------------------- python
_PY_RULES: dict[str, tuple[str, str]] = {  # qualified call -> (rule, why)
    "hashlib.md5": ("weak-crypto", "MD5 hash"),
    "hashlib.sha1": ("weak-crypto", "SHA-1 hash"),
    "Crypto.Cipher.DES.new": ("weak-crypto", "DES cipher"),
    "Crypto.Cipher.ARC4.new": ("weak-crypto", "RC4 cipher"),
    "Crypto.Cipher.Blowfish.new": ("weak-crypto", "Blowfish cipher"),
    "Cryptodome.Cipher.DES.new": ("weak-crypto", "DES cipher"),
    "Cryptodome.Cipher.ARC4.new": ("weak-crypto", "RC4 cipher"),
    "os.system": ("shell-injection", "os.system runs a shell"),
    "os.popen": ("shell-injection", "os.popen runs a shell"),
    "subprocess.getoutput": ("shell-injection", "subprocess.getoutput runs a shell"),
    "subprocess.getstatusoutput": ("shell-injection", "subprocess.getstatusoutput runs a shell"),
    "commands.getoutput": ("shell-injection", "commands.getoutput runs a shell"),
    "pickle.loads": ("unsafe-deserialization", "pickle.loads"),
    "pickle.load": ("unsafe-deserialization", "pickle.load"),
    "pickle.Unpickler": ("unsafe-deserialization", "pickle.Unpickler"),
    "cPickle.loads": ("unsafe-deserialization", "cPickle.loads"),
    "cPickle.load": ("unsafe-deserialization", "cPickle.load"),
    "dill.loads": ("unsafe-deserialization", "dill.loads"),
    "dill.load": ("unsafe-deserialization", "dill.load"),
    "marshal.loads": ("unsafe-deserialization", "marshal.loads"),
    "marshal.load": ("unsafe-deserialization", "marshal.load"),
    "shelve.open": ("unsafe-deserialization", "shelve.open unpickles"),
    "jsonpickle.decode": ("unsafe-deserialization", "jsonpickle.decode"),
    "yaml.unsafe_load": ("unsafe-deserialization", "yaml.unsafe_load"),
    "torch.load": ("unsafe-deserialization", "torch.load unpickles"),
    "ssl._create_unverified_context": ("tls-verification-disabled", "unverified TLS context"),
    "eval": ("eval-exec", "eval of a string"),
    "exec": ("eval-exec", "exec of a string"),
    "builtins.eval": ("eval-exec", "eval of a string"),
    "builtins.exec": ("eval-exec", "exec of a string"),
}
_XML_PARSERS = {
    "xml.etree.ElementTree": ("parse", "fromstring", "iterparse", "XML", "XMLParser", "fromstringlist"),
    "xml.etree.cElementTree": ("parse", "fromstring", "iterparse", "XML", "XMLParser", "fromstringlist"),
    "xml.dom.minidom": ("parse", "parseString"),
    "xml.dom.pulldom": ("parse", "parseString"),
    "xml.dom.expatbuilder": ("parse", "parseString"),
    "xml.sax": ("parse", "parseString", "make_parser"),
    "xml.sax.expatreader": ("create_parser",),
    "lxml.etree": ("parse", "fromstring", "XML", "RestrictedElement", "GlobalParserTLS", "getDefaultParser"),
}
for _module, _names in _XML_PARSERS.items():
    for _name in _names:
        _PY_RULES[f"{_module}.{_name}"] = ("xml-external-entities", f"{_module}.{_name} resolves external entities")
_REQUESTS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
_SQL_SINKS = frozenset({"execute", "executemany", "executescript", "raw", "extra", "RawSQL", "mogrify"})
_PY_SCOPES = frozenset({"function_definition", "module", "class_definition"})


def python_aliases(root: Any) -> dict[str, str]:
    """Local name -> qualified name for the file's imports (``import a.b as c``, ``from a import b as c``)."""
    out: dict[str, str] = {}
    for node in walk(root):
        if node.type == "import_statement":
            for child in node.named_children:
                if child.type == "aliased_import":
                    name, alias = child.child_by_field_name("name"), child.child_by_field_name("alias")
                    if name is not None and alias is not None:
                        out[node_text(alias)] = node_text(name)
                elif child.type == "dotted_name":
                    full = node_text(child)
                    out.setdefault(full.split(".")[0], full.split(".")[0])
        elif node.type == "import_from_statement":
            module = node.child_by_field_name("module_name")
            if module is None or module.type != "dotted_name":
                continue
            base = node_text(module)
            for child in node.children_by_field_name("name"):
                if child.type == "aliased_import":
                    name, alias = child.child_by_field_name("name"), child.child_by_field_name("alias")
                    if name is not None and alias is not None:
                        out[node_text(alias)] = f"{base}.{node_text(name)}"
                elif child.type == "dotted_name":
                    out[node_text(child)] = f"{base}.{node_text(child)}"
    return out


def dotted_name(node: Any) -> str | None:
    if node.type == "identifier":
        return node_text(node)
    if node.type == "attribute":
        obj, attr = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        head = dotted_name(obj) if obj is not None else None
        return f"{head}.{node_text(attr)}" if head and attr is not None else None
    return None


def qualify(name: str, aliases: dict[str, str]) -> str:
    head, dot, rest = name.partition(".")
    return aliases[head] + dot + rest if head in aliases else name


def _keywords(args: Any) -> dict[str, Any]:
    return {
        node_text(k.child_by_field_name("name")): k.child_by_field_name("value")
        for k in args.named_children
        if k.type == "keyword_argument" and k.child_by_field_name("name") is not None
    }


def _positional(args: Any) -> list[Any]:
    return [a for a in args.named_children if a.type not in ("keyword_argument", "comment")]


def _string_value(node: Any) -> str | None:
    """The literal text of a plain (non-interpolated) string node, or None."""
    if node is None or node.type != "string" or any(c.type == "interpolation" for c in node.children):
        return None
    return "".join(node_text(c) for c in node.children if c.type == "string_content")


def _is_fstring(node: Any) -> bool:
    return node.type == "string" and any(c.type == "interpolation" for c in node.children)


def _strings_in(node: Any) -> str:
    return " ".join(node_text(n) for n in walk(node) if n.type == "string_content")


def _is_built(node: Any) -> bool:
    """A string made from values: an f-string with fields, ``+`` with a string, ``%`` or ``.format`` on one."""
    if node is None:
        return False
    if _is_fstring(node):
        return True
    if node.type == "binary_operator":
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        sides = [s for s in (left, right) if s is not None]
        if (
            op is not None
            and node_text(op) == "%"
            and left is not None
            and left.type in ("string", "concatenated_string")
        ):
            return True
        if op is not None and node_text(op) == "+":
            stringy = any(s.type in ("string", "concatenated_string") or _is_built(s) for s in sides)
            named = any(s.type not in ("string", "concatenated_string", "integer", "float") for s in sides)
            return stringy and named
    if node.type == "call":
        fn = node.child_by_field_name("function")
        if fn is not None and fn.type == "attribute":
            obj, attr = fn.child_by_field_name("object"), fn.child_by_field_name("attribute")
            if attr is not None and node_text(attr) == "format" and obj is not None and obj.type in ("string",):
                return True
    if node.type == "concatenated_string":
        return any(_is_fstring(c) for c in node.named_children)
    if node.type == "parenthesized_expression":
        return any(_is_built(c) for c in node.named_children)
    return False


def _scope_of(node: Any) -> Any:
    n = node.parent
    while n is not None and n.type not in _PY_SCOPES:
        n = n.parent
    return n


def _assignments(scope: Any, name: str, before_line: int) -> list[tuple[Any, bool]]:
    """(value, augmented) of every ``name = value`` / ``name += value`` in ``scope`` above ``before_line``."""
    out = []
    for n in walk(scope):
        if n.type not in ("assignment", "augmented_assignment") or line_of(n) > before_line:
            continue
        if _scope_of(n) != scope and scope.type != "module":  # tree-sitter nodes compare by ==, not identity
            continue
        left = n.child_by_field_name("left")
        if left is not None and left.type == "identifier" and node_text(left) == name:
            out.append((n.child_by_field_name("right"), n.type == "augmented_assignment"))
    return out


def _built_variable(node: Any, call: Any) -> Any | None:
    """For ``execute(q)``: the statement that built ``q`` from values in the same function, if one did."""
    if node is None or node.type != "identifier":
        return None
    scope = _scope_of(call)
    if scope is None:
        return None
    for value, augmented in _assignments(scope, node_text(node), line_of(call)):
        if value is not None and (augmented or _is_built(value)):
            return value
    return None


def _in_docstring(node: Any) -> bool:
    parent = node.parent
    return parent is not None and parent.type == "expression_statement" and len(parent.named_children) == 1


def python_findings(doc: Document, root: Any | None = None) -> list[Candidate]:
    root = root if root is not None else parse("python", doc.text)
    aliases = python_aliases(root)
    found: list[Candidate] = []

    def add(rule: str, node: Any, why: str) -> None:
        found.append(Candidate(rule, doc.path, line_of(node), why))

    for node in walk(root):
        kind = node.type
        if kind == "call":
            _python_call(node, aliases, add)
        elif kind in ("assignment", "keyword_argument", "pair"):
            _python_binding(node, add)
        elif kind == "string" and not _in_docstring(node):
            text = _string_value(node)
            if text is not None and text.strip() == "0.0.0.0":
                add("bind-all-interfaces", node, "binds to all interfaces (0.0.0.0)")
            parent = node.parent
            if parent is not None and parent.type == "concatenated_string":
                parent = parent.parent
            if SQL.search(_strings_in(node)) and parent is not None and (_is_fstring(node) or _is_built(parent)):
                add("sql-string-building", node, "SQL text built from values")
        elif kind == "import_statement" or kind == "import_from_statement":
            text = node_text(node)
            if re.search(r"\bxmlrpc(lib|\.client|\.server)?\b", text):
                add("xml-external-entities", node, "xmlrpc parses untrusted XML")
    return found


def _python_call(node: Any, aliases: dict[str, str], add: Callable[[str, Any, str], None]) -> None:
    fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if fn is None or args is None or args.type != "argument_list":
        return
    raw = dotted_name(fn)
    name = qualify(raw, aliases) if raw else None
    keywords = _keywords(args)
    positional = _positional(args)
    alias_note = f" (imported as {raw})" if raw and name != raw else ""
    if name in _PY_RULES:
        rule, why = _PY_RULES[name]
        if not (rule == "weak-crypto" and _false(keywords.get("usedforsecurity"))):
            add(rule, node, why + alias_note)
    if name == "hashlib.new" and positional:
        algo = (_string_value(positional[0]) or "").lower()
        if algo in ("md5", "sha1", "md4"):
            add("weak-crypto", node, f"hashlib.new('{algo}')")
    if name and name.startswith(("Crypto.Cipher.", "Cryptodome.Cipher.")) and "MODE_ECB" in node_text(args):
        add("weak-crypto", node, "ECB mode")
    if name in ("yaml.load", "yaml.load_all"):
        loader = keywords.get("Loader") or (positional[1] if len(positional) > 1 else None)
        if loader is None or "Safe" not in node_text(loader):
            add("unsafe-deserialization", node, f"{name} without SafeLoader")
    shell = keywords.get("shell")
    if shell is not None and shell.type == "true":
        add("shell-injection", node, f"{name or 'call'} with shell=True")
    http = bool(name) and str(name).startswith(("requests.", "httpx.")) and str(name).split(".")[-1] in _REQUESTS
    splat = any(a.type == "dictionary_splat" for a in args.named_children)
    if http and "timeout" not in keywords and not splat:
        add("request-without-timeout", node, f"{name} without a timeout")
    verify = keywords.get("verify")
    if verify is not None and _false(verify):
        add("tls-verification-disabled", node, "verify=False")
    attr = (
        name.split(".")[-1]
        if name
        else (node_text(fn.child_by_field_name("attribute")) if fn.type == "attribute" else "")
    )
    debug = keywords.get("debug")
    if attr == "run" and debug is not None and debug.type == "true":
        add("debug-mode", node, "app.run(debug=True)")
    if attr in _SQL_SINKS and positional:
        first = positional[0]
        built = first if _is_built(first) else _built_variable(first, node)
        if built is not None:
            where = "" if built is first else f" (built on line {line_of(built)})"
            add("sql-string-building", node, f"{attr}() of a string built from values{where}")
    if attr in ("extractall",) and fn.type == "attribute" and "members" not in keywords and "filter" not in keywords:
        add("path-traversal", node, "archive extractall without a member check")
    if attr in ("open", "send_file", "send_from_directory") and any(
        n.type == "identifier" and node_text(n) == "request" for n in walk(args)
    ):
        add("path-traversal", node, f"{attr}() of a path from the request")


def _false(node: Any) -> bool:
    return node is not None and node.type == "false"


def _python_binding(node: Any, add: Callable[[str, Any, str], None]) -> None:
    if node.type == "assignment":
        target, value = node.child_by_field_name("left"), node.child_by_field_name("right")
    elif node.type == "keyword_argument":
        target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
    else:
        target, value = node.child_by_field_name("key"), node.child_by_field_name("value")
    if target is None or value is None:
        return
    name = _string_value(target) if target.type == "string" else node_text(target).split(".")[-1]
    if not name:
        return
    literal = _string_value(value)
    if literal is not None and looks_secret(name, literal):
        add("hard-coded-credentials", node, f"{name} is a literal")
    debug_flag = (name == "DEBUG" and target.type == "identifier") or (name == "debug" and target.type == "attribute")
    if node.type == "assignment" and value.type == "true" and debug_flag:
        add("debug-mode", node, f"{node_text(target)} = True")
    if name == "check_hostname" and value.type == "false":
        add("tls-verification-disabled", node, "check_hostname = False")
    if name == "verify_mode" and node_text(value).endswith("CERT_NONE"):
        add("tls-verification-disabled", node, "verify_mode = CERT_NONE")


# ------------------------------------------------------------------------------------------------------ corpus
Analyzer = Callable[[Document], list[Candidate]]


def analyzers() -> dict[str, Analyzer]:
    """Document language (or config kind) -> the function that finds its candidates."""
    from docintel.audit import js_findings, shell_findings

    return {
        "python": python_findings,
        "javascript": js_findings.javascript_findings,
        "typescript": js_findings.typescript_findings,
        "tsx": js_findings.tsx_findings,
        "bash": shell_findings.shell_findings,
    }


def analyzed(doc: Document) -> bool:
    """Whether syntax rules read this document (otherwise the item's line patterns still apply)."""
    from docintel.audit.shell_findings import is_config

    return doc.language in analyzers() or is_config(doc.path)


def document_findings(doc: Document) -> list[Candidate]:
    from docintel.audit.shell_findings import config_findings, is_config

    if is_config(doc.path):
        return config_findings(doc)
    analyze = analyzers().get(doc.language or "")
    if analyze is None:
        return []
    try:
        found = analyze(doc)
    except (ValueError, RecursionError, ImportError, LookupError):  # a grammar missing or a file it cannot read
        return []
    unique: dict[tuple[str, int], Candidate] = {}
    for c in found:
        unique.setdefault((c.rule, c.line), c)
    return sorted(unique.values(), key=lambda c: (c.line, c.rule))


_cache: dict[tuple[str, str], list[Candidate]] = {}


def corpus_findings(corpus: Corpus) -> list[Candidate]:
    """Every candidate in the corpus, in corpus order (each document analysed once per content hash)."""
    out: list[Candidate] = []
    for doc in corpus.documents:
        key = (doc.path, doc.sha256)
        if key not in _cache:
            if len(_cache) > 4096:
                _cache.clear()
            _cache[key] = document_findings(doc)
        out.extend(_cache[key])
    return out


def line_span(doc: Document, line: int) -> tuple[SourceSpan, str]:
    """The span and text of 1-based ``line`` of ``doc``."""
    start = 0
    for _ in range(line - 1):
        nxt = doc.text.find("\n", start)
        if nxt == -1:
            break
        start = nxt + 1
    end = doc.text.find("\n", start)
    end = len(doc.text) if end == -1 else end
    return SourceSpan(path=doc.path, start=start, end=end, start_line=line, end_line=line), doc.text[start:end]
