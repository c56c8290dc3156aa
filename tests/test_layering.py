"""The layers keep to their places, read from the source with `ast` (imports inside functions
included): the data layer never imports Streamlit, charts or the UI; statistics never touch the
database; nothing reaches for another module's underscore names; pages use only what a module
declares public in its `__all__`."""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

# What the data layer must never import: the UI side and the rendering libraries.
UI_SIDE = {"ui", "pages", "streamlit", "altair", "reportlab", "vl_convert"}
# What statistics must never import: the database, and every layer above them.
STATS_FORBIDDEN = {
    "sqlalchemy",
    "impact_data.store",
    "impact_data.measures",
    "impact_data.views",
    "impact_data.ingest",
}
# The code whose modules may not reach into another module's underscore names.
CHECKED_TREES = ("impact_data", "ui", "pages", "benchmarks")


@dataclass(frozen=True)
class Imported:
    """One name an `import` statement brings in: from which module, and under which name."""

    module: str  # the module imported, or imported from ("impact_data.views")
    name: str | None  # the name taken from it ("compare"), None for `import module`
    bound: str  # the name it is bound to in the importing module
    line: int


def module_name(path: Path) -> str:
    """The dotted module name of a file of the project ("impact_data.stats.spc", "app")."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def is_package(path: Path) -> bool:
    """True for an `__init__.py`: its relative imports start from itself."""
    return path.name == "__init__.py"


def imports_of(source: str, module: str, package: bool = False) -> list[Imported]:
    """Every import in the source, wherever it is (functions, branches, TYPE_CHECKING)."""
    found: list[Imported] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import a.b as m` binds m to a.b; `import a.b` binds a.
                bound = alias.asname or alias.name.split(".")[0]
                found.append(Imported(alias.name, None, bound, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.append(Imported(base, alias.name, alias.asname or alias.name, node.lineno))
    return found


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def is_private(name: str) -> bool:
    """An underscore name that is not a dunder (`__all__`, `__version__` are fine)."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def project_module_exists(dotted: str) -> bool:
    """True when a dotted name is a module or package of this project."""
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def ui_side_imports(source: str, module: str, package: bool = False) -> list[str]:
    """Imports of the UI side (ui, pages, streamlit, altair, reportlab, vl_convert)."""
    found = [
        (imp.line, f"{module}:{imp.line} imports {imp.module}")
        for imp in imports_of(source, module, package)
        if imp.module.split(".")[0] in UI_SIDE
    ]
    return [problem for _, problem in sorted(found)]


def stats_imports(source: str, module: str, package: bool = False) -> list[str]:
    """Imports a statistics module may not make: the database or a layer above it."""
    problems = []
    for imp in imports_of(source, module, package):
        targets = [imp.module]
        if imp.name:
            targets.append(f"{imp.module}.{imp.name}")
        for target in targets:
            if any(_within(target, forbidden) for forbidden in STATS_FORBIDDEN):
                problems.append(f"{module}:{imp.line} imports {target}")
                break
    return problems


def _dotted(node: ast.AST) -> list[str] | None:
    """["mod", "sub", "_name"] for an attribute chain mod.sub._name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def private_uses(source: str, module: str, package: bool = False) -> list[str]:
    """Another module's underscore names used here: `from x import _y`, or `mod._y` on a
    module of this project bound by an import."""
    problems = []
    modules: dict[str, str] = {}  # bound name -> the project module it is
    for imp in imports_of(source, module, package):
        if imp.name is not None and is_private(imp.name):
            problems.append(f"{module}:{imp.line} imports {imp.name} from {imp.module}")
        dotted = imp.module if imp.name is None else f"{imp.module}.{imp.name}"
        if imp.name is None and imp.bound != imp.module:
            modules[imp.bound] = imp.module  # import a.b as m
        elif imp.name is None:
            modules[imp.bound] = imp.bound  # import a.b binds a
        elif project_module_exists(dotted):
            modules[imp.bound] = dotted  # from a import b, b a module
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or not is_private(node.attr):
            continue
        chain = _dotted(node)
        if chain is None or chain[0] not in modules:
            continue
        owner = ".".join([modules[chain[0]], *chain[1:-1]])
        if project_module_exists(owner) and owner != module:
            problems.append(f"{module}:{node.lineno} uses {owner}.{node.attr}")
    return sorted(problems, key=lambda p: int(p.split(":")[1].split()[0]))


def public_names(dotted: str) -> set[str]:
    """A module's declared API: its `__all__`."""
    return set(getattr(importlib.import_module(dotted), "__all__", ()))


def non_public_uses(source: str, module: str) -> list[str]:
    """Names a page takes from `impact_data` that the module does not declare in `__all__`,
    by import or by attribute access on an imported module."""
    problems = []
    modules: dict[str, str] = {}
    for imp in imports_of(source, module):
        if not _within(imp.module, "impact_data"):
            continue
        parts = imp.module.split(".")
        for i in range(1, len(parts)):
            parent, child = ".".join(parts[:i]), parts[i]
            if child not in public_names(parent):
                problems.append(f"{module}:{imp.line} imports {imp.module} ({child} is not public)")
        if imp.name is None:
            if imp.bound != parts[0]:
                modules[imp.bound] = imp.module
            continue
        if imp.name not in public_names(imp.module):
            problems.append(f"{module}:{imp.line} imports {imp.name} from {imp.module}")
        if project_module_exists(f"{imp.module}.{imp.name}"):
            modules[imp.bound] = f"{imp.module}.{imp.name}"
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
            continue
        owner = modules.get(node.value.id)
        if owner is None or node.attr in public_names(owner):
            continue
        problems.append(f"{module}:{node.lineno} uses {owner}.{node.attr} (not in its __all__)")
    return sorted(set(problems), key=lambda p: int(p.split(":")[1].split()[0]))


def files_under(*trees: str) -> list[Path]:
    """The Python files of the given folders of the project (migrations included)."""
    return sorted(path for tree in trees for path in (ROOT / tree).rglob("*.py"))


def _check(files: list[Path], check) -> list[str]:
    problems = []
    for path in files:
        problems += check(path.read_text(), module_name(path), is_package(path))
    return problems


# --- the rules, on the project -----------------------------------------------------------------


def test_the_data_layer_never_imports_the_ui_side():
    assert _check(files_under("impact_data"), ui_side_imports) == []


def test_statistics_never_touch_the_database_or_the_layers_above():
    assert _check(files_under("impact_data/stats"), stats_imports) == []


def test_no_module_uses_another_modules_underscore_names():
    files = [*files_under(*CHECKED_TREES), ROOT / "app.py"]
    assert _check(files, private_uses) == []


def test_pages_use_only_what_impact_data_declares_public():
    problems = []
    for path in [*files_under("pages"), ROOT / "app.py"]:
        problems += non_public_uses(path.read_text(), module_name(path))
    assert problems == []


def test_views_have_no_sql_of_their_own():
    problems = []
    for path in files_under("impact_data/views"):
        for imp in imports_of(path.read_text(), module_name(path), is_package(path)):
            if _within(imp.module, "sqlalchemy"):
                problems.append(f"{module_name(path)}:{imp.line} imports {imp.module}")
    assert problems == []


# --- the checks themselves catch what they are for ---------------------------------------------


def test_an_import_inside_a_function_is_found():
    source = "def render():\n    from ui.charts import compare\n    import altair as alt\n"
    assert ui_side_imports(source, "impact_data.board_pack") == [
        "impact_data.board_pack:2 imports ui.charts",
        "impact_data.board_pack:3 imports altair",
    ]
    assert ui_side_imports("from ui import state\n", "impact_data.x") == [
        "impact_data.x:1 imports ui"
    ]
    assert ui_side_imports("import pandas as pd\n", "impact_data.x") == []


def test_statistics_importing_the_database_is_found():
    source = "from sqlalchemy import select\nfrom impact_data import store\nfrom .spc import xmr\n"
    assert stats_imports(source, "impact_data.stats.disclosure") == [
        "impact_data.stats.disclosure:1 imports sqlalchemy",
        "impact_data.stats.disclosure:2 imports impact_data.store",
    ]
    relative = "from ..store.sql import read_frame\n"
    assert stats_imports(relative, "impact_data.stats.x") == [
        "impact_data.stats.x:1 imports impact_data.store.sql"
    ]


def test_underscore_names_are_found_by_import_and_by_attribute():
    source = (
        "from impact_data.measures.queries import _frame\n"
        "from impact_data.views import overview\n"
        "import impact_data.store.sql as sql\n"
        "x = overview._readiness_groups(db)\n"
        "y = sql._private\n"
        "z = overview.system_overview\n"
        "w = frame._values\n"
    )
    assert private_uses(source, "pages.overview") == [
        "pages.overview:1 imports _frame from impact_data.measures.queries",
        "pages.overview:4 uses impact_data.views.overview._readiness_groups",
        "pages.overview:5 uses impact_data.store.sql._private",
    ]
    # A module's own underscore names, and dunders, are its own business.
    assert private_uses("from impact_data.spc import __all__\n", "impact_data.spc") == []


def test_a_page_taking_an_undeclared_name_is_found():
    source = (
        "from impact_data.store.sql import read_frame, ORG\n"
        "from impact_data.views import compare\n"
        "compare.funnel_frame\n"
        "compare.not_a_public_name\n"
    )
    assert non_public_uses(source, "pages.x") == [
        "pages.x:4 uses impact_data.views.compare.not_a_public_name (not in its __all__)"
    ]
    assert non_public_uses("from impact_data.store.db import make_engine, Base\n", "pages.x") == [
        "pages.x:1 imports Base from impact_data.store.db"
    ]
