"""Where the bytes of the x86_64 binary go: by section and by crate.

    python3 tools/size.py BINARY [--symbols UNSTRIPPED] [--top N]

By section: `size -A` of BINARY (the stripped release binary, what ships).
By crate: the symbol table of UNSTRIPPED, the same build with its symbols
kept (`cargo build --profile symbols`, see Cargo.toml), read with `nm`:
each function's and constant's size, grouped by the crate its demangled
name starts with. That is cargo-bloat's method without installing it, and
as rough as cargo-bloat: a generic function counts for the crate that names
it (`core::ptr::drop_in_place<hyper::..>` counts for hyper, its argument),
and what the linker merged or did not name (string literals, the unwind
tables) belongs to no crate. Only the standard library and binutils are
needed, so `make bench` runs it with any Python 3.

`make bench` prints this account beside the sizes (tools/bench.py imports
`account`); run it alone to see where a change's bytes went.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

#: Sections worth a line of their own; the rest are summed as "other".
SECTIONS = (
    ".text",
    ".rodata",
    ".eh_frame",
    ".eh_frame_hdr",
    ".gcc_except_table",
    ".data.rel.ro",
    ".relr.dyn",
    ".rela.dyn",
    ".data",
    ".got",
    ".tbss",
    ".bss",
)
#: Sections that take no bytes in the file.
NOBITS = {".bss", ".tbss"}

#: Symbols of C and assembly code, which have no Rust path. ring's exported
#: ones carry its version (`ring_core_0_17_14_..`); its file-local ones are
#: known by their names (the P-256 table alone is ~150 KB). LLVM's
#: libunwind, which std links for backtraces, is named apart; the rest is
#: musl's libc and the compiler's runtime.
RING_C = re.compile(
    r"^_*(ring_core_|ecp_nistz256|nistz384|fiat_25519|fe4?_|ge_|x25519|inline_x25519|aes_nohw|aesni|vpaes|"
    r"mulx?4x|bn_|poly_hash|ChaCha|chacha|sha(256|512)_|gcm_|k25519|table_select)"
)
UNWIND_C = re.compile(r"^_*(unw_|Unwind_|unwind_|rust_eh_personality)")
#: The standard library's crates count as one, as cargo-bloat counts them.
STD = {"std", "core", "alloc", "panic_abort", "panic_unwind", "std_detect", "compiler_builtins", "hashbrown"}


def sections(binary: Path) -> dict[str, int]:
    """Section name -> bytes, from `size -A` (sections of the file, in order)."""
    out = subprocess.run(["size", "-A", str(binary)], capture_output=True, text=True, check=True).stdout
    found: dict[str, int] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            found[parts[0]] = int(parts[1])
    return found


#: Types that belong to no crate of their own: `<bool as webpki::der::FromDer>`
#: counts for webpki, the trait's crate.
PRIMITIVE = re.compile(r"^(bool|char|str|[iuf](8|16|32|64|128|size)|\(\)|\[.*\]|[A-Z])$")


def _crate(name: str) -> str:
    """The crate a demangled symbol belongs to (see the module's notes)."""
    # A C++ symbol (libunwind's) may start with its return type.
    name = re.sub(r"^((unsigned |signed )?(bool|char|short|int|long|void)\*? )+", "", name)
    if RING_C.match(name):
        return "ring (C and assembly)"
    if UNWIND_C.match(name):
        return "libunwind"
    # Generic glue of the standard library counts for the type it is for.
    for glue in ("core::ptr::drop_in_place<", "core::ptr::real_drop_in_place<"):
        if name.startswith(glue):
            name = name[len(glue) :]
            break
    # `<T as Trait>::f` counts for T, or for Trait when T is a primitive or a parameter.
    if name.startswith("<") and " as " in name:
        ty, _, rest = name[1:].partition(" as ")
        if PRIMITIVE.match(ty.lstrip("&*").removeprefix("mut ").strip()):
            name = rest
    name = name.lstrip("<&*[").removeprefix("mut ").removeprefix("dyn ").removeprefix("impl ")
    head = re.match(r"[A-Za-z_][A-Za-z0-9_]*", name)
    if not head or "::" not in name:
        return "[C: musl libc, compiler runtime]"
    crate = head.group(0)
    if crate in STD:
        return "std"
    if crate.startswith("_"):  # a legacy-mangled symbol nm did not demangle
        return "[unknown]"
    return crate


def crates(unstripped: Path) -> tuple[dict[str, int], int]:
    """Crate -> bytes of its named code and constants, and the sum."""
    out = subprocess.run(
        ["nm", "--print-size", "--size-sort", "--defined-only", "--demangle", str(unstripped)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    by: dict[str, int] = collections.Counter()
    seen = set()
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) != 4 or parts[2] in "bBuUvVwW":
            continue  # no size, or takes no bytes in the file (.bss)
        if parts[0] in seen:
            continue  # an alias (musl's `dn_expand` and `__dn_expand`): counted once
        seen.add(parts[0])
        by[_crate(parts[3])] += int(parts[1], 16)
    return dict(by), sum(by.values())


def account(binary: Path, unstripped: Path | None, top: int = 25, indent: str = "  ") -> list[str]:
    """Lines of the account: sections of `binary`, crates of `unstripped`."""
    lines = []
    total = binary.stat().st_size
    found = sections(binary)
    shown = [(s, found[s]) for s in SECTIONS if s in found and s not in NOBITS]
    other = sum(n for s, n in found.items() if s not in SECTIONS)
    lines.append(f"{indent}by section (size -A, {total:,} B in the file):")
    for name, n in shown + [("other", other)]:
        lines.append(f"{indent}  {name:<18} {n:>10,} B  {n / total:6.1%}")
    if unstripped is None or not unstripped.is_file():
        lines.append(f"{indent}by crate: no unstripped build ({unstripped or 'none given'})")
        return lines
    text = sections(unstripped).get(".text") or 0
    shipped = found.get(".text") or 0
    # The unstripped build links the same code; its .text comes out a few
    # hundred bytes apart (measured: 704 B in 2.9 MB, the linker's padding
    # around what the symbol table keeps). More than 0.1% means other code.
    if abs(text - shipped) > shipped // 1000:
        lines.append(f"{indent}by crate: {unstripped} is not the same build ({text} B of .text, not "
                     f"{shipped}): rebuild both")  # fmt: skip
        return lines
    by, named = crates(unstripped)
    lines.append(f"{indent}by crate (symbol sizes from nm: {named:,} B named; the rest is unnamed data, "
                 f"unwind tables and headers):")  # fmt: skip
    ranked = sorted(by.items(), key=lambda kv: -kv[1])
    for name, n in ranked[:top]:
        lines.append(f"{indent}  {name:<34} {n:>10,} B  {n / total:6.1%}")
    rest = ranked[top:]
    if rest:
        n = sum(v for _, v in rest)
        lines.append(f"{indent}  {f'{len(rest)} more crates':<34} {n:>10,} B  {n / total:6.1%}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", type=Path, help="the stripped release binary")
    parser.add_argument("--symbols", type=Path, help="the same build unstripped (cargo build --profile symbols)")
    parser.add_argument("--top", type=int, default=25, help="crates listed (default 25)")
    args = parser.parse_args()
    print("\n".join(account(args.binary, args.symbols, args.top, indent="")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
