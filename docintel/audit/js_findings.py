"""Candidate findings in JavaScript and TypeScript, from the tree-sitter syntax tree.

``eval``/``new Function``, ``child_process`` exec calls (through ``require`` or ``import`` aliases, destructured
or not), SQL strings built with template fields or ``+`` and passed to ``query``/``execute``/``raw`` (followed
through a variable in the same function), TLS checks turned off, MD5/SHA-1, credential literals, ``0.0.0.0``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from docintel.audit.code_findings import SQL, Candidate, line_of, looks_secret, node_text, parse, walk
from docintel.corpus import Document

_CHILD_EXEC = frozenset({"exec", "execSync", "execFile", "execFileSync", "spawn", "spawnSync"})
_SHELL_ALWAYS = frozenset({"exec", "execSync"})  # these run a shell; execFile/spawn only with {shell: true}
_SQL_SINKS = frozenset({"query", "execute", "raw", "$queryRawUnsafe", "$executeRawUnsafe", "queryRaw", "exec"})
_SCOPES = frozenset(
    {"function_declaration", "function_expression", "arrow_function", "method_definition", "program", "function"}
)


def _string_literal(node: Any) -> str | None:
    if node is None:
        return None
    if node.type == "string":
        return "".join(node_text(c) for c in node.named_children if c.type == "string_fragment")
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.named_children):
        return node_text(node)[1:-1]
    return None


def _is_built(node: Any) -> bool:
    if node is None:
        return False
    if node.type == "template_string":
        return any(c.type == "template_substitution" for c in node.named_children)
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        sides = [node.child_by_field_name("left"), node.child_by_field_name("right")]
        if op is not None and node_text(op) == "+":
            stringy = any(s is not None and (s.type in ("string", "template_string") or _is_built(s)) for s in sides)
            named = any(s is not None and s.type not in ("string", "template_string", "number") for s in sides)
            return stringy and named
    if node.type == "parenthesized_expression":
        return any(_is_built(c) for c in node.named_children)
    return False


def _strings_in(node: Any) -> str:
    return " ".join(node_text(n) for n in walk(node) if n.type in ("string_fragment", "template_string"))


def _child_process_names(root: Any) -> tuple[set[str], dict[str, str]]:
    """(module aliases of child_process, local name -> the exec function of it that the name is bound to)."""
    modules: set[str] = set()
    functions: dict[str, str] = {}
    for node in walk(root):
        if node.type == "variable_declarator":
            value = node.child_by_field_name("value")
            name = node.child_by_field_name("name")
            if value is None or name is None or not _requires_child_process(value):
                continue
            if name.type == "identifier":
                modules.add(node_text(name))
            elif name.type == "object_pattern":
                for p in name.named_children:
                    if p.type == "shorthand_property_identifier_pattern" and node_text(p) in _CHILD_EXEC:
                        functions[node_text(p)] = node_text(p)
                    elif p.type == "pair_pattern":
                        key, val = p.child_by_field_name("key"), p.child_by_field_name("value")
                        if key is not None and val is not None and node_text(key) in _CHILD_EXEC:
                            functions[node_text(val)] = node_text(key)
        elif node.type == "import_statement":
            source = node.child_by_field_name("source")
            if source is None or _string_literal(source) not in ("child_process", "node:child_process"):
                continue
            for n in walk(node):
                if n.type == "namespace_import" or (n.type == "identifier" and n.parent.type == "import_clause"):
                    modules.add(node_text(n.named_children[0] if n.type == "namespace_import" else n))
                elif n.type == "import_specifier":
                    name_node, alias = n.child_by_field_name("name"), n.child_by_field_name("alias")
                    if name_node is not None and node_text(name_node) in _CHILD_EXEC:
                        functions[node_text(alias if alias is not None else name_node)] = node_text(name_node)
    return modules, functions


def _requires_child_process(node: Any) -> bool:
    if node.type != "call_expression":
        return False
    fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if fn is None or node_text(fn) != "require" or args is None or not args.named_children:
        return False
    return _string_literal(args.named_children[0]) in ("child_process", "node:child_process")


def _scope_of(node: Any) -> Any:
    n = node.parent
    while n is not None and n.type not in _SCOPES:
        n = n.parent
    return n


def _built_variable(arg: Any, call: Any) -> Any | None:
    if arg.type != "identifier":
        return None
    scope = _scope_of(call)
    name = node_text(arg)
    for n in walk(scope) if scope is not None else ():
        if line_of(n) > line_of(call):
            continue
        if n.type == "variable_declarator":
            target, value = n.child_by_field_name("name"), n.child_by_field_name("value")
        elif n.type in ("assignment_expression", "augmented_assignment_expression"):
            target, value = n.child_by_field_name("left"), n.child_by_field_name("right")
        else:
            continue
        if target is None or value is None or node_text(target) != name:
            continue
        if n.type == "augmented_assignment_expression" or _is_built(value):
            return value
    return None


def _findings(doc: Document, language: str) -> list[Candidate]:
    root = parse(language, doc.text)
    modules, functions = _child_process_names(root)
    found: list[Candidate] = []

    def add(rule: str, node: Any, why: str) -> None:
        found.append(Candidate(rule, doc.path, line_of(node), why))

    for node in walk(root):
        if node.type == "call_expression":
            _call(node, modules, functions, add)
        elif node.type == "new_expression":
            ctor = node.child_by_field_name("constructor")
            if ctor is not None and node_text(ctor) == "Function":
                add("eval-exec", node, "new Function() compiles a string")
        elif node.type in ("variable_declarator", "pair", "assignment_expression", "public_field_definition"):
            _binding(node, add)
        elif node.type in ("string", "template_string"):
            literal = _string_literal(node)
            if literal is not None and literal.strip() == "0.0.0.0":
                add("bind-all-interfaces", node, "binds to all interfaces (0.0.0.0)")
            parent = node.parent
            if SQL.search(_strings_in(node)) and (_is_built(node) or (parent is not None and _is_built(parent))):
                add("sql-string-building", node, "SQL text built from values")
    return found


def _call(node: Any, modules: set[str], functions: dict[str, str], add: Callable[[str, Any, str], None]) -> None:
    fn, args = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if fn is None or args is None:
        return
    arguments = [a for a in args.named_children if a.type != "comment"]
    name = node_text(fn)
    if fn.type == "identifier" and name == "eval":
        add("eval-exec", node, "eval of a string")
    prop = ""
    if fn.type == "member_expression":
        obj, p = fn.child_by_field_name("object"), fn.child_by_field_name("property")
        prop = node_text(p) if p is not None else ""
        if obj is not None and (node_text(obj) in modules or _requires_child_process(obj)) and prop in _CHILD_EXEC:
            _child_exec(node, prop, arguments, add)
        if prop in ("createHash", "createCipheriv", "createCipher") and arguments:
            algo = (_string_literal(arguments[0]) or "").lower()
            if algo in ("md5", "sha1") or algo.startswith(("des", "rc4")) or algo.endswith("ecb"):
                add("weak-crypto", node, f"{prop}('{algo}')")
    elif fn.type == "identifier" and name in functions:
        _child_exec(node, functions[name], arguments, add)
    if prop in _SQL_SINKS and arguments and not (fn.type == "member_expression" and node_text(fn).startswith("child")):
        first = arguments[0]
        built = first if _is_built(first) else _built_variable(first, node)
        if built is not None and (SQL.search(_strings_in(built)) or prop != "exec"):
            where = "" if built is first else f" (built on line {line_of(built)})"
            add("sql-string-building", node, f"{prop}() of a string built from values{where}")
    timer = prop in ("setTimeout", "setInterval") or (fn.type == "identifier" and name in ("setTimeout", "setInterval"))
    if timer and arguments and arguments[0].type in ("string", "template_string"):
        add("eval-exec", node, f"{name} with a code string")


def _child_exec(node: Any, name: str, arguments: list[Any], add: Callable[[str, Any, str], None]) -> None:
    shell = name in _SHELL_ALWAYS or any(
        p.type == "pair" and node_text(p).replace(" ", "").startswith("shell:true")
        for a in arguments
        if a.type == "object"
        for p in a.named_children
    )
    if shell:
        add("shell-injection", node, f"child_process.{name} runs a shell command")


def _binding(node: Any, add: Callable[[str, Any, str], None]) -> None:
    if node.type == "variable_declarator":
        target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
    elif node.type == "assignment_expression":
        target, value = node.child_by_field_name("left"), node.child_by_field_name("right")
    elif node.type == "public_field_definition":
        target, value = node.child_by_field_name("name"), node.child_by_field_name("value")
    else:
        target, value = node.child_by_field_name("key"), node.child_by_field_name("value")
    if target is None or value is None:
        return
    name = _string_literal(target) if target.type == "string" else node_text(target).split(".")[-1]
    literal = _string_literal(value)
    if name and literal is not None and looks_secret(name, literal):
        add("hard-coded-credentials", node, f"{name} is a literal")
    if name == "rejectUnauthorized" and value.type == "false":
        add("tls-verification-disabled", node, "rejectUnauthorized: false")
    if name == "NODE_TLS_REJECT_UNAUTHORIZED" and literal == "0":
        add("tls-verification-disabled", node, "NODE_TLS_REJECT_UNAUTHORIZED = '0'")


def javascript_findings(doc: Document) -> list[Candidate]:
    return _findings(doc, "javascript")


def typescript_findings(doc: Document) -> list[Candidate]:
    return _findings(doc, "typescript")


def tsx_findings(doc: Document) -> list[Candidate]:
    return _findings(doc, "tsx")
