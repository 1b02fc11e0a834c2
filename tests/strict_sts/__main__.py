"""Command line of the strict STS fixture: `serve`, `keygen` and `mint`.

    python -m strict_sts serve --config CONFIG.json [--host 127.0.0.1] [--port 0] [--port-file FILE] [--verbose]
    python -m strict_sts keygen --out KEY.pem
    python -m strict_sts mint --key KEY.pem --org-id ORG [--project-id P] [--user-id U] [--aud AUD]
        [--exp-in SECONDS] [--vcs-origin O] [--vcs-ref R] [--context-id ID ...] [--ssh-rerun]
        [--kid KID] [--alg ALG] [--claim NAME=VALUE ...] [--drop-claim NAME ...]
    (--context-id, --claim and --drop-claim take one or more values and may be repeated)

Run with `tests/` on PYTHONPATH.  `mint` prints the token on stdout and nothing else.
"""

from __future__ import annotations

import argparse
import json
import sys

from .tokens import DEFAULT_KID, DEFAULT_PROJECT_ID, DEFAULT_USER_ID, generate_key, mint


def _claim(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m strict_sts", description="Strict STS fixture for aws-oidc tests.")
    sub = parser.add_subparsers(dest="command", required=True)

    p_serve = sub.add_parser("serve", help="serve the STS look-alike on loopback until SIGTERM/SIGINT")
    p_serve.add_argument("--config", help="fixture config JSON (default: empty config, set it with PUT /_fixture/config)")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p_serve.add_argument("--port-file", help="write the bound port here (atomically) once listening")
    p_serve.add_argument("--verbose", action="store_true", help="log each HTTP request line to stderr")

    p_keygen = sub.add_parser("keygen", help="write a new RSA-2048 private key (PEM)")
    p_keygen.add_argument("--out", required=True)

    p_mint = sub.add_parser("mint", help="print a signed CircleCI-shaped OIDC token")
    p_mint.add_argument("--key", required=True, help="PEM private key")
    p_mint.add_argument("--org-id", required=True)
    p_mint.add_argument("--project-id", default=DEFAULT_PROJECT_ID)
    p_mint.add_argument("--user-id", default=DEFAULT_USER_ID)
    p_mint.add_argument("--aud", help="audience (default: the org id)")
    p_mint.add_argument("--exp-in", type=int, default=3600, help="seconds from now to exp (may be negative)")
    p_mint.add_argument("--vcs-origin")
    p_mint.add_argument("--vcs-ref")
    p_mint.add_argument("--context-id", action="extend", nargs="+", default=[], dest="context_ids", metavar="ID")
    p_mint.add_argument("--ssh-rerun", action="store_true")
    p_mint.add_argument("--kid", default=DEFAULT_KID, help="kid header ('' leaves it out)")
    p_mint.add_argument("--alg", default="RS256", help="alg header (signature is RS256 unless RS384/RS512)")
    p_mint.add_argument("--claim", action="extend", nargs="+", default=[], type=_claim, metavar="NAME=VALUE",
                        help="add/override claims (VALUE parsed as JSON if it is JSON)")
    p_mint.add_argument("--drop-claim", action="extend", nargs="+", default=[], metavar="NAME", help="remove claims")

    args = parser.parse_args(argv)
    if args.command == "serve":
        from .server import serve

        return serve(args.config, args.host, args.port, args.port_file, args.verbose)
    if args.command == "keygen":
        generate_key(args.out)
        return 0
    token = mint(
        args.key,
        args.org_id,
        kid=args.kid or None,
        alg=args.alg,
        project_id=args.project_id,
        user_id=args.user_id,
        aud=args.aud,
        exp_in=args.exp_in,
        vcs_origin=args.vcs_origin,
        vcs_ref=args.vcs_ref,
        context_ids=args.context_ids,
        ssh_rerun=args.ssh_rerun,
        claims=dict(args.claim),
        drop_claims=args.drop_claim,
    )
    sys.stdout.write(token + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
