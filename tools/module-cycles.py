"""Import cycles between the library's modules, and the names that tie them.

    python3 tools/module-cycles.py [SRC] [--ties]

Reads every `.rs` file under SRC (default crates/aws-oidc/src), finds the
names each one takes from another module (`use crate::..`, `super::..`,
`self::..`, a child module's `child::..`, and inline `crate::a::b` paths),
follows `pub use` re-exports to the module that defines the name (a
re-export ties a module to what it re-exports, except a parent's of its
own children: it is their front door, not their user), and
prints each strongly connected component of more than one file: a set of
modules where each reaches every other, so none can be read, tested or moved
without the rest. Comments are skipped; test modules count (a test that
imports upward ties the modules as surely as code does). `--ties` lists the
names on each edge inside a component. Exits 1 when there is a cycle, so a
check can run it. Only the standard library is needed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_path(src: Path, file: Path) -> tuple[str, ...]:
    """`sinks/profile.rs` -> ("sinks", "profile"); `eks/mod.rs` -> ("eks",)."""
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib"):
        parts.pop()
    return tuple(parts)


def strip_comments(text: str) -> str:
    """Drop `//` and `/* */` comments, keeping string literals intact enough."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""')
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def expand_tree(tree: str) -> list[list[str]]:
    """`a::{b, c::{d, e as f}}` -> [[a, b], [a, c, d], [a, c, e]]."""
    tree = re.sub(r"\s+", "", tree)

    def parse(s: str, i: int) -> tuple[list[list[str]], int]:
        prefix: list[str] = []
        while i < len(s):
            if s[i] == "{":
                paths, i = [], i + 1
                while s[i] != "}":
                    sub, i = parse(s, i)
                    paths += sub
                    if s[i] == ",":
                        i += 1
                return [prefix + p for p in paths], i + 1
            m = re.match(rf"({IDENT}|\*)(as{IDENT})?", s[i:])
            if not m:
                break
            prefix.append(m.group(1))
            i += len(m.group(1))
            if m.group(2) and not s.startswith("::", i):
                i += len(m.group(2))
            if s.startswith("::", i):
                i += 2
            else:
                break
        return [prefix], i

    return parse(tree, 0)[0]


class Crate:
    def __init__(self, src: Path):
        self.files = {module_path(src, f): f for f in sorted(src.rglob("*.rs"))}
        self.text = {m: strip_comments(f.read_text()) for m, f in self.files.items()}
        # name -> absolute path, for each module's `pub use` re-exports
        self.reexports: dict[tuple[str, ...], dict[str, list[str]]] = defaultdict(dict)
        for mod, text in self.text.items():
            for m in re.finditer(r"\bpub(?:\([a-z]+\))?\s+use\s+([^;]+);", text):
                for path in expand_tree(m.group(1)):
                    absolute = self.absolute(mod, path)
                    if absolute and path[-1] != "*":
                        self.reexports[mod][path[-1]] = absolute

    def absolute(self, mod: tuple[str, ...], path: list[str]) -> list[str] | None:
        """A path as written in `mod`, from the crate root; None if external."""
        if not path:
            return None
        head, rest = path[0], path[1:]
        if head == "crate":
            return rest
        if head == "self":
            return list(mod) + rest
        if head == "super":
            up = list(mod)
            while path and path[0] == "super":
                up, path = up[:-1], path[1:]
            return up + path
        if tuple(mod) + (head,) in self.files:
            return list(mod) + path
        return None

    def resolve(self, path: list[str], depth: int = 0) -> tuple[tuple[str, ...], str]:
        """The module that defines `path`'s item, and the item's name."""
        for k in range(len(path), -1, -1):
            mod = tuple(path[:k])
            if mod in self.files:
                name = path[k] if k < len(path) else (path[-1] if path else "")
                again = self.reexports.get(mod, {}).get(name)
                if again and depth < 8 and again != path:
                    return self.resolve(again, depth + 1)
                return mod, name
        return (), path[0] if path else ""

    def is_child(self, mod: tuple[str, ...], path: list[str] | None) -> bool:
        """Whether `path` names something inside a child module of `mod`."""
        child = tuple((path or [])[: len(mod) + 1])
        return len(child) == len(mod) + 1 and child[:-1] == mod and child in self.files

    def ties(self) -> dict[tuple, dict[tuple, set[str]]]:
        edges: dict[tuple, dict[tuple, set[str]]] = defaultdict(lambda: defaultdict(set))
        for mod, text in self.text.items():
            paths: list[list[str]] = []
            for m in re.finditer(r"(\bpub(?:\([a-z]+\))?\s+)?\buse\s+([^;]+);", text):
                for path in expand_tree(m.group(2)):
                    if not (m.group(1) and self.is_child(mod, self.absolute(mod, path))):
                        paths.append(path)
            rest = re.sub(r"\buse\s+[^;]+;", "", text)
            children = {m[-1] for m in self.files if len(m) == len(mod) + 1 and m[: len(mod)] == mod}
            heads = "|".join(["crate", "super", "self"] + sorted(children))
            for m in re.finditer(rf"(?<![A-Za-z0-9_:])((?:{heads})(?:::{IDENT})+)", rest):
                paths.append(m.group(1).split("::"))
            for path in paths:
                absolute = self.absolute(mod, path)
                if absolute is None:
                    continue
                target, name = self.resolve(absolute)
                if target != mod and target != () and name != "*":
                    edges[mod][target].add(name)
        return edges


def components(nodes, edges) -> list[list]:
    """Tarjan's strongly connected components."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in nodes:
        if v not in index:
            visit(v)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", nargs="?", default="crates/aws-oidc/src", type=Path)
    parser.add_argument("--ties", action="store_true", help="list the names on each edge")
    args = parser.parse_args()
    crate = Crate(args.src)
    edges = crate.ties()
    shown = lambda m: str(crate.files[m].relative_to(args.src))  # noqa: E731
    cycles = [c for c in components(sorted(crate.files), edges) if len(c) > 1]
    for n, comp in enumerate(sorted(cycles, key=len, reverse=True), 1):
        print(f"cycle {n} ({len(comp)} files): {', '.join(sorted(map(shown, comp)))}")
        if args.ties:
            inside = set(comp)
            for a in sorted(comp, key=shown):
                for b in sorted(edges[a], key=shown):
                    if b in inside:
                        print(f"  {shown(a)} -> {shown(b)}: {', '.join(sorted(edges[a][b]))}")
    if not cycles:
        print(f"no import cycles among {len(crate.files)} files")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
