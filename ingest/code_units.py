"""Cut a parsed source file into units (functions, classes, methods, runs of top-level statements) and list its
definitions and referenced identifiers. Works on tree-sitter syntax trees, in byte offsets of the raw file.

The cut is line-based: every unit starts at the beginning of a line, and the file is tiled by the units in order
(whitespace and closing lines go with the unit before them, leading comments, doc comments, decorators and
attributes with the definition they precede). A class longer than ``SPLIT_LINES`` becomes its header plus one unit
per member; a namespace or module block is always opened; a function longer than ``2 * SPLIT_LINES`` is cut into
pieces of ``SPLIT_LINES`` lines that keep its name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SPLIT_LINES = 150
_FUNCTION_VALUES = frozenset({"arrow_function", "function_expression", "function", "generator_function"})


@dataclass(frozen=True)
class LanguageSpec:
    """Node types of one tree-sitter grammar that the unit cutter needs."""

    functions: frozenset[str]
    classes: frozenset[str]  # members become methods
    namespaces: frozenset[str] = frozenset()  # always opened; members keep their own kind
    wrappers: frozenset[str] = frozenset()  # decorators, export, template: the definition is inside
    leading: frozenset[str] = frozenset({"comment"})  # attach to the definition right below them
    variables: frozenset[str] = frozenset()  # top-level declarations of a named value (or a function value)
    identifiers: tuple[str, ...] = ("identifier",)


_C_LIKE_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})
_JS = LanguageSpec(
    functions=frozenset({"function_declaration", "generator_function_declaration", "method_definition"}),
    classes=frozenset({"class_declaration", "class", "abstract_class_declaration"}),
    wrappers=frozenset({"export_statement"}),
    variables=frozenset({"lexical_declaration", "variable_declaration"}),
    identifiers=("identifier", "property_identifier", "shorthand_property_identifier", "type_identifier"),
)
_TS = LanguageSpec(
    functions=_JS.functions | {"function_signature"},
    classes=_JS.classes | {"interface_declaration", "enum_declaration"},
    namespaces=frozenset({"internal_module"}),
    wrappers=frozenset({"export_statement", "ambient_declaration"}),
    variables=_JS.variables | {"type_alias_declaration"},
    identifiers=_JS.identifiers,
)
_C_FAMILY_IDS = ("identifier", "field_identifier", "type_identifier")
SPECS: dict[str, LanguageSpec] = {
    "python": LanguageSpec(
        functions=frozenset({"function_definition"}),
        classes=frozenset({"class_definition"}),
        wrappers=frozenset({"decorated_definition"}),
        variables=frozenset({"expression_statement", "assignment"}),  # grammar versions differ
    ),
    "javascript": _JS,
    "typescript": _TS,
    "tsx": _TS,
    "go": LanguageSpec(
        functions=frozenset({"function_declaration", "method_declaration"}),
        classes=frozenset({"type_declaration"}),
        variables=frozenset({"const_declaration", "var_declaration"}),
        identifiers=("identifier", "field_identifier", "type_identifier", "package_identifier"),
    ),
    "rust": LanguageSpec(
        functions=frozenset({"function_item", "function_signature_item", "macro_definition"}),
        classes=frozenset({"struct_item", "enum_item", "union_item", "trait_item", "impl_item"}),
        namespaces=frozenset({"mod_item"}),
        leading=_C_LIKE_COMMENTS | {"attribute_item"},
        variables=frozenset({"const_item", "static_item", "type_item"}),
        identifiers=_C_FAMILY_IDS,
    ),
    "java": LanguageSpec(
        functions=frozenset({"method_declaration", "constructor_declaration"}),
        classes=frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration"}),
        leading=_C_LIKE_COMMENTS,
        identifiers=("identifier", "type_identifier"),
    ),
    "c": LanguageSpec(
        functions=frozenset({"function_definition"}),
        classes=frozenset({"struct_specifier", "union_specifier", "enum_specifier"}),
        identifiers=_C_FAMILY_IDS,
    ),
    "cpp": LanguageSpec(
        functions=frozenset({"function_definition"}),
        classes=frozenset({"class_specifier", "struct_specifier", "union_specifier", "enum_specifier"}),
        namespaces=frozenset({"namespace_definition"}),
        wrappers=frozenset({"template_declaration"}),
        identifiers=(*_C_FAMILY_IDS, "namespace_identifier"),
    ),
    "csharp": LanguageSpec(
        functions=frozenset({"method_declaration", "constructor_declaration"}),
        classes=frozenset({"class_declaration", "interface_declaration", "struct_declaration", "enum_declaration"}),
        namespaces=frozenset({"namespace_declaration"}),
    ),
    "ruby": LanguageSpec(
        functions=frozenset({"method", "singleton_method"}),
        classes=frozenset({"class"}),
        namespaces=frozenset({"module"}),
        identifiers=("identifier", "constant"),
    ),
    "php": LanguageSpec(
        functions=frozenset({"function_definition", "method_declaration"}),
        classes=frozenset({"class_declaration", "interface_declaration", "trait_declaration"}),
        identifiers=("name",),
    ),
    "bash": LanguageSpec(
        functions=frozenset({"function_definition"}),
        classes=frozenset(),
        identifiers=("variable_name", "command_name"),
    ),
}


@dataclass(frozen=True)
class Piece:
    """One unit of the cut, in byte offsets of the file."""

    start: int
    end: int
    unit: str  # function | class | method | statement
    name: str | None


@dataclass(frozen=True)
class Found:
    """One definition, in byte offsets of the file (its node, without the comments above it)."""

    name: str
    kind: str  # function | class | method | variable
    start: int
    end: int
    start_row: int  # 0-based
    end_row: int  # 0-based, inclusive


@dataclass
class _Item:
    start: int  # byte where the item (with its leading comments) begins
    unit: str  # function | class | namespace | statement
    name: str | None = None
    node: Any = None
    header: bool = False  # the header of an opened class: statements right after it join it
    cut: int = 0


@dataclass
class _Cutter:
    spec: LanguageSpec
    data: bytes
    pieces: list[Piece] = field(default_factory=list)

    def line_start(self, byte: int) -> int:
        return self.data.rfind(b"\n", 0, byte) + 1

    def lines(self, start: int, end: int) -> int:
        return self.data.count(b"\n", start, end)

    def items(self, children: list[Any], prefix: str) -> list[_Item]:
        """Definitions and runs of statements among ``children``, each starting at its leading comments."""
        spec = self.spec
        items: list[_Item] = []
        lead_start = -1  # first byte of the comments waiting for a definition, -1: none
        lead_row = -2  # last row of those comments
        owner = prefix[:-1] or None  # statements inside a class or namespace carry its name
        for child in children:
            if child.type in spec.leading:
                if lead_start >= 0 and child.start_point.row > lead_row + 1:  # a blank line: not attached
                    items.append(_Item(lead_start, "statement", owner))
                    lead_start = -1
                if lead_start < 0:
                    lead_start = child.start_byte
                lead_row = child.end_point.row
                continue
            found = definition(child, spec)
            if found is not None and found[0] != "variable":
                kind, name, node = found
                start = child.start_byte
                if lead_start >= 0:
                    if child.start_point.row <= lead_row + 1:
                        start = lead_start
                    else:
                        items.append(_Item(lead_start, "statement", owner))
                items.append(_Item(start, kind, prefix + name, node))
            else:
                items.append(_Item(lead_start if lead_start >= 0 else child.start_byte, "statement", owner))
            lead_start = -1
        if lead_start >= 0:
            items.append(_Item(lead_start, "statement", owner))
        return items

    def cut(self, children: list[Any], start: int, end: int, prefix: str, in_class: bool, header: _Item | None) -> None:
        """Tile bytes ``[start, end)`` with the units among ``children`` (``start`` is a line start)."""
        items = self.items(children, prefix)
        if header is not None:
            items.insert(0, header)
        merged: list[_Item] = []
        for item in items:
            item.cut = start if not merged else self.line_start(item.start)
            if merged:
                previous = merged[-1]
                # a statement after statements (or a class header) extends that run, up to SPLIT_LINES lines;
                # two units on one line merge
                if item.cut <= previous.cut or (
                    item.unit == "statement"
                    and (previous.unit == "statement" or previous.header)
                    and self.lines(previous.cut, item.cut) < SPLIT_LINES
                ):
                    continue
            merged.append(item)
        for i, item in enumerate(merged):
            item_end = merged[i + 1].cut if i + 1 < len(merged) else end
            self.emit(item, item.cut, item_end, in_class)

    def emit(self, item: _Item, start: int, end: int, in_class: bool) -> None:
        if item.header or item.unit == "statement":
            unit = "class" if item.header and item.unit == "class" else "statement"
            self.pieces.append(Piece(start, end, unit, item.name))
            return
        if item.unit in ("class", "namespace"):
            body = item.node.child_by_field_name("body")
            long = self.lines(start, end) > SPLIT_LINES
            if body is not None and body.named_child_count and (item.unit == "namespace" or long):
                header = _Item(start, item.unit, item.name, header=True)
                if item.unit == "namespace":
                    header.unit = "statement"
                self.cut(list(body.named_children), start, end, f"{item.name}.", item.unit == "class", header)
                return
            self.pieces.append(Piece(start, end, "class" if item.unit == "class" else "statement", item.name))
            return
        unit = "method" if in_class or item.unit == "method" else "function"
        if self.lines(start, end) <= 2 * SPLIT_LINES:
            self.pieces.append(Piece(start, end, unit, item.name))
            return
        # an overlong function: pieces of SPLIT_LINES lines, all under its name
        piece_start = start
        while piece_start < end:
            piece_end = piece_start
            for _ in range(SPLIT_LINES):
                piece_end = self.data.find(b"\n", piece_end, end) + 1
                if piece_end <= 0:
                    piece_end = end
                    break
            if self.lines(piece_end, end) < SPLIT_LINES // 3:  # no short tail piece
                piece_end = end
            self.pieces.append(Piece(piece_start, piece_end, unit, item.name))
            piece_start = piece_end


def _text(node: Any) -> str:
    return node.text.decode("utf-8", errors="replace") if node is not None else ""


def _type_name(node: Any) -> str:
    """``Foo`` for a type node such as ``Foo<T>``, ``*Foo``, ``pkg::Foo``."""
    text = _text(node)
    for stop in "<([{ ":
        text = text.split(stop, 1)[0]
    return text.lstrip("*&").replace("::", ".")


def _declarator_name(node: Any) -> str | None:
    """C/C++: the name inside nested declarators (``*make(void)`` -> ``make``, ``A::run`` -> ``A.run``)."""
    while node is not None and node.child_by_field_name("declarator") is not None:
        node = node.child_by_field_name("declarator")
    if node is None:
        return None
    return _text(node).replace("::", ".") or None


def definition(node: Any, spec: LanguageSpec) -> tuple[str, str, Any] | None:
    """(kind, name, definition node) when ``node`` defines a unit: function | method (Go, with its receiver) |
    class | namespace | variable."""
    kind = node.type
    if kind in spec.wrappers:
        for child in node.named_children:
            found = definition(child, spec)
            if found is not None:
                return found
        return None
    if kind in spec.functions:
        if kind == "method_declaration" and node.child_by_field_name("receiver") is not None:  # Go
            receiver = node.child_by_field_name("receiver")
            types = [c for c in _descendants(receiver) if c.type == "type_identifier"]
            owner = _text(types[0]) if types else ""
            name = _text(node.child_by_field_name("name"))
            return ("method", f"{owner}.{name}", node) if owner else ("function", name, node)
        name_node = node.child_by_field_name("name")
        function_name = _text(name_node) if name_node is not None else _declarator_name(node)
        return ("function", function_name, node) if function_name else None
    if kind in spec.classes:
        if kind == "type_declaration":  # Go: type X struct {...}
            specs = [c for c in node.named_children if c.type in ("type_spec", "type_alias")]
            name = _text(specs[0].child_by_field_name("name")) if specs else ""
        elif kind == "impl_item":
            name = _type_name(node.child_by_field_name("type"))
        else:
            name = _text(node.child_by_field_name("name"))
        return ("class", name, node) if name else None
    if kind in spec.namespaces:
        name = _text(node.child_by_field_name("name"))
        return ("namespace", name.replace("::", "."), node) if name else None
    if kind in spec.variables:
        return _variable(node)
    return None


def _variable(node: Any) -> tuple[str, str, Any] | None:
    if node.type in ("expression_statement", "assignment"):  # Python: NAME = value at the top level
        first = node.named_children[0] if node.type == "expression_statement" and node.named_child_count else node
        if first is not None and first.type == "assignment":
            left = first.child_by_field_name("left")
            if left is not None and left.type == "identifier":
                return ("variable", _text(left), node)
        return None
    declarators = [c for c in node.named_children if c.type in ("variable_declarator", "const_spec", "var_spec")]
    if len(declarators) == 1:
        name_node = declarators[0].child_by_field_name("name")
        if name_node is None or name_node.type != "identifier":
            return None
        value = declarators[0].child_by_field_name("value")
        kind = "function" if value is not None and value.type in _FUNCTION_VALUES else "variable"
        return (kind, _text(name_node), node)
    name_node = node.child_by_field_name("name")  # Rust const/static/type, TS type alias
    if name_node is not None and not declarators:
        return ("variable", _text(name_node), node)
    return None


def _descendants(node: Any) -> list[Any]:
    out = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(reversed(current.named_children))
    return out


def cut_units(root: Any, data: bytes, spec: LanguageSpec) -> list[Piece]:
    """Pieces tiling ``data`` exactly, in order."""
    if not data:
        return []
    cutter = _Cutter(spec, data)
    cutter.cut(list(root.named_children), 0, len(data), "", False, None)
    if not cutter.pieces:
        return [Piece(0, len(data), "statement", None)]
    return cutter.pieces


def find_definitions(root: Any, spec: LanguageSpec) -> list[Found]:
    """Top-level definitions and the members of classes and namespaces, recursively (not locals of functions)."""
    found: list[Found] = []

    def visit(children: list[Any], prefix: str, in_class: bool, top: bool) -> None:
        for child in children:
            hit = definition(child, spec)
            if hit is None:
                continue
            kind, name, node = hit
            qualified = prefix + name
            if kind == "variable":
                if top:
                    found.append(_found(qualified, "variable", child))
                continue
            if kind in ("function", "method"):
                found.append(_found(qualified, "method" if in_class else kind, child))
                continue
            if kind == "class" and node.type != "impl_item":  # an impl block adds methods, defines no type
                found.append(_found(qualified, "class", child))
            body = node.child_by_field_name("body")
            if body is not None:
                visit(list(body.named_children), qualified + ".", kind == "class", False)

    visit(list(root.named_children), "", False, True)
    return found


def _found(name: str, kind: str, node: Any) -> Found:
    return Found(name, kind, node.start_byte, node.end_byte, node.start_point.row, node.end_point.row)


_queries: dict[str, Any] = {}


def identifier_names(root: Any, data: bytes, language: str, spec: LanguageSpec) -> Counter[str]:
    """How often each identifier occurs in the tree (declaration sites included)."""
    from tree_sitter import Query, QueryCursor
    from tree_sitter_language_pack import get_language

    query = _queries.get(language)
    if query is None:
        grammar = get_language(language)  # type: ignore[arg-type]
        kinds = [k for k in spec.identifiers if grammar.id_for_node_kind(k, True)]
        if not kinds:
            return Counter()
        query = Query(grammar, "[" + " ".join(f"({k})" for k in kinds) + "] @name")
        _queries[language] = query
    nodes = QueryCursor(query).captures(root).get("name", [])
    # count raw names, decode each distinct one once
    raw = Counter(data[n.start_byte : n.end_byte] for n in nodes)
    return Counter({name.decode("utf-8", errors="replace"): count for name, count in raw.items()})
