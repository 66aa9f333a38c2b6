"""The import graph keeps the layout's promises: no cycles, Bolt only in the shell, and
listener modules that never import each other.

The graph is read from source with ``ast`` (nothing is imported), every import counts wherever
it sits (``if TYPE_CHECKING:`` and function bodies too), and importing ``a.b.c`` from outside
``a.b`` also counts as importing ``a.b`` and ``a``: Python runs those ``__init__`` files first,
which is how a package face can close a cycle no single ``import`` line shows.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers")
# Under bot/, only the composition root, the entrypoint and the HTTP shell import slack_bolt.
BOLT_SHELL = ("bot.app", "bot.__main__", "bot.web.")
BOLT_FREE_FACES = ("bot.web",)  # services import bot.web.links, which runs this first

Graph = dict[str, set[str]]


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    is_package: bool

    def imports(self) -> Iterator[tuple[str, str | None]]:
        """``(module, name)`` for every import; relative ones resolved to absolute names."""
        for node in ast.walk(ast.parse(self.path.read_text(), str(self.path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, None
            elif isinstance(node, ast.ImportFrom):
                base = self._absolute(node.module, node.level)
                for alias in node.names:
                    yield base, alias.name

    def _absolute(self, module: str | None, level: int) -> str:
        if not level:
            return module or ""
        package = self.name.split(".") if self.is_package else self.name.split(".")[:-1]
        base = package[: len(package) - (level - 1)]
        return ".".join([*base, *([module] if module else [])])


def find_modules(root: Path, packages: tuple[str, ...]) -> dict[str, Module]:
    found: dict[str, Module] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            found[name] = Module(name, path, is_package)
    return found


def import_graph(modules: dict[str, Module]) -> Graph:
    """Module -> the modules of ours it makes Python run (targets and their package faces)."""
    graph: Graph = {name: set() for name in modules}
    for name, module in modules.items():
        for base, imported in module.imports():
            target = _known(f"{base}.{imported}" if imported else base, modules)
            target = target or _known(base, modules)
            if target is None:
                continue  # not ours
            graph[name].add(target)
            parts = target.split(".")
            for depth in range(1, len(parts)):
                face = ".".join(parts[:depth])
                if face in modules and not _inside(name, face):
                    graph[name].add(face)
        graph[name].discard(name)
    return graph


def _known(dotted: str, modules: dict[str, Module]) -> str | None:
    while dotted and dotted not in modules:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def _inside(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def cycles(graph: Graph) -> list[list[str]]:
    """One concrete cycle per strongly connected group, as ``[a, b, ..., a]``."""
    found: list[list[str]] = []
    for group in _strongly_connected(graph):
        start = min(group)
        paths = {start: [start]}
        queue = [start]
        while queue:
            node = queue.pop(0)
            for nxt in sorted(graph[node] & group):
                if nxt == start:
                    found.append([*paths[node], start])
                    queue = []
                    break
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    queue.append(nxt)
    return sorted(found)


def _strongly_connected(graph: Graph) -> list[set[str]]:
    """Tarjan's algorithm, iteratively (the graph is a few hundred modules deep at most)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return groups


def imports_of(module: Module, top: str) -> list[str]:
    """The modules of package ``top`` (a third-party one) that ``module`` imports by name."""
    return sorted({base for base, _ in module.imports() if _inside(base, top)})


def reachable(graph: Graph, start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def bolt_violations(modules: dict[str, Module]) -> list[str]:
    """Modules under bot/ outside the shell that import slack_bolt, or reach it.

    Reaching it through imports counts too, unless the module hosts the whole app (it depends
    on the composition root, like the demo): a service must not load Bolt by importing, say,
    ``bot.web.links``.
    """
    graph = import_graph(modules)
    direct = {name for name, module in modules.items() if imports_of(module, "slack_bolt")}
    found: list[str] = []
    for name, module in modules.items():
        shell = name.startswith(BOLT_SHELL) and name not in BOLT_FREE_FACES
        if not _inside(name, "bot") or shell:
            continue
        if name in direct:
            found.append(f"{name} imports {', '.join(imports_of(module, 'slack_bolt'))}")
            continue
        reached = reachable(graph, name)
        if "bot.app" not in reached and reached & direct:
            found.append(f"{name} reaches slack_bolt through {', '.join(sorted(reached & direct))}")
    return found


def listener_imports(modules: dict[str, Module]) -> list[str]:
    """handlers/ modules with ``register`` that import another such module."""
    graph = import_graph(modules)
    listeners = {
        name
        for name, module in modules.items()
        if _inside(name, "handlers") and not module.is_package and _defines_register(module)
    }
    return sorted(
        f"{name} imports {other}" for name in listeners for other in sorted(graph[name] & listeners)
    )


def _defines_register(module: Module) -> bool:
    tree = ast.parse(module.path.read_text())
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "register"
        for node in tree.body
    )


# -- the repository ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ours() -> dict[str, Module]:
    return find_modules(ROOT, PACKAGES)


def test_the_packages_are_read(ours: dict[str, Module]) -> None:
    graph = import_graph(ours)
    assert {"bot.app", "bot.web", "handlers", "handlers.payloads"} <= set(ours)
    assert "handlers" in graph["bot.app"], "the composition root registers the listeners"


def test_no_import_cycles(ours: dict[str, Module]) -> None:
    found = [" -> ".join(cycle) for cycle in cycles(import_graph(ours))]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_only_the_shell_imports_slack_bolt(ours: dict[str, Module]) -> None:
    found = bolt_violations(ours)
    assert not found, "slack_bolt outside bot/app.py, bot/__main__.py, bot/web/:\n" + "\n".join(
        found
    )


def test_listener_modules_do_not_import_each_other(ours: dict[str, Module]) -> None:
    found = listener_imports(ours)
    assert not found, "share through a support module instead:\n" + "\n".join(found)


# -- the checks themselves, on small trees --------------------------------------------------------


def write_tree(root: Path, files: dict[str, str]) -> dict[str, Module]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return find_modules(root, tuple(sorted({name.split("/")[0] for name in files})))


def test_a_cycle_through_relative_and_type_checking_imports_is_named(tmp_path: Path) -> None:
    modules = write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/a.py": "from . import b\n",
            "app/b.py": "from app.c import thing\n",
            "app/c.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from .a import Model\n"
                "thing = 1\n"
            ),
        },
    )
    assert cycles(import_graph(modules)) == [["app.a", "app.b", "app.c", "app.a"]]


def test_a_package_face_closes_a_cycle(tmp_path: Path) -> None:
    """``core.text`` runs ``core/__init__``, which imports ``core.render``, which imports back."""
    modules = write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/core/__init__.py": "from app.core.render import render\n",
            "app/core/render.py": "from app.words import parse\n",
            "app/core/text.py": "escape = str\n",
            "app/words.py": "from app.core.text import escape\n",
        },
    )
    assert cycles(import_graph(modules)) == [
        ["app.core", "app.core.render", "app.words", "app.core"]
    ]


def test_imports_inside_a_package_and_from_its_face_are_no_cycle(tmp_path: Path) -> None:
    modules = write_tree(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/core/__init__.py": "from app.core.one import a\nfrom app.core.two import b\n",
            "app/core/one.py": "from app.core import two\na = 1\n",
            "app/core/two.py": "import json\nb = 2\n",
            "app/user.py": "from app import core\nfrom app.core import a\n",
        },
    )
    graph = import_graph(modules)
    assert cycles(graph) == []
    assert graph["app.user"] == {"app.core"}
    assert graph["app.core.one"] == {"app.core.two"}


def test_bolt_outside_the_shell_is_found_directly_and_through_imports(tmp_path: Path) -> None:
    modules = write_tree(
        tmp_path,
        {
            "bot/__init__.py": "",
            "bot/app.py": "from slack_bolt.async_app import AsyncApp\n",
            "bot/web/__init__.py": "",
            "bot/web/router.py": "import slack_bolt\n",
            "bot/web/links.py": "from bot.web.router import Router\n",
            "bot/service.py": "from bot.web.links import Links\n",
            "bot/listener.py": "from slack_bolt.context.ack.async_ack import AsyncAck\n",
            "bot/demo.py": "from bot.app import build\nfrom bot.web.router import Router\n",
        },
    )
    assert bolt_violations(modules) == [
        "bot.listener imports slack_bolt.context.ack.async_ack",
        "bot.service reaches slack_bolt through bot.web.router",
    ]


def test_a_listener_importing_another_is_found(tmp_path: Path) -> None:
    modules = write_tree(
        tmp_path,
        {
            "handlers/__init__.py": "from handlers import a, b\ndef register_all(): ...\n",
            "handlers/a.py": "from handlers.b import helper\ndef register(app): ...\n",
            "handlers/b.py": "from handlers.replies import reply\ndef register(app): ...\n",
            "handlers/replies.py": "def reply(): ...\n",
        },
    )
    assert listener_imports(modules) == ["handlers.a imports handlers.b"]
