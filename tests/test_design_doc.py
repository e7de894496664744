"""docs/design.md against the code it describes.

- Every path the document names exists (``path_problems``).
- Its layer table ("Layers and who may import whom") is the import contract of teichaku_nb:
  every module is in exactly one row, and every import of a module of the package, those
  inside functions included, is one its row allows (``layer_problems``).
- Its command line synopsis lists the commands, options and choices of ``cli.build_parser()``
  (``synopsis_problems``).

Each check returns the problems it found, so the last tests can show that each one catches
what it is for, on a doctored copy of the document.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "teichaku_nb"
DESIGN = ROOT / "docs" / "design.md"
# The Voila template: the document names its page scripts as the template does (`static/opening.js`).
VOILA_TEMPLATE = PACKAGE / "templates" / "voila" / "voila" / "templates" / "teichaku"

# --- what counts as a path ---------------------------------------------------------------------
#
# A path is a backticked token (or a word of a ``` block other than the CLI synopsis: the data
# flow diagram) that has no space and contains "/" or ends in one of PATH_SUFFIXES.  Then:
# - a path with "/" must exist relative to one of BASES (the repository, the package, the
#   Voila template); `folder/module.name` (a module and something in it, as
#   `server/preheat.PageRequest`) is the file `folder/module.py` and a word `name` in it;
# - a bare file name (`tables.py`, `report.css`) is named in its context (the app's panels, the
#   store's modules): it must be the name of some file of the repository;
# - a pattern (`app/*`, `report_notebooks/<kind>.ipynb`) needs only its folder to exist;
# - URLs (`://`) are no paths; NOT_PATHS lists the other tokens that look like paths but are not
#   in the repository.
PATH_SUFFIXES = (".py", ".ipynb", ".j2", ".md", ".css", ".js", ".sh", ".html", ".toml")
BASES = (ROOT, PACKAGE, VOILA_TEMPLATE)
PATTERN_CHARS = set("*<>{}[]")
NOT_PATHS = {
    "reports/YYYY-MM/": "the documents' output folder, made beside the workbook or in the current directory",
    "documents/<name>.html.j2": "a template inside another package's templates folder",
    "~/.local/share/teichaku": "the per-user data folder, on the user's machine",
    "~/.local/share/teichaku/app.log": "the app's log, in that folder",
}
SKIPPED_FOLDERS = {".git", ".venv", "__pycache__", "node_modules", ".pytest_cache", ".hypothesis"}
OUTPUT_FOLDERS = {"reports", "build", "test-artifacts"}     # of the repository's root: made by runs (.gitignore)

# --- the import contract ------------------------------------------------------------------------
#
# Imports of today's code that break the layer table, kept here so that the test passes and
# fails on any new one: ("importing module", "imported module"), names relative to teichaku_nb
# (e.g. ("app.common", "server.applog")), each with a comment `# known: <reason>`.  An entry
# whose import is gone must be removed.
KNOWN_VIOLATIONS: list[tuple[str, str]] = [
    # none: today's code keeps the table
]


def design_text() -> str:
    return DESIGN.read_text(encoding="utf-8")


FENCE = re.compile(r"(?ms)^```[^\n]*\n(.*?)^```[^\n]*$")


def code_spans(text: str) -> list[str]:
    """The document's backticked tokens (outside ``` blocks)."""
    return re.findall(r"`([^`\n]+)`", FENCE.sub("", text))


def is_synopsis(block: str) -> bool:
    return re.search(r"(?m)^teichaku [a-z]", block) is not None


def diagram_words(text: str) -> list[str]:
    """The words of the ``` blocks other than the CLI synopsis, without the punctuation around them."""
    return [word.strip("()[],:;") for block in FENCE.findall(text) if not is_synopsis(block) for word in block.split()]


def looks_like_path(token: str) -> bool:
    if "://" in token or any(c.isspace() for c in token):
        return False
    return "/" in token or token.endswith(PATH_SUFFIXES)


@cache
def repository_file_names() -> frozenset[str]:
    names = set()
    for folder, folders, files in os.walk(ROOT):
        folders[:] = [f for f in folders if f not in SKIPPED_FOLDERS and not f.endswith(".egg-info")
                      and not (Path(folder) == ROOT and f in OUTPUT_FOLDERS)]
        names.update(files)
    return frozenset(names)


def resolves(relative: str) -> bool:
    return any((base / relative).exists() for base in BASES)


def path_problem(token: str) -> str | None:
    """Why ``token`` (a path by ``looks_like_path``) names nothing in the repository, or None."""
    if token in NOT_PATHS:
        return None
    if PATTERN_CHARS & set(token):
        wild = min(token.index(c) for c in PATTERN_CHARS if c in token)
        folder = token[:wild].rpartition("/")[0]
        return None if not folder or resolves(folder) else f"the folder {folder}/ of the pattern does not exist"
    if "/" not in token:
        return None if token in repository_file_names() else "no file of the repository has this name"
    if resolves(token):
        return None
    module, dot, name = token.rpartition(".")
    if dot and name.isidentifier() and "/" in module:
        sources = [base / f"{module}.py" for base in BASES if (base / f"{module}.py").is_file()]
        if sources:
            found = any(re.search(rf"\b{re.escape(name)}\b", s.read_text(encoding="utf-8")) for s in sources)
            return None if found else f"{module}.py has no {name}"
    return "does not exist (relative to the repository, teichaku_nb/ or the Voila template)"


def path_problems(text: str) -> list[str]:
    tokens = sorted({t for t in code_spans(text) + diagram_words(text) if looks_like_path(t)})
    problems = [f"`{t}`: {why}" for t in tokens if (why := path_problem(t))]
    named = set(code_spans(text)) | set(diagram_words(text))
    problems += [f"`{t}` is in NOT_PATHS but the document no longer names it" for t in NOT_PATHS if t not in named]
    return problems


# --- the package's modules and their imports -----------------------------------------------------

@cache
def package_modules() -> dict[str, Path]:
    """Every module of teichaku_nb by its dotted name (a package by its own name)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def unit_of(module: str) -> str | None:
    """The name the layer table gives a module: `rules`, or `store/` for any module of that
    package; None for teichaku_nb itself."""
    parts = module.split(".")[1:]
    if not parts:
        return None
    top = f"teichaku_nb.{parts[0]}"
    is_package = package_modules().get(top, Path()).name == "__init__.py"
    return f"{parts[0]}/" if is_package else parts[0]


def imports_of(module: str) -> list[tuple[str, int]]:
    """The modules of teichaku_nb that ``module`` imports (at the top, in functions, under
    TYPE_CHECKING) with their lines; ``from x import y`` is ``x.y`` when that is a module."""
    path = package_modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(filter(None, [".".join(parts[:len(parts) + 1 - node.level]), node.module]))
            else:
                base = node.module or ""
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.append((name if name in package_modules() else base, node.lineno))
    return sorted({(name, line) for name, line in found if name == "teichaku_nb" or name.startswith("teichaku_nb.")})


# --- the layer table ----------------------------------------------------------------------------

@dataclass
class Row:
    layer: int
    units: list[str]                       # in the order the row lists them
    layers: set[int] | None                # the lower layers it names (None: everything)
    ordered: bool                          # "in this order": within the layer, only those before
    only: set[str] | None                  # "`a`, `b` only" for the whole row
    allows: dict[str, set[str]] = field(default_factory=dict)     # "`x`: `a`, `b`": imports x makes
    limits: dict[str, set[str]] = field(default_factory=dict)     # "`x`: `a`, `b` only"


def ticks(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def layer_table(text: str) -> list[Row]:
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines)
                  if re.match(r"\|\s*layer\s*\|\s*modules\s*\|\s*may import\s*\|", line)), None)
    assert start is not None, "design.md has no layer table (| layer | modules | may import |)"
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        number, modules, may = (cell.strip() for cell in line.strip().strip("|").split("|"))
        outside = re.sub(r"\([^()]*\)", "", may)
        inside = re.findall(r"\(([^()]*)\)", may)
        span = re.search(r"\blayers? (\d+)(?:\s*[–-]\s*(\d+))?", outside)
        layers = None if "everything" in outside else (
            set(range(int(span.group(1)), int(span.group(2) or span.group(1)) + 1)) if span else set())
        row_only = set(ticks(outside)) if re.search(r"\bonly\b", outside) and ticks(outside) else None
        assert span or row_only is not None or layers is None, f"the row names no layers and no modules: {line}"
        row = Row(int(number.split(".")[0]), [u for u in ticks(modules)], layers, "in this order" in outside, row_only)
        for clause in (c for group in inside for c in group.split(";")):
            if ":" not in clause:
                continue
            subjects, _, targets = clause.partition(":")
            into = row.limits if re.search(r"\bonly\b", targets) else row.allows
            for subject in ticks(subjects):
                into.setdefault(subject, set()).update(ticks(targets))
        rows.append(row)
    return rows


def layer_problems(text: str, known: list[tuple[str, str]] = KNOWN_VIOLATIONS) -> list[str]:
    rows = layer_table(text)
    problems, row_of = [], {}
    for row in rows:
        for unit in row.units:
            if unit in row_of:
                problems.append(f"`{unit}` is in layers {row_of[unit].layer} and {row.layer}")
            row_of[unit] = row
    units = {unit_of(m) for m in package_modules()} - {None}
    problems += [f"`{u}` (a module of teichaku_nb) is in no layer of the table" for u in sorted(units - set(row_of))]
    problems += [f"`{u}` is in the table but is no module of teichaku_nb" for u in sorted(set(row_of) - units)]
    for row in rows:
        for subject, targets in (*row.allows.items(), *row.limits.items()):
            problems += [f"layer {row.layer}: `{n}` is no module in the table" for n in sorted({subject} | targets)
                         if n not in row_of]

    made: set[tuple[str, str]] = set()                 # (unit, unit): the imports the code makes
    seen_known: set[tuple[str, str]] = set()
    for module in package_modules():
        x = unit_of(module)
        if x not in row_of:
            continue
        row = row_of[x]
        for target, line in imports_of(module):
            t = unit_of(target)
            if t is None or t == x:
                continue
            made.add((x, t))
            pair = (module.removeprefix("teichaku_nb."), target.removeprefix("teichaku_nb."))
            why = import_problem(row, x, t, row_of)
            if why and pair in known:
                seen_known.add(pair)
            elif why:
                where = package_modules()[module].relative_to(ROOT)
                problems.append(f"{where}:{line} imports {target}: {why}")
    problems += [f"KNOWN_VIOLATIONS: {a} → {b} no longer breaks the table: remove it" for a, b in known
                 if (a, b) not in seen_known]
    for row in rows:
        for subject, targets in row.allows.items():
            problems += [f"layer {row.layer} says `{subject}` imports `{t}`, but it does not" for t in sorted(targets)
                         if t in row_of and (subject, t) not in made]
    return problems


def import_problem(row: Row, x: str, t: str, row_of: dict[str, Row]) -> str | None:
    """Why the table does not allow unit ``x`` (in ``row``) to import unit ``t``, or None."""
    if t not in row_of:
        return "not in the layer table"
    if t in row.allows.get(x, ()):
        return None
    limit = row.limits.get(x, row.only)
    if limit is not None:
        return None if t in limit else f"`{x}` may import only {', '.join(sorted(limit))} (layer {row.layer})"
    target_layer = row_of[t].layer
    if target_layer > row.layer:
        return f"layer {target_layer} is above `{x}`'s layer {row.layer}"
    if target_layer == row.layer:
        if row.ordered and row.units.index(t) > row.units.index(x):
            return f"layer {row.layer} is in order and `{t}` comes after `{x}`"
        return None
    if row.layers is not None and target_layer not in row.layers:
        return f"layer {row.layer} does not name layer {target_layer}"
    return None


# --- the command line synopsis ------------------------------------------------------------------

def synopsis(text: str) -> dict[str, str]:
    """Each command of the synopsis with its lines joined (a command may have several)."""
    block = next((b for b in FENCE.findall(text) if is_synopsis(b)), None)
    assert block is not None, "design.md has no command line synopsis (lines `teichaku <command> ...` in a ``` block)"
    entries: list[str] = []
    for line in block.splitlines():
        if line.startswith("teichaku "):
            entries.append(line)
        elif line.strip() and entries:
            entries[-1] += " " + line.strip()
    commands: dict[str, str] = {}
    for entry in entries:
        command = entry.split()[1]
        commands[command] = f"{commands.get(command, '')} {entry}".strip()
    return commands


def parser_commands() -> dict[str, argparse.ArgumentParser]:
    from teichaku_nb.cli import build_parser
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(subparsers.choices)


def command_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """A command's actions and those of its own commands (``teichaku staff add``...)."""
    actions = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                actions += command_actions(sub)
    return actions


def synopsis_problems(text: str) -> list[str]:
    documented, parsers = synopsis(text), parser_commands()
    problems = [f"`teichaku {c}` is a command but not in the synopsis" for c in sorted(set(parsers) - set(documented))]
    problems += [f"`teichaku {c}` is in the synopsis but no command" for c in sorted(set(documented) - set(parsers))]
    for command in sorted(set(parsers) & set(documented)):
        line, actions = documented[command], command_actions(parsers[command])
        options = {s for a in actions for s in a.option_strings if s not in ("-h", "--help")}
        written = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", line))
        problems += [f"`teichaku {command}`: {o} is missing from the synopsis" for o in sorted(options - written)]
        problems += [f"`teichaku {command}`: {o} is in the synopsis but not an option" for o in sorted(written - options)]
        words = set(re.split(r"[\s|{}\[\]()]+", line))
        for action in actions:
            for choice in action.choices or ():
                if str(choice) not in words:
                    problems.append(f"`teichaku {command}`: the choice {choice} of {action.metavar or action.dest}"
                                    " is missing from the synopsis")
        choices = {str(c) for a in actions if a.choices and not a.option_strings for c in a.choices}
        for group in re.findall(r"\{([^}]*)\}", line):
            problems += [f"`teichaku {command}`: {c} is in the synopsis but no choice" for c in group.split("|")
                         if c not in choices]
        by_option = {s: {str(c) for c in a.choices} for a in actions if a.choices for s in a.option_strings}
        for option, values in re.findall(r"(--[\w-]+) ([^\s\[\]()]*\|[^\s\[\]()]*)", line):
            problems += [f"`teichaku {command}`: {v} is in the synopsis but no choice of {option}"
                         for v in values.split("|") if v not in by_option.get(option, ())]
    return problems


# --- the tests ------------------------------------------------------------------------------------

def test_every_path_the_document_names_exists():
    assert path_problems(design_text()) == []


def test_every_module_is_in_one_layer_and_imports_only_what_its_layer_allows():
    assert layer_problems(design_text()) == []


def test_every_module_of_a_subpackage_is_named_in_the_document():
    """The layer table lists `app/`, `store/` and `server/` as a whole; their modules are each
    named elsewhere in the document (`server/web.py`, or `tables.py` in the store's row)."""
    named = set(code_spans(design_text())) | set(diagram_words(design_text()))
    missing = []
    for path in sorted(PACKAGE.glob("*/*.py")):
        package, name = path.parent.name, path.stem
        if name != "__init__" and not any(t == f"{name}.py" or t.endswith(f"{package}/{name}.py")
                                          or t.startswith(f"{package}/{name}.") for t in named):
            missing.append(f"{package}/{name}.py")
    assert missing == []


def test_the_command_line_synopsis_is_the_parser():
    assert synopsis_problems(design_text()) == []


# --- the checks catch what they are for -----------------------------------------------------------

def doctored(old: str, new: str) -> str:
    text = design_text()
    assert old in text, old
    return text.replace(old, new, 1)


def test_the_path_check_catches_a_moved_file_and_a_renamed_name():
    text = doctored("`server/login.py`", "`app/login.py`")
    text = text.replace("`server/preheat.PageRequest`", "`server/preheat.PageAsked`", 1)
    text = text.replace("(markup.py)", "(markup_html.py)", 1)                       # in the diagram
    problems = path_problems(text)
    assert any(p.startswith("`app/login.py`") for p in problems)
    assert any("preheat.py has no PageAsked" in p for p in problems)
    assert any(p.startswith("`markup_html.py`") for p in problems)


def test_the_layer_check_catches_a_missing_module_an_upward_import_and_a_broken_limit():
    text = doctored("`records`, `documents`, `reading`", "`records`, `reading`")
    assert "`documents` (a module of teichaku_nb) is in no layer of the table" in layer_problems(text)
    rows = {u: r for r in layer_table(design_text()) for u in r.units}
    # rules (layer 2) importing markup (layer 3)
    assert import_problem(rows["rules"], "rules", "markup", rows) == "layer 3 is above `rules`'s layer 2"
    # the server may take paths, errors, staff and the store only
    assert "may import only" in import_problem(rows["server/"], "server/", "report_views", rows)
    # in this order: billing may not import casefile, listed after it
    assert "comes after" in import_problem(rows["billing"], "billing", "casefile", rows)
    # a claim the code does not make
    text = doctored("(`documents`: `records`;", "(`documents`: `records`, `schema`;")
    assert "layer 1 says `documents` imports `schema`, but it does not" in layer_problems(text)
    # a known violation that is gone
    assert any("no longer breaks the table" in p for p in layer_problems(design_text(), [("rules", "fees")]))


def test_the_synopsis_check_catches_a_missing_command_option_and_choice():
    text = doctored("teichaku validate BOOK [--json]\n", "")
    text = text.replace("[--host 127.0.0.1] ", "", 1).replace("[--format html|pdf]", "[--format html|docx]", 1)
    problems = synopsis_problems(text)
    assert "`teichaku validate` is a command but not in the synopsis" in problems
    assert "`teichaku app`: --host is missing from the synopsis" in problems
    assert "`teichaku report`: docx is in the synopsis but no choice of --format" in problems
