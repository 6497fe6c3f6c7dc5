"""Files that are in a repository but are not what its questions are about: data (word and password lists, large
CSV/TSV/JSON, test fixtures), vendored libraries (jQuery, Bootstrap, Materialize, ``vendor/``, ``static/**/lib``,
files opening with a known library's license banner) and generated code (``Code generated … DO NOT EDIT``).

They are read and indexed like text, and ``docintel search --include-data`` finds them, but they are set aside:
no corpus map, no default retrieval pool, no full-context prompt, no audit. Each carries the reason it was set
aside (``docintel stats`` lists it). Measured on a Flask app whose bundled password list was 80% of its tokens and a
Django app whose non-minified Materialize files were 93% (issue 10 §2).
"""

from __future__ import annotations

import re

from docintel.kinds.base import DocumentKind, FileSample

# --- data ---------------------------------------------------------------------------------------------------------
TABLE_SUFFIXES = {".csv": "CSV", ".tsv": "TSV", ".psv": "PSV"}
RECORD_SUFFIXES = {".json": "JSON", ".jsonl": "JSON lines", ".ndjson": "JSON lines", ".geojson": "GeoJSON"}
FIXTURE_SUFFIXES = {".json", ".jsonl", ".yaml", ".yml", ".xml", ".csv", ".tsv", ".txt", ".html", ".sql", ".ndjson"}
FIXTURE_FOLDERS = {"fixtures", "fixture", "__fixtures__", "testdata", "test_data", "test-data"}
WORD_LIST_SUFFIXES = {".txt", ".lst", ".list", ".dic", ".dict", ".words", ""}
WORD_LIST_NAME = re.compile(r"pass(word)?s?|wordlist|words|dictionary|rockyou|usernames|common|top\d+", re.IGNORECASE)
MIN_TABLE_BYTES = 1_000  # a CSV this small is a sample in a test or a doc: keep it
MIN_RECORD_BYTES = 32_000  # JSON below this is configuration (package.json, tsconfig.json), not data
MIN_WORD_LINES = 200  # a short list (requirements.txt, a spelling allow-list) is not a data set
WORD_LINE = re.compile(r"^\S{1,64}$")


class DataKind(DocumentKind):
    name = "data"
    title = "Data (set aside)"
    map_title = "Data files"
    priority = 20
    in_corpus = False
    relabel = True

    def detect(self, sample: FileSample) -> str | None:
        if set(sample.folders) & FIXTURE_FOLDERS and sample.suffix in FIXTURE_SUFFIXES:
            folder = next(f for f in sample.folders if f in FIXTURE_FOLDERS)
            return f"test fixture (under {folder}/)"
        if sample.suffix in TABLE_SUFFIXES and len(sample.data) >= MIN_TABLE_BYTES:
            rows = sample.data.count(b"\n")
            return f"{TABLE_SUFFIXES[sample.suffix]} table ({rows:,} rows)"
        if sample.suffix in RECORD_SUFFIXES and len(sample.data) >= MIN_RECORD_BYTES:
            return f"{RECORD_SUFFIXES[sample.suffix]} data ({len(sample.data) / 1000:,.0f} KB)"
        if sample.suffix in WORD_LIST_SUFFIXES:
            return word_list_reason(sample)
        return None


def word_list_reason(sample: FileSample) -> str | None:
    """A word or password list: hundreds of lines of one short token each (no spaces)."""
    if sample.data.count(b"\n") < MIN_WORD_LINES:
        return None
    lines = [ln for ln in sample.head.splitlines() if ln.strip()]
    if len(lines) < MIN_WORD_LINES:
        return None
    single = sum(1 for ln in lines if WORD_LINE.match(ln.strip()))
    if single < 0.9 * len(lines):
        return None
    what = "password list" if re.search(r"pass", sample.name) else "word list"
    if not WORD_LIST_NAME.search(sample.name) and single < 0.98 * len(lines):
        return None  # an unnamed file must be all one-token lines to be called a list
    total = sample.data.count(b"\n") + (not sample.data.endswith(b"\n"))
    return f"{what} ({total:,} lines of one word)"


# --- vendored libraries -----------------------------------------------------------------------------------------
VENDOR_FOLDERS = {"vendor", "vendors", "vendored", "third_party", "third-party", "thirdparty", "bower_components"}
STATIC_FOLDERS = {"static", "assets", "public", "www", "wwwroot", "dist"}
LIBRARY_FOLDERS = {"lib", "libs", "vendor", "plugins", "external"}
ASSET_SUFFIXES = {".js", ".mjs", ".cjs", ".css", ".scss", ".sass", ".less", ".map"}
KNOWN_LIBRARIES = (
    "jquery", "jquery-ui", "bootstrap", "materialize", "popper", "angular", "react", "react-dom", "vue", "lodash",
    "underscore", "moment", "d3", "chart", "three", "font-awesome", "fontawesome", "normalize", "foundation",
    "semantic", "bulma", "tailwind", "htmx", "alpine", "highlight", "prism", "codemirror", "select2", "datatables",
    "axios", "socket.io", "require", "modernizr", "backbone", "handlebars", "mustache", "knockout", "ember",
    "leaflet", "swiper", "slick", "tinymce", "ckeditor", "dropzone", "summernote", "sweetalert", "sweetalert2",
    "animate", "hammer", "anime", "gsap", "mathjax", "katex", "marked", "purify", "zepto", "mootools", "prototype",
    "raphael", "fullcalendar", "flatpickr", "pikaday", "toastr", "noty", "chosen", "masonry", "isotope", "lightbox",
    "fancybox", "owl.carousel", "bootstrap-datepicker", "datepicker", "qunit", "mocha", "chai", "sinon", "jasmine",
)  # fmt: skip
_LIBRARY_FILE = re.compile(
    r"^(?P<lib>" + "|".join(re.escape(n) for n in sorted(KNOWN_LIBRARIES, key=len, reverse=True)) + r")"
    r"(?:[.-](?:\d[\w.]*|min|slim|bundle|esm|umd|full|core|all|dev|prod|production|development|global|custom))*"
    r"\.(?:js|mjs|cjs|css|scss|less|map)$"
)
# A preserved license banner (``/*!``, or a first comment with ``@license``) naming a library and its version: how
# libraries ship ("/*! * Materialize v1.0.0 (http://materializecss.com) * MIT License").
_FIRST_COMMENT = re.compile(r"\A\s*/\*(?P<bang>!?)(?P<body>.{0,800}?)\*/", re.DOTALL)
_NAME_VERSION = re.compile(r"(?P<name>[A-Z][\w.\-]*(?: [A-Z][\w.\-]*){0,3})\s+v?(?P<version>\d+\.\d+(?:\.\d+)?)\b")
_LICENSE_WORDS = re.compile(r"@license|\blicen[cs]e[ds]?\b|\(c\)|copyright|©|\bMIT\b", re.IGNORECASE)


class VendoredKind(DocumentKind):
    name = "vendored"
    title = "Vendored libraries (set aside)"
    map_title = "Vendored libraries"
    priority = 10
    in_corpus = False
    relabel = True

    def detect(self, sample: FileSample) -> str | None:
        folders = sample.folders
        vendor = next((f for f in folders if f in VENDOR_FOLDERS), None)
        if vendor is not None:
            return f"under {vendor}/"
        if any(f in STATIC_FOLDERS for f in folders):
            after = folders[next(i for i, f in enumerate(folders) if f in STATIC_FOLDERS) + 1 :]
            library = next((f for f in after if f in LIBRARY_FOLDERS), None)
            if library is not None:
                return f"library folder ({'/'.join(folders)}/)"
        if sample.suffix not in ASSET_SUFFIXES:
            return None
        match = _LIBRARY_FILE.match(sample.name)
        if match:
            return f"known library file ({match.group('lib')})"
        comment = _FIRST_COMMENT.match(sample.head[:1200])
        if comment is None or not (comment.group("bang") or "@license" in comment.group("body")):
            return None
        found = _NAME_VERSION.search(comment.group("body"))
        if found and _LICENSE_WORDS.search(comment.group("body")):
            return f"license header of {found.group('name')} v{found.group('version')}"
        return None


# --- generated code ---------------------------------------------------------------------------------------------
_GENERATED = re.compile(
    r"Code generated .{0,200}DO NOT EDIT|@generated\b|(?i:auto-?generated .{0,80}do not (?:edit|modify))"
    r"|(?i:this file (?:was|is) (?:automatically )?generated (?:by|from|with))"
)
GENERATED_NAMES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", ".pb.go", ".pb.cc", ".pb.h", ".g.dart", ".designer.cs")


class GeneratedKind(DocumentKind):
    name = "generated"
    title = "Generated files (set aside)"
    map_title = "Generated files"
    priority = 15
    in_corpus = False
    relabel = True

    def detect(self, sample: FileSample) -> str | None:
        if sample.name.endswith(GENERATED_NAMES):
            return "generated code (file name)"
        found = _GENERATED.search("\n".join(sample.head[:4000].split("\n", 10)[:10]))  # a header: the first lines
        if found:
            return f"generated ({' '.join(found.group(0).split())[:60]})"
        return None


KINDS = (DataKind(), VendoredKind(), GeneratedKind())
