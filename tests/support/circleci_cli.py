"""The `circleci` CLI as a CircleCI job has it on PATH, for the orb runner
(support/orb_runner.py, rule R12), with the two subcommands orb steps use:

- `circleci env subst`: stdin to stdout with the environment's variables
  expanded as circleci-cli's `cmd/env.go` does it, with a8m/envsubst:
  $V, ${V}, ${V-d}, ${V:-d}, ${V=d}, ${V:=d}, ${V+a}, ${V:+a}, and $$ for
  a literal $; an unset variable is empty; an unclosed ${ is an error.
- `circleci run oidc get --claims '{"aud": ...}'`: prints a fresh OIDC token.
  Only a job that has one can mint one: here, when the test has put a
  token in the file AWS_OIDC_TEST_OIDC_TOKEN_FILE names; each call's
  arguments are logged to AWS_OIDC_TEST_CIRCLECI_LOG when set.
Anything else exits 2, as the real CLI does for an unknown command.
"""

from __future__ import annotations

import os
import re
import sys

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SubstError(Exception):
    pass


def subst(text: str, env: dict[str, str]) -> str:
    out: list[str] = []
    i = 0
    while True:
        j = text.find("$", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        rest = text[j + 1:]
        if rest.startswith("$"):
            out.append("$")
            i = j + 2
            continue
        if rest.startswith("{"):
            depth, k = 1, 1
            while k < len(rest) and depth:
                depth += {"{": 1, "}": -1}.get(rest[k], 0)
                k += 1
            if depth:
                raise SubstError("a ${ is never closed")
            inner = rest[1:k - 1]
            i = j + 1 + k
            m = NAME.match(inner)
            if not m:
                raise SubstError(f"${{{inner}}} names no variable")
            name, op = m.group(), inner[m.end():]
            is_set, value = name in env, env.get(name, "")
            if not op:
                out.append(value)
                continue
            colon = op.startswith(":")
            if colon:
                op = op[1:]
            kind, word = op[:1], op[1:]
            if kind in "-=" and kind:
                out.append(subst(word, env) if (not is_set or (colon and not value)) else value)
            elif kind == "+":
                out.append(subst(word, env) if (is_set and (not colon or value)) else "")
            else:
                raise SubstError(f"${{{inner}}} is not a form envsubst knows")
            continue
        m = NAME.match(rest)
        if m:
            out.append(env.get(m.group(), ""))
            i = j + 1 + m.end()
            continue
        out.append("$")
        i = j + 1


def main(argv: list[str]) -> int:
    log = os.environ.get("AWS_OIDC_TEST_CIRCLECI_LOG")
    if log:
        with open(log, "a") as f:
            f.write(" ".join(argv) + "\n")
    if argv[:2] == ["env", "subst"]:
        try:
            sys.stdout.write(subst(sys.stdin.read(), dict(os.environ)))
        except SubstError as e:
            print(f"Error: {e}", file=sys.stderr)
            return 1
        return 0
    if argv[:3] == ["run", "oidc", "get"]:
        token_file = os.environ.get("AWS_OIDC_TEST_OIDC_TOKEN_FILE")
        if not token_file:
            print("Error: this job has no OIDC token (it runs in no context?)", file=sys.stderr)
            return 1
        with open(token_file) as f:
            print(f.read().strip())
        return 0
    print(f"Error: unknown command {' '.join(argv)!r} (the test stand-in knows env subst and run oidc get)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
