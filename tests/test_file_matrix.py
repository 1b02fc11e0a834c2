"""The file matrix: every file aws-oidc reads or writes, met as each kind of
thing a path can be (issue 25).

Each row is a file, driven the way a user writes or reads it (`assume
--profile`, `ecr-login`, `cleanup`, ...); each column is what stands at its
path beforehand: a regular file, a symlink to one the user owns, a dangling
symlink, a named pipe with a silent writer, a character device, a
directory, a read-only file (0444: the tests run as root, so the mode is
all that says no), a file another user owns, a 100 MB sparse file, a file
with a second hard link.  `EXPECTED` is the matrix; `docs/file-matrix.md`
is printed from it (`python tests/test_file_matrix.py`) and checked against
it, so the page cannot drift.

Whatever the outcome, no run hangs, panics or prints a secret, and a
refusal names the file, says why, calls no service and leaves every file
byte for byte.  The services are stand-ins on loopback: the strict STS
fixture, and `FakeAws` below for ECR, EKS and CodeArtifact.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.accounts import ACCOUNT_ID, ROLE  # noqa: E402
from support.loopback import LoopbackServer, StandInHandler  # noqa: E402
from support.steps import Measured, assert_no_secrets, measured  # noqa: E402

REGION = "us-east-1"
ECR_HOST = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com"
CLUSTER = "demo"
KEY_ID, SECRET, SESSION = "AKIAMATRIXTESTKEY001", "matrix/test+secret/00000000000000000000", "matrix-session-token"
ECR_PASSWORD, CODEARTIFACT_TOKEN = "matrix-ecr-password-0001", "matrix-codeartifact-token-0001"
FOREIGN_UID = 65534
HUGE = 100 << 20
#: A run that takes longer than this is waiting on something: a hang.
PROMPT = 10.0

# --- the matrix --------------------------------------------------------------------------

FILES = ["credentials", "config", "bash-env", "dotenv", "cache", "ledger", "docker-config", "helper-settings",
         "kubeconfig", "npmrc", "netrc", "circleci-config"]  # fmt: skip
CASES = ["regular", "symlink", "dangling", "fifo", "device", "directory", "read-only", "foreign-owner", "huge",
         "hard-link"]  # fmt: skip

#: What each file is, for the page.
FILE_NAMES = {
    "credentials": "`~/.aws/credentials` (`assume --profile`)",
    "config": "`~/.aws/config` (`assume --profile`)",
    "bash-env": "`$BASH_ENV` (`assume --bash-env`)",
    "dotenv": "dotenv (`assume --output dotenv FILE`)",
    "cache": "credential cache entry (`credential-process`)",
    "ledger": "cleanup's ledger (`cleanup`)",
    "docker-config": "Docker `config.json` (`ecr-login`)",
    "helper-settings": "credential helper settings (`ecr-login --helper`)",
    "kubeconfig": "kubeconfig (`eks-kubeconfig --kubeconfig`)",
    "npmrc": "`.npmrc` (`codeartifact-login --tool npm`)",
    "netrc": "pip's `~/.netrc` (`codeartifact-login --tool pip`)",
    "circleci-config": "`.circleci/config.yml` (`migrate-config`)",
}

#: Outcomes.  WRITTEN: exit 0, the new content at the path (through a
#: symlink, which stays; into a dangling link's target, which is created;
#: a hard link is split: the other name keeps its old bytes).  STREAMED:
#: exit 0, written through the pipe or device, which stays what it was.
#: IGNORED: exit 0, the file was not trusted (the service was asked
#: again) and a private regular file now stands at the path; what a link
#: named is untouched.  UNUSED: exit 0 with a warning, no cache, the thing
#: at the path left.  REFUSED: exit 1 naming the file and the reason
#: (the word given), no service called, every file byte for byte.
#: SHARED: exit 0, appended in place, so every hard link (one file) has the lines.
WRITTEN, STREAMED, SHARED, IGNORED, UNUSED, REFUSED = "written", "streamed", "shared", "ignored", "unused", "refused"


@dataclass(frozen=True)
class Expect:
    outcome: str
    why: str = ""  # for REFUSED: a phrase the message holds

    def cell(self) -> str:
        return f"{self.outcome}: {self.why}" if self.why else self.outcome


def row(**cells: Expect) -> dict[str, Expect]:
    return {case.replace("_", "-"): e for case, e in cells.items()}


PIPE, DEVICE, DIRECTORY = Expect(REFUSED, "named pipe"), Expect(REFUSED, "character device"), \
    Expect(REFUSED, "directory")  # fmt: skip
READ_ONLY, TOO_BIG = Expect(REFUSED, "read-only"), Expect(REFUSED, "more than 16777216 bytes")
W = Expect(WRITTEN)

#: The rule for a file aws-oidc edits in place (read, change, replace under a lock).
EDITED = row(regular=W, symlink=W, dangling=W, fifo=PIPE, device=DEVICE, directory=DIRECTORY, read_only=READ_ONLY,
             foreign_owner=W, huge=TOO_BIG, hard_link=W)  # fmt: skip
#: The rule for a sink written whole or appended: streams are written through.
STREAM = Expect(STREAMED)

EXPECTED: dict[str, dict[str, Expect]] = {
    "credentials": EDITED,
    "config": EDITED,
    "bash-env": {**EDITED, "fifo": STREAM, "device": STREAM, "huge": W, "hard-link": Expect(SHARED),
                 "foreign-owner": Expect(REFUSED, "belongs to another user")},
    "dotenv": {**EDITED, "fifo": STREAM, "device": STREAM, "huge": W},
    "cache": row(regular=W, symlink=Expect(IGNORED), dangling=Expect(IGNORED), fifo=Expect(IGNORED),
                 device=Expect(IGNORED), directory=Expect(UNUSED), read_only=Expect(IGNORED),
                 foreign_owner=Expect(IGNORED), huge=Expect(IGNORED), hard_link=W),  # fmt: skip
    "ledger": row(regular=W, symlink=Expect(REFUSED, "is a symlink"), dangling=Expect(REFUSED, "is a symlink"),
                  fifo=Expect(REFUSED, "not a regular file"), device=Expect(REFUSED, "is a symlink"),
                  directory=Expect(REFUSED, "not a regular file"), read_only=Expect(REFUSED, "open to other users"),
                  foreign_owner=Expect(REFUSED, "another user"), huge=Expect(REFUSED, "larger than 1 MiB"),
                  hard_link=W),  # fmt: skip
    "docker-config": EDITED,
    "helper-settings": EDITED,
    "kubeconfig": EDITED,
    "npmrc": {**EDITED, "huge": Expect(REFUSED, "more than 1048576 bytes")},
    "netrc": {**EDITED, "huge": Expect(REFUSED, "more than 1048576 bytes")},
    "circleci-config": {**EDITED, "huge": Expect(REFUSED, "more than 4194304 bytes"),
                        "dangling": Expect(REFUSED, "No such file")},
}


def markdown() -> str:
    """docs/file-matrix.md, from EXPECTED."""
    lines = [
        "# The file matrix",
        "",
        "What aws-oidc does with each file it reads or writes when its path holds each kind of thing.",
        "Generated from `tests/test_file_matrix.py` (`python tests/test_file_matrix.py`), which runs",
        "every cell and checks this page against its table.",
        "",
        "- **written**: done; a symlink stays and the file it names gets the change (a dangling",
        "  link's target is created); a hard link is split, the other name keeping its old bytes.",
        "- **streamed**: written through the pipe or device, which stays what it was.",
        "- **shared**: appended in place: the file's other hard links are the same file and have the lines.",
        "- **ignored**: not trusted; the service is asked again and a private regular file replaces",
        "  what stood there (what a link named is untouched).",
        "- **unused**: no cache for this run, with a warning; the directory is left.",
        "- **refused**: exit 1 before any service is called, naming the file and the reason quoted;",
        "  every file is left byte for byte.",
        "",
        "Cases: a symlink to a file the user owns; a named pipe whose writer never writes; the",
        "device `/dev/zero` through a symlink; mode 0444 (refused even for root); owned by another",
        "user (uid 65534); a 100 MB sparse file; a second hard link elsewhere.",
        "",
        "| file | " + " | ".join(CASES) + " |",
        "|---|" + "---|" * len(CASES),
    ]
    for name in FILES:
        lines.append(f"| {FILE_NAMES[name]} | " + " | ".join(EXPECTED[name][c].cell() for c in CASES) + " |")
    return "\n".join(lines) + "\n"


DOC = Path(__file__).resolve().parents[1] / "docs" / "file-matrix.md"


def test_the_page_is_the_matrix_the_tests_run():
    assert set(EXPECTED) == set(FILES) and all(set(r) == set(CASES) for r in EXPECTED.values())
    assert DOC.read_text() == markdown(), "docs/file-matrix.md drifted: python tests/test_file_matrix.py > it"


# --- stand-ins ---------------------------------------------------------------------------

class FakeAws(LoopbackServer):
    """ECR's GetAuthorizationToken, EKS's DescribeCluster and CodeArtifact's
    two calls, answered as the services do; counts every call."""

    def __init__(self) -> None:
        self.calls = 0
        fixture = self

        class Handler(StandInHandler):
            def answer(self):
                self.request_body()
                fixture.calls += 1
                path = self.path.split("?")[0]
                if "GetAuthorizationToken" in (self.headers.get("X-Amz-Target") or ""):
                    body = {"authorizationData": [{
                        "authorizationToken": base64.b64encode(f"AWS:{ECR_PASSWORD}".encode()).decode(),
                        "expiresAt": time.time() + 12 * 3600, "proxyEndpoint": f"https://{ECR_HOST}"}]}  # fmt: skip
                elif path == f"/clusters/{CLUSTER}":
                    body = {"cluster": {"name": CLUSTER, "status": "ACTIVE",
                                        "arn": f"arn:aws:eks:{REGION}:{ACCOUNT_ID}:cluster/{CLUSTER}",
                                        "endpoint": "https://127.0.0.1:6443",
                                        "certificateAuthority": {"data": base64.b64encode(b"not a CA").decode()}}}
                elif path == "/v1/authorization-token":
                    body = {"authorizationToken": CODEARTIFACT_TOKEN, "expiration": time.time() + 3600}
                elif path == "/v1/repository/endpoint":
                    fmt = "npm" if "format=npm" in self.path else "pypi"
                    body = {"repositoryEndpoint": f"{fixture.url}/{fmt}/store/"}
                else:
                    body = {}
                self.send_json(200 if body else 404, body)

            do_GET = do_POST = answer  # noqa: N815

        super().__init__(Handler)


@pytest.fixture
def fake_aws():
    with FakeAws() as fixture:
        yield fixture


# --- one driver per file -------------------------------------------------------------------

@dataclass
class Step:
    """A sandboxed job step: its environment, the stand-ins, and where things are."""
    bin: Path
    root: Path
    env: dict[str, str]
    sts: object
    fake: FakeAws

    @property
    def home(self) -> Path:
        return Path(self.env["HOME"])

    @property
    def cache(self) -> Path:
        return Path(self.env["AWS_OIDC_CACHE_DIR"])

    def calls(self) -> int:
        return self.sts.calls() + self.fake.calls

    def run(self, args: list[str]) -> Measured:
        return measured(self.bin, args, self.env, timeout=2 * PROMPT)


ASSUME = ["assume", "--role-arn", ROLE]
STATIC_KEYS = ["static-keys", "--access-key-id-var", "DEPLOY_KEY_ID", "--secret-access-key-var", "DEPLOY_SECRET",
               "--profile", "ci", "--bash-env"]  # fmt: skip
MIGRATED = b"""version: 2.1
orbs:
  aws-cli: circleci/aws-cli@4.1
jobs:
  deploy:
    executor: aws-cli/default
    steps:
      - aws-cli/setup:
          role_arn: arn:aws:iam::123456789012:role/deploy
"""


@dataclass(frozen=True)
class Driver:
    """How one file is reached: where it is, what a user's own copy holds,
    the step that reads or writes it (after `prime`, if the file is one
    aws-oidc makes first), and what it holds once written."""
    path: Callable[[Step], Path]
    seed: bytes
    args: Callable[[Step], list[str]]
    holds: Callable[[bytes], bool]
    prime: list[str] | None = None
    mode: int = 0o600
    keeps_seed: bool = True
    kept: bytes | None = None  # what of the seed survives, when not all of it


DRIVERS: dict[str, Driver] = {
    "credentials": Driver(lambda s: s.home / ".aws/credentials", b"[mine]\nregion = eu-west-1\n",
                          lambda s: [*ASSUME, "--profile", "ci"], lambda b: b"[ci]" in b and b"aws_session_token" in b),
    "config": Driver(lambda s: s.home / ".aws/config", b"[profile mine]\nregion = eu-west-1\n",
                     lambda s: [*ASSUME, "--profile", "ci"], lambda b: b"[profile ci]" in b),
    "bash-env": Driver(lambda s: Path(s.env["BASH_ENV"]), b"export MINE=1\n", lambda s: [*ASSUME, "--bash-env"],
                       lambda b: b"export AWS_SESSION_TOKEN=" in b),
    "dotenv": Driver(lambda s: s.root / "creds.env", b"MINE=1\n",
                     lambda s: [*ASSUME, "--output", "dotenv", str(s.root / "creds.env")],
                     lambda b: b"AWS_SESSION_TOKEN=" in b, keeps_seed=False),
    "cache": Driver(lambda s: next(s.cache.glob("*.json")), b"", lambda s: ["credential-process", "--role-arn", ROLE],
                    lambda b: b"session_token" in b, prime=["credential-process", "--role-arn", ROLE],
                    keeps_seed=False),
    "ledger": Driver(lambda s: s.cache / "job-matrix.ledger", b"", lambda s: ["cleanup"],
                     lambda b: True, prime=STATIC_KEYS, keeps_seed=False),
    "docker-config": Driver(lambda s: Path(s.env["DOCKER_CONFIG"]) / "config.json",
                            b'{"auths": {"ghcr.io": {"auth": "a2VlcA=="}}}', lambda s: ["ecr-login"],
                            lambda b: ECR_HOST.encode() in b, kept=b'"ghcr.io": {"auth": "a2VlcA=="}'),
    "helper-settings": Driver(lambda s: Path(s.env["DOCKER_CONFIG"]) / "aws-oidc-credential-helper.json",
                              b'{"version": 1, "registries": {}}', lambda s: ["ecr-login", "--helper"],
                              lambda b: ECR_HOST.encode() in b, keeps_seed=False),
    "kubeconfig": Driver(lambda s: s.root / "kube/config", b"apiVersion: v1\nkind: Config\n# mine\npreferences: {}\n",
                         lambda s: ["eks-kubeconfig", "--cluster-name", CLUSTER, "--kubeconfig",
                                    str(s.root / "kube/config")],
                         lambda b: f"cluster/{CLUSTER}".encode() in b, keeps_seed=False),
    "npmrc": Driver(lambda s: Path(s.env["NPM_CONFIG_USERCONFIG"]), b"fund=false\n",
                    lambda s: ["codeartifact-login", "--domain", "acme", "--domain-owner", ACCOUNT_ID, "--tool", "npm",
                               "--repository", "store"],
                    lambda b: b":_authToken=" in b),
    "netrc": Driver(lambda s: Path(s.env["NETRC"]), b"machine example.invalid login me password mine\n",
                    lambda s: ["codeartifact-login", "--domain", "acme", "--domain-owner", ACCOUNT_ID, "--tool", "pip",
                               "--repository", "store"],
                    lambda b: b"machine 127.0.0.1" in b),
    "circleci-config": Driver(lambda s: s.root / "project/.circleci/config.yml", MIGRATED,
                              lambda s: ["migrate-config", str(s.root / "project/.circleci/config.yml")],
                              lambda b: b"aws-oidc/aws-oidc@" in b, mode=0o644, keeps_seed=False),
}


@pytest.fixture
def step(aws_oidc_bin, job_env, aws, strict_sts, tokens, fake_aws, tmp_path) -> Step:
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(), "AWS_REGION": REGION,
           "AWS_ENDPOINT_URL_STS": strict_sts.url, "AWS_ENDPOINT_URL_ECR": fake_aws.url,
           "AWS_ENDPOINT_URL_EKS": fake_aws.url, "AWS_ENDPOINT_URL_CODEARTIFACT": fake_aws.url,
           "AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_SESSION_TOKEN": SESSION,
           "DEPLOY_KEY_ID": KEY_ID, "DEPLOY_SECRET": SECRET, "CIRCLE_WORKFLOW_JOB_ID": "job-matrix",
           "AWS_OIDC_CACHE_DIR": str(tmp_path / "cache"), "DOCKER_CONFIG": str(tmp_path / "docker"),
           "NPM_CONFIG_USERCONFIG": str(tmp_path / "home/.npmrc"), "NETRC": str(tmp_path / "home/.netrc")}  # fmt: skip
    return Step(aws_oidc_bin, tmp_path, env, strict_sts, fake_aws)


# --- what stands at the path --------------------------------------------------------------

def elsewhere(s: Step, path: Path) -> Path:
    """Where the file a link names lives: outside the file's own directory."""
    d = s.root / "elsewhere"
    d.mkdir(exist_ok=True)
    return d / path.name


def place(stack: ExitStack, s: Step, case: str, path: Path, seed: bytes, mode: int) -> None:
    """Puts what `case` names at `path`, holding `seed` where it holds anything."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # $BASH_ENV, which the job made empty
    if case in ("symlink", "dangling", "hard-link"):
        other = elsewhere(s, path)
        if case != "dangling":
            other.write_bytes(seed)
            other.chmod(mode)
        if case == "hard-link":
            os.link(other, path)
        else:
            path.symlink_to(other)
    elif case == "fifo":
        os.mkfifo(path, 0o600)
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)  # a writer that never writes
        stack.callback(os.close, fd)
        stack.callback(drain, fd)
    elif case == "device":
        path.symlink_to("/dev/zero")
    elif case == "directory":
        path.mkdir()
        (path / "kept").write_bytes(b"kept\n")
    elif case == "huge":
        with open(path, "wb") as f:
            f.write(seed)
            f.truncate(HUGE)
        path.chmod(mode)
    else:
        path.write_bytes(seed)
        path.chmod({"read-only": 0o444}.get(case, mode))
        if case == "foreign-owner":
            os.chown(path, FOREIGN_UID, FOREIGN_UID)


PIPED: dict[int, bytes] = {}


def drain(fd: int) -> None:
    try:
        PIPED[fd] = os.read(fd, 1 << 20)
    except BlockingIOError:
        PIPED[fd] = b""


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under `root`, as lstat and contents see it (a huge file by its size and inode)."""
    seen = {}
    for p in sorted(root.rglob("*")):
        # Lock files, and aws-oidc's own (empty) cache directory, made when the cache is opened.
        if p.name.endswith(".lock") or p == root / "cache":
            continue
        st = p.lstat()
        kind = stat.S_IFMT(st.st_mode)
        if stat.S_ISREG(st.st_mode):
            body = (st.st_size, st.st_ino) if st.st_size > (1 << 20) else hashlib.sha256(p.read_bytes()).hexdigest()
        elif stat.S_ISLNK(st.st_mode):
            body = os.readlink(p)
        else:
            body = None
        seen[str(p.relative_to(root))] = (kind, stat.S_IMODE(st.st_mode), st.st_uid, body)
    return seen


# --- the driver ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", FILES)
def test_file_matrix(step, name, case):
    if case == "foreign-owner" and os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    expect, d = EXPECTED[name][case], DRIVERS[name]
    seed = d.seed
    if d.prime:
        primed = step.run(d.prime)
        assert primed.returncode == 0, primed.stderr
    path = d.path(step)
    if d.prime:
        seed = path.read_bytes()
        path.unlink()
    with ExitStack() as stack:
        place(stack, step, case, path, seed, d.mode)
        calls_before, before = step.calls(), snapshot(step.root)
        r = step.run(d.args(step))
    where = f"{name}/{case}: exit {r.returncode}\n{r.stderr}{r.stdout}"
    assert r.seconds < PROMPT, f"{where}\ntook {r.seconds:.1f} s"
    assert_no_secrets([r.stdout if name != "cache" else "", r.stderr], [SECRET, SESSION, ECR_PASSWORD,
                                                                       CODEARTIFACT_TOKEN, step.env["CIRCLE_OIDC_TOKEN_V2"]])  # fmt: skip
    if expect.outcome == REFUSED:
        assert r.returncode == 1, where
        assert str(path) in r.stderr + r.stdout, where
        assert expect.why in r.stderr + r.stdout, where
        assert step.calls() == calls_before, f"{where}\na service was called before the refusal"
        assert snapshot(step.root) == before, f"{where}\na file changed"
        return
    assert r.returncode == 0, where
    if expect.outcome == STREAMED:
        st = path.stat()
        assert stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode), where
        return
    if expect.outcome == SHARED:
        assert d.holds(path.read_bytes()) and path.read_bytes() == elsewhere(step, path).read_bytes(), where
        assert path.read_bytes().startswith(seed), where
        return
    if expect.outcome == UNUSED:
        assert "not caching" in r.stderr or "cache" in r.stderr, where
        assert path.is_dir() and (path / "kept").read_bytes() == b"kept\n", where
        return
    if expect.outcome == IGNORED:
        assert step.calls() > calls_before, f"{where}\nthe file was trusted"
        st = path.lstat()
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid(), where
        if case in ("symlink", "hard-link"):
            assert elsewhere(step, path).read_bytes() == seed, f"{where}\nwhat the link names changed"
        if case == "dangling":
            assert not elsewhere(step, path).exists(), f"{where}\nthe link's target was created"
        return
    # WRITTEN
    if name == "cache":
        assert step.calls() == calls_before, f"{where}\na fresh entry was not used"
        return
    if name == "ledger":
        assert not (step.home / ".aws/credentials").read_bytes().count(b"[ci]"), f"{where}\nnot taken back"
        return
    if case in ("symlink", "dangling"):
        assert path.is_symlink(), f"{where}\nthe link was replaced"
    if case == "hard-link":
        assert elsewhere(step, path).read_bytes() == seed, f"{where}\nthe other name changed"
        assert path.stat().st_nlink == 1, where
    got = path.read_bytes()
    assert d.holds(got), f"{where}\n{got[:500]!r}"
    if d.keeps_seed and case not in ("dangling", "huge"):
        assert (d.kept or seed) in got, f"{where}\nthe user's own lines were lost"
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == d.mode, f"{where}\nmode {stat.S_IMODE(st.st_mode):o}"
    if d.mode == 0o600:
        assert st.st_uid == os.geteuid(), f"{where}\nsecrets in a file another user owns"


if __name__ == "__main__":
    print(markdown(), end="")
