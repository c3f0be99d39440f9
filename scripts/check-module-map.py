#!/usr/bin/env python3
"""Checks that the module map in docs/architecture.md is the include graph.

For every module under src/ (a folder with a CMakeLists.txt calling
orsa_module), the modules its library sources include from — the files
named under SOURCES, its public headers, and the private headers those
include — must be:
  * exactly the list the map's table gives it ("uses"), and
  * each declared in its orsa_module DEPS or PRIVATE_DEPS (a module declares
    what it includes instead of reaching through another's dependencies).
The graph must also be acyclic. Test sources are not part of a module's
graph: they may use orsa_testing and fakes.

Usage: scripts/check-module-map.py [REPO_ROOT]. Exit 1 with one line per
difference; run by ctest as lint.module-map.
"""

import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
MODULE_CALL = re.compile(r"orsa_module\((\w+)(.*?)\)\s*$", re.S | re.M)
KEYWORDS = ("SOURCES", "DEPS", "PRIVATE_DEPS", "TESTS", "TEST_DEPS")
TABLE_START = "<!-- module-map -->"
TABLE_END = "<!-- /module-map -->"


def module_arguments(cmake_text):
    """The orsa_module call's keyword lists: {'SOURCES': [...], ...}."""
    match = MODULE_CALL.search(cmake_text)
    if not match:
        return None, {}
    lists = {key: [] for key in KEYWORDS}
    current = None
    for token in re.sub(r"#.*", "", match.group(2)).split():
        if token in KEYWORDS:
            current = token
        elif current:
            lists[current].append(token)
    return match.group(1), lists


def included_modules(module_dir, start_files, modules):
    """Modules included by `start_files`, following the module's own headers."""
    seen, used = set(), set()
    todo = list(start_files)
    own_root = module_dir / "include"
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        for name in INCLUDE.findall(path.read_text(errors="replace")):
            first = name.split("/", 1)[0]
            if "/" in name and first in modules and first != module_dir.name:
                used.add(first)
            for candidate in (path.parent / name, module_dir / name, own_root / name):
                if candidate.is_file():
                    todo.append(candidate)
    return used


def graph_of(root):
    src = root / "src"
    modules, declared, sources = {}, {}, {}
    for cmake in sorted(src.glob("*/CMakeLists.txt")):
        name, lists = module_arguments(cmake.read_text())
        if name:
            modules[name] = cmake.parent
            declared[name] = {
                dep.split("::", 1)[1]
                for dep in lists["DEPS"] + lists["PRIVATE_DEPS"]
                if dep.startswith("orsa::")
            }
            sources[name] = [cmake.parent / s for s in lists["SOURCES"]]
    uses = {}
    for name, folder in modules.items():
        public = sorted((folder / "include").rglob("*.hpp"))
        uses[name] = included_modules(folder, sources[name] + public, modules)
    return uses, declared


def documented_map(doc_text):
    """{module: set(uses)} from the table between the module-map markers."""
    start, end = doc_text.find(TABLE_START), doc_text.find(TABLE_END)
    if start < 0 or end < start:
        return None
    table = {}
    for line in doc_text[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        module = cells[0].strip("`")
        table[module] = {u.strip("` ") for u in cells[1].split(",") if u.strip("` —-")}
    return table


def find_cycle(uses):
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for dep in sorted(uses.get(node, ())):
            if state.get(dep) == "open":
                return trail + [node, dep]
            if dep not in state:
                found = visit(dep, trail + [node])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in sorted(uses):
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    uses, declared = graph_of(root)
    doc = documented_map((root / "docs" / "architecture.md").read_text())
    problems = []
    if doc is None:
        problems.append(f"docs/architecture.md: no table between {TABLE_START} and {TABLE_END}")
        doc = {}
    for module in sorted(set(uses) | set(doc)):
        actual, listed = uses.get(module), doc.get(module)
        if actual is None:
            problems.append(f"{module}: in the map but not a module under src/")
            continue
        if listed is None:
            problems.append(f"{module}: a module without a row in the map (uses {sorted(actual)})")
            continue
        if actual != listed:
            problems.append(
                f"{module}: the map says {sorted(listed)}, its sources include {sorted(actual)}"
            )
        undeclared = actual - declared.get(module, set())
        if undeclared:
            problems.append(
                f"{module}: includes {sorted(undeclared)} without naming them in orsa_module DEPS"
            )
    cycle = find_cycle(uses)
    if cycle:
        problems.append("a dependency cycle: " + " -> ".join(cycle))
    for problem in problems:
        print("module map: " + problem)
    if not problems:
        print(f"module map: {len(uses)} modules match docs/architecture.md")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
