"""CircleCI's own schema for configs and orbs, as `check-jsonschema` ships it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def check_jsonschema(*paths: Path) -> dict:
    """The JSON report of `check-jsonschema --builtin-schema vendor.circle-ci` on `paths`."""
    proc = subprocess.run(
        [str(VENV_BIN / "check-jsonschema"), "--builtin-schema", "vendor.circle-ci", "-o", "json", "--verbose", *map(str, paths)],
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout)


def assert_valid(report: dict, files: int) -> None:
    """The report says `files` files were checked and all are valid."""
    assert report["status"] == "ok", "\n".join(
        f"{e['filename']} {e['path']}: {(e.get('best_deep_match') or e)['message'][:300]}"
        for e in report.get("errors", [])
    )
    assert not report.get("parse_errors"), report["parse_errors"]
    assert len(report["checked_paths"]) == files, report
