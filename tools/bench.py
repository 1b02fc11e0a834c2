"""make bench: time to AWS credentials, size and memory, against the AWS CLI
and the network floor.

Everything runs on 127.0.0.1: moto's STS server, over HTTP and over HTTPS (a
TLS front with a generated CA, from tests/support/loopback.py), and a mirror of the
release downloads (`v<version>/aws-oidc-<version>-<target>.tar.{zst,gz}`),
also behind TLS.  Each command is timed as a whole process, start to exit, in
interleaved rounds so that a busy moment of the machine hits every command
alike:

- `aws-oidc assume`: the job's token in the environment, exports appended to
  `$BASH_ENV`;
- the AWS CLI's `aws sts assume-role-with-web-identity`: the call
  `circleci/aws-cli`'s setup makes when the CLI is already installed (it
  then runs `aws configure set` several times more, not counted here);
- the floor: `curl` POSTing the same form, one request and nothing else;
- the orb's `setup` steps from the packed `dist/orb.yml` under bash, as
  CircleCI runs them: cold (download, checksum, unpack, assume) and warm
  (aws-oidc already in install_dir); cold once more on a PATH without zstd,
  where the install step takes the .tar.gz.  Where that time goes inside
  the one step is read from a few more runs, untimed, under bash's xtrace
  with a timestamp on each line (PHASES);
- kubectl's exec plugin for EKS (presigned locally, no network):
  `aws-oidc eks-token` cold (an empty token cache: sign) and cached (one
  file read), against the AWS CLI's `aws eks get-token`, which kubectl
  runs before every command when the kubeconfig came from
  `aws eks update-kubeconfig`;
- pushing to ECR: the orb's `setup` + `ecr_login` cold (moto's ECR behind
  the same TLS front), against the AWS CLI route circleci/aws-ecr takes
  with the CLI installed: `aws sts assume-role-with-web-identity`, then
  `aws ecr get-login-password` piped to the login.  Without a Docker
  daemon, `docker login` is played by a two-process stand-in that writes
  the same config.json entry (a lower bound for the real one).

Over HTTPS the three clients trust the loopback CA alone, so that the floor
loads nothing it does not need; `https+store` and the orb steps load the
system store as well, as in a job (the orb's install step names no CA file,
so its curl reads the hashed CA directory).  Peak RSS is measured in separate runs
under GNU time (`/usr/bin/time -f %M`), a step's figure covering what its
shell ran.  Sizes are those of the release archives in dist/ and of the
binary inside each.

Reading the figures: over HTTPS curl pays OpenSSL's start-up, and with the
system store OpenSSL's slow parsing of the whole bundle (`https+store`); the
orb's download spares itself the latter by looking the issuer up in the
hashed CA directory.

Targets are printed beside their figures.  A missed target is reported, not
fatal: this is a benchmark, not a test.  It exits non-zero only when a
command fails to get credentials at all.

    .venv/bin/python tools/bench.py [--rounds N] [--warmup N] [--memory-runs N] [--trace-runs N] [--budget SECONDS]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import importlib.metadata
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
VENV_BIN = Path(sys.executable).parent
# tests/support is the one place servers, certificates, tokens and orb steps
# are made; the benchmark uses them as they are.
sys.path.insert(0, str(TESTS))

from support.accounts import ACCOUNT_ID, TokenFactory  # noqa: E402
from support.certs import add_to_ca_dir  # noqa: E402
from support.loopback import LoopbackServer, TlsFront  # noqa: E402
from support.orb_runner import Runner, load_orb  # noqa: E402
from support.servers import running_moto  # noqa: E402
from support.steps import ARCHIVE_FORMATS as FORMATS  # noqa: E402
from support.steps import ALL_TARGETS  # noqa: E402
from support.steps import RELEASE_TARGETS as TARGETS  # noqa: E402
from support.steps import archive_name  # noqa: E402

# tools/size.py: the account of the x86_64 binary by section and by crate.
from size import account as size_account  # noqa: E402

REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/deploy"
SESSION = "bench"
#: Where Debian and Ubuntu images (cimg/*) keep the CA store: one bundle,
#: and a directory of single certificates that rustls-native-certs reads too.
SYSTEM_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
SYSTEM_CA_DIR = Path("/etc/ssl/certs")
PROCESS_TIMEOUT = 60.0
MB = 1_000_000

# The targets of issue 7.
ASSUME_VS_CURL_MAX = 1.10
CLI_VS_ASSUME_MIN = 10.0
# Issue 27's: the orb's cold setup (download, checksum, unpack, install,
# assume) within 60 ms.
SETUP_COLD_MAX_MS = 60.0
# Issue 27's: every feature in 3.4 MB (issue 7 asked 3.5 MB before ECR and EKS).
BINARY_MAX_MB = 3.4
ECR_MAX_KB = 250
EKS_MAX_KB = 250
#: The x86_64 CI build (what the orb installs) without ECR (every other
#: feature of it on), for what ECR costs; tools/bench.sh builds it with ECR_COST_BUILD.
NO_ECR_BINARY = REPO / "target/no-ecr/x86_64-unknown-linux-musl/release/aws-oidc"
ECR_COST_BUILD = ("cargo build --locked --release --target x86_64-unknown-linux-musl -p aws-oidc-cli "
                  "--no-default-features --features eks,secrets,codeartifact --target-dir target/no-ecr")
#: The same without EKS, for what EKS costs; built with EKS_COST_BUILD.
NO_EKS_BINARY = REPO / "target/no-eks/x86_64-unknown-linux-musl/release/aws-oidc"
EKS_COST_BUILD = ("cargo build --locked --release --target x86_64-unknown-linux-musl -p aws-oidc-cli "
                  "--no-default-features --features ecr,secrets,codeartifact --target-dir target/no-eks")
#: The x86_64 release build with its symbols, for the account by crate;
#: tools/bench.sh builds it (profile `symbols` in Cargo.toml).
SYMBOLS_BINARY = REPO / "target/x86_64-unknown-linux-musl/symbols/aws-oidc"
EKS_CLUSTER = "demo"
# Fixed fake keys: presigning needs no real ones, and no network.
EKS_KEYS = {"AWS_ACCESS_KEY_ID": "AKIABENCHEKS00000001", "AWS_SECRET_ACCESS_KEY": "bench/eks+secret/000000",
            "AWS_SESSION_TOKEN": "bench-eks-session"}  # fmt: skip
#: Issue 27 asks 1.5 MB of the .tar.zst, which the orb fetches on every
#: cimg image; the .tar.gz keeps issue 7's 1.8 MB.
ARCHIVE_MAX_MB = {"tar.zst": 1.5, "tar.gz": 1.8}
RSS_MAX_MB = 8.0


# -- running one process --------------------------------------------------------------

#: GNU time: the peak RSS of the one process it starts (and what that waited for).
GNU_TIME = Path("/usr/bin/time")


class CommandFailed(Exception):
    """A command under test did not get credentials: the figures would be meaningless."""


@dataclass
class Step:
    """One process of a case: what runs, with what environment, where."""

    argv: list[str]
    env: dict[str, str]
    cwd: Path


def execute(step: Step, log: Path, rss_file: Path | None = None) -> float:
    """Runs one process to its exit, output to `log`; returns its wall time.

    With `rss_file`, GNU time starts it and writes its peak RSS (KiB) there.
    Not `wait4` from here: a child forked from this Python inherits its high
    RSS mark, which exec keeps, so every figure would read as ours (~50 MB).
    The wait blocks: `subprocess.run(timeout=)` polls with growing sleeps,
    which rounds a 20 ms process up to 32 ms.  A timer bounds it instead.
    """
    argv = step.argv if rss_file is None else [str(GNU_TIME), "-f", "%M", "-o", str(rss_file), *step.argv]
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=step.env, cwd=step.cwd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=out, start_new_session=True)  # fmt: skip
        # Its own process group, so that a hung step's curl goes with its shell.
        timer = threading.Timer(PROCESS_TIMEOUT, _kill_group, (proc.pid,))
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
        elapsed = time.perf_counter() - start
    if elapsed >= PROCESS_TIMEOUT:
        raise CommandFailed(f"`{_name(step)}` did not finish in {PROCESS_TIMEOUT:.0f} s")
    if proc.returncode != 0:
        raise CommandFailed(f"`{_name(step)}` exited {proc.returncode}:\n{_tail(log)}")
    return elapsed


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def contains(path: Path, text: str) -> Callable[[Path], None]:
    """A check that the run left `text` in `path`: a command that exits 0
    without credentials must not count as fast."""

    def check(log: Path) -> None:
        if not path.is_file() or text not in path.read_text(errors="replace"):
            raise CommandFailed(f"exited 0 but left no {text} in {path.name}:\n{_tail(log)}")

    return check


def _name(step: Step) -> str:
    # Never the whole command line: the AWS CLI and curl get the token in it.
    return " ".join(Path(a).name if i == 0 else a for i, a in enumerate(step.argv[:2]))


def _tail(path: Path, lines: int = 20) -> str:
    if not path.is_file():
        return "(no output)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def printed(text: str) -> Callable[[Path], None]:
    """A check that the run printed `text` (its output is in its log)."""
    return lambda log: contains(log, text)(log)


# -- the loopback world --------------------------------------------------------------


class Mirror(LoopbackServer):
    """The release archives from dist/ on loopback HTTPS, laid out like the
    releases page, for the orb's install step."""

    def __init__(self, root: Path, version: str, archives: list[Path], cert: Path, key: Path) -> None:
        (root / f"v{version}").mkdir(parents=True)
        for archive in archives:
            shutil.copyfile(archive, root / f"v{version}" / archive.name)

        class Handler(http.server.SimpleHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # as tests/support/loopback.py's TlsFront: no 40 ms ACK wait

            def log_message(self, *args) -> None:
                pass

        super().__init__(functools.partial(Handler, directory=str(root)), tls=(cert, key))


class Loopback:
    """moto over HTTP and HTTPS, the release mirror over HTTPS, one CA bundle."""

    def __init__(self, work: Path, version: str, archives: list[Path]) -> None:
        self._servers = contextlib.ExitStack()
        try:
            self._start(work, version, archives)
        except BaseException:
            self.stop()
            raise

    def _start(self, work: Path, version: str, archives: list[Path]) -> None:
        self.sts_http = self._servers.enter_context(running_moto())
        (work / "sts-tls").mkdir()
        sts_front = TlsFront(self.sts_http, work / "sts-tls")
        self._servers.callback(sts_front.stop)
        self.sts_https = sts_front.url
        self.ca = sts_front.ca
        # The same certificate (127.0.0.1, from the front's CA) for the mirror:
        # two test CAs of one name in a bundle would confuse OpenSSL.
        mirror = Mirror(work / "releases", version, archives, sts_front.chain.server_chain, sts_front.chain.server_key)
        self._servers.callback(mirror.stop)
        self.mirror_https = mirror.url
        # What a job's HTTPS clients load: the system store, plus the test CA.
        # curl reads the bundle; aws-oidc, with neither variable set, reads the
        # bundle and the directory (openssl-probe's answer), so it gets both.
        ca_dir = add_to_ca_dir(work / "ca-dir", self.ca)
        bundle = work / "ca-bundle.pem"
        system = SYSTEM_CA_BUNDLE.read_bytes() if SYSTEM_CA_BUNDLE.is_file() else b""
        bundle.write_bytes(system + self.ca.read_bytes())
        self.store_env = {"CURL_CA_BUNDLE": str(bundle), "SSL_CERT_FILE": str(bundle)}
        # The orb's install step names no CA file, as in a job: its curl reads
        # the system's hashed CA directory, and the test CA's (hashed, as
        # update-ca-certificates would add it to /etc/ssl/certs).
        self.install_env = self.store_env
        if SYSTEM_CA_BUNDLE.is_file() and SYSTEM_CA_DIR.is_dir():
            self.store_env["SSL_CERT_FILE"] = str(SYSTEM_CA_BUNDLE)
            self.store_env["SSL_CERT_DIR"] = f"{SYSTEM_CA_DIR}:{ca_dir}"
            self.install_env = {"SSL_CERT_DIR": self.store_env["SSL_CERT_DIR"]}
        self.ca_count = bundle.read_bytes().count(b"BEGIN CERTIFICATE")

    def stop(self) -> None:
        self._servers.close()


# -- the commands under test --------------------------------------------------------


class Job:
    """A private HOME, $BASH_ENV and TMPDIR: the environment of a CircleCI step."""

    def __init__(self, root: Path, token: str) -> None:
        self.root = root
        self.home = root / "home"
        self.bash_env = root / "bash_env"
        self.tmp = root / "tmp"
        for d in (self.home, self.tmp):
            d.mkdir(parents=True)
        self.bash_env.touch()
        self.env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(self.home),
            "BASH_ENV": str(self.bash_env),
            "TMPDIR": str(self.tmp),
            "CIRCLECI": "true",
            "CIRCLE_JOB": "deploy",
            "CIRCLE_BUILD_NUM": "42",
            "CIRCLE_OIDC_TOKEN": token,
            "CIRCLE_OIDC_TOKEN_V2": token,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_DEFAULT_REGION": REGION,
        }

    def clear_exports(self) -> None:
        self.bash_env.write_bytes(b"")

    def clear_home(self) -> None:
        """Forgets what the last run left: exports, profiles, the installed binary."""
        self.clear_exports()
        shutil.rmtree(self.home)
        self.home.mkdir()


@dataclass
class Case:
    """A command timed in every round.  `reset` runs untimed before each run,
    `check` after it; the time is the sum of the steps' processes."""

    name: str
    transport: str
    steps: list[Step]
    reset: Callable[[], None]
    check: Callable[[Path], None]
    seconds: list[float] = field(default_factory=list)
    step_seconds: list[list[float]] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    #: Milliseconds by phase (PHASES) of each traced run.
    phase_ms: list[dict[str, float]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name}, {self.transport}"

    def run(self, logs: Path, tag: str, rss: bool = False) -> tuple[list[float], int | None]:
        """Each step's seconds, and the peak RSS (KiB) of them all with `rss`."""
        self.reset()
        times, peak, log = [], None, logs / f"{tag}.log"
        for i, step in enumerate(self.steps):
            log = logs / f"{tag}.{i}.log"
            rss_file = logs / f"{tag}.{i}.rss" if rss else None
            times.append(execute(step, log, rss_file))
            if rss_file is not None:
                peak = max(peak or 0, int(rss_file.read_text().split()[-1]))
        self.check(log)
        return times, peak


def assume_case(binary: Path, job: Job, endpoint: str, ca_file: Path | None, transport: str,
                trust: dict[str, str] | None = None) -> Case:  # fmt: skip
    env = {**job.env, "AWS_ENDPOINT_URL_STS": endpoint, **(trust or {})}
    if ca_file:
        env["SSL_CERT_FILE"] = str(ca_file)
    argv = [str(binary), "assume", "--role-arn", ROLE_ARN, "--region", REGION, "--session-name", SESSION]
    return Case("aws-oidc assume", transport, [Step(argv, env, job.root)], job.clear_exports,
                contains(job.bash_env, "AWS_SESSION_TOKEN"))  # fmt: skip


def cli_case(job: Job, token: str, endpoint: str, ca_file: Path | None, transport: str) -> Case:
    argv = [
        str(VENV_BIN / "aws"), "sts", "assume-role-with-web-identity",
        "--role-arn", ROLE_ARN, "--role-session-name", SESSION, "--web-identity-token", token,
        "--duration-seconds", "3600", "--endpoint-url", endpoint, "--region", REGION, "--output", "json",
    ]  # fmt: skip
    if ca_file:
        argv += ["--ca-bundle", str(ca_file)]
    env = {**job.env, "PATH": f"{VENV_BIN}:{job.env['PATH']}", "AWS_PAGER": ""}
    return Case("AWS CLI", transport, [Step(argv, env, job.root)], lambda: None, printed("SessionToken"))


def curl_case(job: Job, token: str, endpoint: str, ca_file: Path | None, transport: str,
              trust: dict[str, str] | None = None) -> Case:  # fmt: skip
    form = urllib.parse.urlencode(
        {
            "Action": "AssumeRoleWithWebIdentity",
            "Version": "2011-06-15",
            "RoleArn": ROLE_ARN,
            "RoleSessionName": SESSION,
            "WebIdentityToken": token,
            "DurationSeconds": "3600",
        }
    )
    argv = [shutil.which("curl") or "curl", "-sS", "--fail", "--data-binary", form, endpoint + "/"]
    if ca_file:
        argv[1:1] = ["--cacert", str(ca_file)]
    env = {**job.env, **(trust or {})}
    return Case("curl POST (floor)", transport, [Step(argv, env, job.root)], lambda: None, printed("SessionToken"))


#: The orb's setup step (it downloads aws-oidc, then assumes, in one run
#: step), which is given the store as a job has it (see Loopback).
INSTALL_STEP = "Set up AWS credentials"
#: The cases of the orb's setup alone, reported by step and by phase.
SETUP_CASES = ("orb setup, cold", "orb setup, warm", "orb setup, cold, no zstd")
#: CircleCI's default shell where bash is installed (every cimg image).
SETUP_SHELL = ["/bin/bash", "-eo", "pipefail"]


def job_steps(runner: Runner, config: dict, job: Job, loop: Loopback, env: dict) -> tuple[list, list[Step]]:
    """`config`'s one job expanded by the Runner into its run steps, and each
    as a timed Step: a script run by the step's shell with the step's
    environment, and the loopback's CA settings (`install_env` for the
    install step, `store_env` for the others)."""
    run_steps, job_env = runner.expand_job(config)
    (job.root / "steps").mkdir()
    (job.root / "project").mkdir()
    steps = []
    for i, run_step in enumerate(run_steps):
        script = job.root / "steps" / f"{i:02d}.sh"
        script.write_text(run_step.command)
        shell = list(run_step.shell or SETUP_SHELL)
        shell[0] = shutil.which(shell[0]) or shell[0]
        trust = loop.install_env if run_step.name.startswith(INSTALL_STEP) else loop.store_env
        steps.append(Step([*shell, str(script)], {**env, **trust, **job_env, **run_step.environment},
                          job.root / "project"))  # fmt: skip
    return run_steps, steps


def with_aws_cli(job: Job, path: str) -> str:
    """`path` with an `aws` first, as on an image that has the AWS CLI (such
    as cimg/aws): setup then finds it and installs none. It is the venv's."""
    bin_dir = job.root / "aws-cli-bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "aws").exists():
        (bin_dir / "aws").symlink_to(VENV_BIN / "aws")
    return f"{bin_dir}:{path}"


def setup_case(orb: dict, job: Job, loop: Loopback, *, cold: bool, path: str | None = None) -> Case:
    """The packed orb's `setup` (install, then assume, one step) as CircleCI runs it:
    each step a bash script with the step's environment, $BASH_ENV read by
    bash itself.  Expanded by the test harness's Runner; only the steps'
    processes are timed.  HTTPS clients load the system store and the
    loopback CA, as in a job.  `path`: another PATH (one without zstd)."""
    env = {**job.env, "AWS_ENDPOINT_URL_STS": loop.sts_https, "AWS_PAGER": ""}
    if path:
        env["PATH"] = path
    env["PATH"] = with_aws_cli(job, env["PATH"])
    runner = Runner(orb, env, job.root / "project", orb_defaults={"download_url": loop.mirror_https})
    config = {
        "version": 2.1,
        "orbs": {"aws-oidc": "aws-oidc/aws-oidc@0.1"},
        "jobs": {"deploy": {"docker": [{"image": "cimg/base:current"}], "steps": [
            {"aws-oidc/setup": {"role_arn": ROLE_ARN, "region": REGION, "role_session_name": SESSION}},
        ]}},
    }  # fmt: skip
    run_steps, steps = job_steps(runner, config, job, loop, env)
    if not any(run_step.name.startswith(INSTALL_STEP) for run_step in run_steps):
        raise CommandFailed(f"the orb's setup has no step named {INSTALL_STEP!r}: update the benchmark")
    exported = contains(job.bash_env, "AWS_SESSION_TOKEN")
    profile = contains(job.home / ".aws/credentials", "aws_session_token")

    fmt = "tar.zst" if shutil.which("zstd", path=env["PATH"]) else "tar.gz"

    def check(log: Path) -> None:
        exported(log)
        profile(log)
        installed = job.home / ".local/bin/aws-oidc"
        if not installed.is_file():
            raise CommandFailed(f"setup left no aws-oidc in {installed.parent.name}:\n{_tail(log)}")
        install_log = log.with_name(log.name.rsplit(".", 2)[0] + ".0.log")  # <tag>.<step>.log
        if cold and f".{fmt}" not in install_log.read_text():
            raise CommandFailed(f"the install step did not download the .{fmt}:\n{_tail(install_log)}")
        if "did not verify" in install_log.read_text():
            raise CommandFailed(f"the install step's curl fell back to its CA bundle:\n{_tail(install_log)}")

    name = f"orb setup, {'cold' if cold else 'warm'}" + (", no zstd" if path else "")
    case = Case(name, "https", steps, job.clear_home if cold else job.clear_exports, check)
    if not cold:
        # Installed once, as by a first setup in the job or a restored cache.
        case.run(job.root, "install")
    return case


#: Where the orb's setup step spends its time, read from bash's xtrace: each
#: phase starts at the first command the step's own shell traces that
#: matches (in this order; a phase the run never reaches, such as a warm
#: run's download, is left out), and the assume ends at the next command it
#: traces. Before the first: bash's start-up, the parameters and the checks.
#: Each line names the process that traced it: background jobs and `$(...)`
#: are subshells, not the step's own shell.
PHASES: tuple[tuple[str, re.Pattern], ...] = (
    ("download", re.compile(r"downloader https?://")),
    ("checksum and unpack", re.compile(r"verify_and_unpack$")),
    ("install", re.compile(r"chmod ")),
    ("assume", re.compile(r"\S*/aws-oidc(\.exe)? assume( |$)")),
)
FIRST_PHASE = "start and checks"
AFTER_PHASE = "after the assume"
#: Put before the step's script in a traced run: every command, with bash's
#: clock (bash 5+), to a file of its own (the step's own output is untouched).
TRACE_PROLOGUE = """exec 9>'{trace}'
BASH_XTRACEFD=9
PS4='+${{EPOCHREALTIME}} ${{BASHPID}} '
set -x
"""


def traced_phases(case: Case, logs: Path, tag: str) -> dict[str, float] | None:
    """One more run of a setup case, its setup step traced: milliseconds by
    phase (PHASES), or None where no phase was recognised."""
    case.reset()
    phases = None
    for i, step in enumerate(case.steps):
        if _step_name(step) != "setup":
            execute(step, logs / f"{tag}.{i}.log")
            continue
        script, trace = Path(step.argv[-1]), logs / f"{tag}.{i}.trace"
        traced = logs / f"{tag}.{i}.sh"
        traced.write_text(TRACE_PROLOGUE.format(trace=trace) + script.read_text())
        started = time.time()
        execute(Step([*step.argv[:-1], str(traced)], step.env, step.cwd), logs / f"{tag}.{i}.log")
        phases = split_phases(trace.read_text(errors="replace"), started, time.time())
    return phases


def split_phases(trace: str, started: float, ended: float) -> dict[str, float] | None:
    """Milliseconds by phase from an xtrace whose lines start `+<EPOCHREALTIME> <BASHPID> `."""
    lines = [(float(m[1]), m[2], m[3]) for m in re.finditer(r"^\++(\d+\.\d+) (\d+) (.*)$", trace, re.MULTILINE)]
    shell = lines[0][1] if lines else None
    bounds, pending = [(FIRST_PHASE, started)], list(PHASES)
    for at, pid, cmd in lines:
        if pid != shell:
            continue
        if bounds[-1][0] == "assume":
            bounds.append((AFTER_PHASE, at))
            break
        for j, (name, starts) in enumerate(pending):
            if starts.match(cmd):
                bounds.append((name, at))
                del pending[: j + 1]
                break
    if len(bounds) == 1:
        return None
    ends = [at for _, at in bounds[1:]] + [ended]
    return {name: (end - at) * 1000 for (name, at), end in zip(bounds, ends)}


#: The registry ecr_login logs in to (moto's default account).
ECR_HOST = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com"


def ecr_setup_case(orb: dict, job: Job, loop: Loopback) -> Case:
    """The orb's `setup` then `ecr_login`, cold, as CircleCI runs them."""
    env = {**job.env, "AWS_ENDPOINT_URL_STS": loop.sts_https, "AWS_ENDPOINT_URL_ECR": loop.sts_https,
           "AWS_PAGER": ""}  # fmt: skip
    env["PATH"] = with_aws_cli(job, env["PATH"])
    runner = Runner(orb, env, job.root / "project", orb_defaults={"download_url": loop.mirror_https})
    config = {
        "version": 2.1,
        "orbs": {"aws-oidc": "aws-oidc/aws-oidc@0.1"},
        "jobs": {"deploy": {"docker": [{"image": "cimg/base:current"}], "steps": [
            {"aws-oidc/setup": {"role_arn": ROLE_ARN, "region": REGION, "role_session_name": SESSION}},
            {"aws-oidc/ecr_login": {"registries": ACCOUNT_ID}},
        ]}},
    }  # fmt: skip
    run_steps, steps = job_steps(runner, config, job, loop, env)
    return Case("orb setup + ecr_login, cold", "https", steps, job.clear_home,
                contains(job.home / ".docker/config.json", ECR_HOST))  # fmt: skip


#: What `docker login --password-stdin HOST` leaves, without a daemon: one auths entry.
DOCKER_LOGIN_STAND_IN = r"""#!/bin/sh
set -eu
mkdir -p "$HOME/.docker"
auth=$(printf 'AWS:%s' "$(cat)" | base64 -w0)
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$5" "$auth" >"$HOME/.docker/config.json"
"""

#: circleci/aws-ecr's route with the CLI installed: assume, then the login.
CLI_ROUTE = r"""creds=$(aws sts assume-role-with-web-identity --role-arn "$ROLE_ARN" --role-session-name bench \
  --web-identity-token "$CIRCLE_OIDC_TOKEN_V2" --endpoint-url "$STS" --region "$AWS_DEFAULT_REGION" \
  --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
read -r AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN <<EOF
$creds
EOF
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
aws ecr get-login-password --region "$AWS_DEFAULT_REGION" --endpoint-url "$STS" |
  docker login --username AWS --password-stdin "$HOST"
"""


def eks_token_case(binary: Path, job: Job, *, cached: bool) -> Case:
    """`aws-oidc eks-token` with keys in the environment: cold (the cache
    emptied before each run) or cached (a token signed once, then read)."""
    cache = job.root / "token-cache"
    env = {**job.env, **EKS_KEYS, "AWS_OIDC_CACHE_DIR": str(cache)}
    argv = [str(binary), "eks-token", "--cluster-name", EKS_CLUSTER, "--region", REGION]

    def reset() -> None:
        if not cached:
            shutil.rmtree(cache, ignore_errors=True)

    if cached:
        subprocess.run(argv, env=env, cwd=job.root, capture_output=True, check=True, timeout=60)
    return Case(f"aws-oidc eks-token, {'cached' if cached else 'cold'}", "local", [Step(argv, env, job.root)],
                reset, printed("k8s-aws-v1."))  # fmt: skip


def eks_cli_case(job: Job) -> Case:
    """`aws eks get-token` with the same keys: what kubectl runs per command after `aws eks update-kubeconfig`."""
    argv = [str(VENV_BIN / "aws"), "eks", "get-token", "--cluster-name", EKS_CLUSTER, "--region", REGION]
    env = {**job.env, **EKS_KEYS, "PATH": f"{VENV_BIN}:{job.env['PATH']}", "AWS_PAGER": ""}
    return Case("aws eks get-token", "local", [Step(argv, env, job.root)], lambda: None, printed("k8s-aws-v1."))


def ecr_cli_case(job: Job, loop: Loopback) -> Case:
    """The AWS CLI route (CLI installed): assume, then get-login-password piped to the login."""
    stand_in = job.root / "login-bin" / "docker"
    stand_in.parent.mkdir(parents=True)
    stand_in.write_text(DOCKER_LOGIN_STAND_IN)
    stand_in.chmod(0o755)
    script = job.root / "cli-route.sh"
    script.write_text(CLI_ROUTE)
    env = {**job.env, **loop.store_env, "PATH": f"{stand_in.parent}:{VENV_BIN}:{job.env['PATH']}",
           "AWS_PAGER": "", "AWS_CA_BUNDLE": str(loop.ca), "STS": loop.sts_https, "ROLE_ARN": ROLE_ARN,
           "HOST": ECR_HOST}  # fmt: skip
    step = Step([shutil.which("bash") or "bash", "-eo", "pipefail", str(script)], env, job.root)
    return Case("AWS CLI route to ECR", "https", [step], job.clear_home,
                contains(job.home / ".docker/config.json", ECR_HOST))  # fmt: skip


def path_without(tool: str, work: Path) -> str:
    """A PATH like a job's (/usr/local/bin:/usr/bin:/bin) on which `tool`
    is missing: one directory of links to everything else."""
    bin_dir = work / f"path-without-{tool}"
    bin_dir.mkdir()
    for d in ("/usr/local/bin", "/usr/bin", "/bin"):
        for entry in sorted(Path(d).iterdir()) if Path(d).is_dir() else []:
            link = bin_dir / entry.name
            if entry.name != tool and not link.exists() and not link.is_symlink():
                link.symlink_to(entry)
    return str(bin_dir)


# -- statistics and report ----------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def mb(size: float) -> str:
    return f"{size / MB:.2f} MB"


class Report:
    """Prints figures with their targets and keeps the misses for the summary."""

    def __init__(self) -> None:
        self.misses: list[str] = []
        self.checked = 0

    def target(self, figure: str, rule: str, ok: bool, what: str) -> None:
        self.checked += 1
        if not ok:
            self.misses.append(what)
        print(f"{figure:<46} target {rule:<10} {'PASS' if ok else 'MISS'}")


def median(case: Case) -> float:
    return statistics.median(case.seconds)


def peak_rss(case: Case) -> float | None:
    return max(case.rss_kb) * 1024 / MB if case.rss_kb else None


def spread(values: list[float]) -> str:
    q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (values[0],) * 3
    return f"{ms(statistics.median(values))}{ms(min(values))}{ms(max(values))}{ms(q3 - q1)}"


# -- sizes ------------------------------------------------------------------------


def sizes(dist: Path, version: str) -> dict[str, tuple[int, dict[str, int]] | None]:
    """(binary, {format: archive bytes}) per release target: the archives in
    dist/, and the binary inside them (what a job downloads and runs)."""
    out = {}
    for target in ALL_TARGETS:
        archives = {f: dist / archive_name(version, target, f) for f in FORMATS}
        if not all(a.is_file() for a in archives.values()):
            out[target] = None
            continue
        with tarfile.open(archives["tar.gz"]) as tar:
            binary = tar.getmembers()[0].size
        out[target] = (binary, {f: os.stat(a).st_size for f, a in archives.items()})
    return out


# -- main -------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15, at most 200)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    parser.add_argument("--memory-runs", type=int, default=3, help="runs under GNU time per command (default 3)")
    parser.add_argument("--trace-runs", type=int, default=5,
                        help="traced runs of each orb setup case, for its time by phase (default 5)")
    parser.add_argument("--budget", type=float, default=600, help="stop starting rounds after this many seconds")
    args = parser.parse_args()
    args.rounds = max(1, min(args.rounds, 200))
    args.warmup = max(0, min(args.warmup, 20))
    args.memory_runs = max(0, min(args.memory_runs, 20))
    args.trace_runs = max(0, min(args.trace_runs, 50))

    dist = Path(os.environ.get("AWS_OIDC_DIST", REPO / "dist"))
    orb_path = dist / "orb.yml"
    binary = Path(os.environ.get("AWS_OIDC_BIN", REPO / "target/x86_64-unknown-linux-musl/release/aws-oidc"))
    for path, make in ((binary, "make build"), (orb_path, "make orb")):
        if not path.is_file():
            print(f"bench: {path} does not exist: run `{make}` first (or `make bench`)", file=sys.stderr)
            return 1
    orb = load_orb(orb_path)
    version = orb["commands"]["install_aws_oidc"]["parameters"]["version"]["default"]
    target = TARGETS.get(platform.machine())
    if target is None or not all((dist / archive_name(version, target, f)).is_file() for f in FORMATS):
        print(f"bench: no aws-oidc {version} archive for {platform.machine()} in dist/: run `make build`",
              file=sys.stderr)  # fmt: skip
        return 1

    token = TokenFactory().mint()
    with tempfile.TemporaryDirectory(prefix="aws-oidc-bench-") as tmp:
        work = Path(tmp)
        archives = sorted(p for f in FORMATS for p in dist.glob(f"aws-oidc-{version}-*.{f}"))
        loop = Loopback(work, version, archives)
        try:
            cases = make_cases(work, loop, binary, orb, token)
            rounds = time_rounds(cases, work / "logs", args)
            if args.memory_runs and GNU_TIME.is_file():
                for k, case in enumerate(cases):
                    for i in range(args.memory_runs):
                        case.rss_kb.append(case.run(work / "logs", f"rss-{k:02d}-{i}", rss=True)[1])
            for k, case in enumerate(cases):
                if case.name in SETUP_CASES:
                    for i in range(args.trace_runs):
                        phases = traced_phases(case, work / "logs", f"trace-{k:02d}-{i}")
                        if phases:
                            case.phase_ms.append(phases)
        except CommandFailed as e:
            print(f"bench: a command under test failed, no figures:\n{e}", file=sys.stderr)
            return 1
        finally:
            loop.stop()
        report(cases, rounds, args, loop.ca_count, dist, version)
    return 0


def make_cases(work: Path, loop: Loopback, binary: Path, orb: dict, token: str) -> list[Case]:
    def job(name: str) -> Job:
        return Job(work / name, token)

    cases = []
    # The comparison proper: each client trusts the loopback CA alone, as
    # curl's floor should load nothing it does not need.
    for transport, endpoint, ca in (("http", loop.sts_http, None), ("https", loop.sts_https, loop.ca)):
        cases += [
            curl_case(job(f"curl-{transport}"), token, endpoint, ca, transport),
            assume_case(binary, job(f"assume-{transport}"), endpoint, ca, transport),
            cli_case(job(f"cli-{transport}"), token, endpoint, ca, transport),
        ]
    # What a job pays on top: the whole system store to load.
    cases.append(curl_case(job("curl-store"), token, loop.sts_https, None, "https+store", loop.store_env))
    cases.append(assume_case(binary, job("assume-store"), loop.sts_https, None, "https+store", loop.store_env))
    cases.append(setup_case(orb, job("setup-cold"), loop, cold=True))
    cases.append(setup_case(orb, job("setup-warm"), loop, cold=False))
    # Images without zstd (Alpine, slim ones) take the .tar.gz.
    cases.append(setup_case(orb, job("setup-cold-gz"), loop, cold=True, path=path_without("zstd", work)))
    cases.append(ecr_setup_case(orb, job("ecr-setup-cold"), loop))
    cases.append(ecr_cli_case(job("ecr-cli"), loop))
    # kubectl's exec plugin, once per kubectl command.
    cases.append(eks_token_case(binary, job("eks-token-cold"), cached=False))
    cases.append(eks_token_case(binary, job("eks-token-cached"), cached=True))
    cases.append(eks_cli_case(job("eks-cli")))
    (work / "logs").mkdir()
    return cases


def time_rounds(cases: list[Case], logs: Path, args) -> int:
    """Round-robin, the first command rotating each round so that none always
    follows the same neighbour; returns the number of timed rounds."""
    started = time.monotonic()
    timed = 0
    for r in range(args.warmup + args.rounds):
        if time.monotonic() - started > args.budget:
            print(f"(time budget of {args.budget:.0f} s spent: {timed} timed rounds instead of {args.rounds})")
            break
        for i in range(len(cases)):
            k = (i + r) % len(cases)
            times, _ = cases[k].run(logs, f"{r:03d}-{k:02d}")
            if r >= args.warmup:
                cases[k].seconds.append(sum(times))
                cases[k].step_seconds.append(times)
        timed += r >= args.warmup
    if not timed:
        raise CommandFailed("no timed round fitted in the budget: raise --budget")
    return timed


def report(cases: list[Case], rounds: int, args, ca_count: int, dist: Path, version: str) -> None:
    by = {(c.name, c.transport): c for c in cases}
    out = Report()
    print(
        f"aws-oidc {version}, `make bench`: {rounds} rounds after {args.warmup} warm-up, interleaved, "
        f"127.0.0.1 only; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; moto "
        f"{importlib.metadata.version('moto')}, awscli {importlib.metadata.version('awscli')}, "
        f"{_first_line(['curl', '--version'])}"
    )
    print(f"https: each client trusts the loopback CA alone; https+store and orb setup: the system store "
          f"too ({ca_count} certificates), as in a job")  # fmt: skip
    print()
    print(f"{'time to credentials (whole processes)':<40}{'median':>10}{'min':>10}{'max':>10}{'IQR':>10}  peak RSS")
    for case in cases:
        rss = peak_rss(case)
        print(f"  {case.label:<38}{spread(case.seconds)}  {f'{rss:5.1f} MB' if rss is not None else 'n/a'}")
    print()

    print("ratios of medians")
    for transport in ("http", "https", "https+store"):
        ratio = median(by[("aws-oidc assume", transport)]) / median(by[("curl POST (floor)", transport)])
        figure = f"  assume / curl, {transport}: {ratio:.2f}x"
        if transport == "https":
            out.target(figure, f"<= {ASSUME_VS_CURL_MAX:.1f}x", ratio <= ASSUME_VS_CURL_MAX,
                       "assume within 1.1x of curl over HTTPS")  # fmt: skip
        else:
            print(figure)
    for transport in ("http", "https"):
        ratio = median(by[("AWS CLI", transport)]) / median(by[("aws-oidc assume", transport)])
        out.target(f"  AWS CLI / assume, {transport}: {ratio:.1f}x", f">= {CLI_VS_ASSUME_MIN:.0f}x",
                   ratio >= CLI_VS_ASSUME_MIN, f"10x faster than the AWS CLI over {transport}")  # fmt: skip
    cold, warm = median(by[("orb setup, cold", "https")]), median(by[("orb setup, warm", "https")])
    out.target(f"  orb setup, cold: {cold * 1000:.0f} ms", f"<= {SETUP_COLD_MAX_MS:.0f} ms",
               cold * 1000 <= SETUP_COLD_MAX_MS, f"orb setup cold within {SETUP_COLD_MAX_MS:.0f} ms")  # fmt: skip
    print(f"  orb setup, warm: {warm * 1000:.0f} ms")
    print(f"  orb setup, cold, no zstd (.tar.gz): {median(by[('orb setup, cold, no zstd', 'https')]) * 1000:.0f} ms")
    ecr, ecr_cli = median(by[("orb setup + ecr_login, cold", "https")]), median(by[("AWS CLI route to ECR", "https")])
    print(f"  ECR login: orb setup + ecr_login, cold: {ecr * 1000:.0f} ms; AWS CLI route (assume, "
          f"get-login-password | login, CLI installed): {ecr_cli * 1000:.0f} ms: {ecr_cli / ecr:.1f}x")  # fmt: skip
    eks_cli = median(by[("aws eks get-token", "local")])
    eks_cold, eks_cached = (median(by[(f"aws-oidc eks-token, {s}", "local")]) for s in ("cold", "cached"))
    print(f"  EKS token per kubectl command: aws-oidc eks-token cold {eks_cold * 1000:.1f} ms, cached "
          f"{eks_cached * 1000:.1f} ms; aws eks get-token {eks_cli * 1000:.0f} ms: {eks_cli / eks_cold:.0f}x "
          f"cold, {eks_cli / eks_cached:.0f}x cached")  # fmt: skip
    for name in SETUP_CASES:
        case = by[(name, "https")]
        parts = zip(case.steps, zip(*case.step_seconds))
        print(f"    {name}, medians by step: " + ", ".join(
            f"{_step_name(step)} {statistics.median(times) * 1000:.0f} ms" for step, times in parts))  # fmt: skip
        print(f"      {_phase_line(case, args.trace_runs)}")
    print()

    print("size (dist/ archives, and the binary in each)")
    found = sizes(dist, version)
    for arch, got in found.items():
        if got is None:
            print(f"  {arch}: not built (run make dist)")
            continue
        binary, archives = got
        if arch == "x86_64-unknown-linux-musl":
            out.target(f"  {arch} binary:  {mb(binary)} ({binary:,} B)", f"< {BINARY_MAX_MB} MB",
                       binary < BINARY_MAX_MB * MB, f"x86_64 binary under {BINARY_MAX_MB} MB")  # fmt: skip
            for f, size in archives.items():
                out.target(f"  {arch} .{f}: {mb(size)} ({size:,} B)", f"< {ARCHIVE_MAX_MB[f]} MB",
                           size < ARCHIVE_MAX_MB[f] * MB, f"x86_64 .{f} under {ARCHIVE_MAX_MB[f]} MB")  # fmt: skip
        else:
            print(f"  {arch} binary:  {mb(binary)} ({binary:,} B)")
            for f, size in archives.items():
                print(f"  {arch} .{f}: {mb(size)} ({size:,} B)")
    x86 = found.get("x86_64-unknown-linux-musl")
    if x86 and NO_ECR_BINARY.is_file():
        without = NO_ECR_BINARY.stat().st_size
        cost = x86[0] - without
        out.target(f"  what ECR costs (ecr-login, the credential helper, the ECR and ECR Public calls): "
                   f"{cost / 1000:.0f} KB ({without:,} B without)", f"<= {ECR_MAX_KB} KB",
                   cost <= ECR_MAX_KB * 1000, "ECR within 250 KB")  # fmt: skip
    elif x86:
        print(f"  what ECR costs: not measured (no {NO_ECR_BINARY.relative_to(REPO)}; `make bench` builds "
              f"it: {ECR_COST_BUILD})")  # fmt: skip
    if x86 and NO_EKS_BINARY.is_file():
        without = NO_EKS_BINARY.stat().st_size
        cost = x86[0] - without
        out.target(f"  what EKS costs (eks-token, eks-kubeconfig, DescribeCluster, the YAML reader and writer): "
                   f"{cost / 1000:.0f} KB ({without:,} B without)", f"<= {EKS_MAX_KB} KB",
                   cost <= EKS_MAX_KB * 1000, "EKS within 250 KB")  # fmt: skip
    elif x86:
        print(f"  what EKS costs: not measured (no {NO_EKS_BINARY.relative_to(REPO)}; `make bench` builds "
              f"it: {EKS_COST_BUILD})")  # fmt: skip
    full = dist / f"aws-oidc-full-{version}-x86_64-unknown-linux-musl.tar.gz"
    if x86 and full.is_file():
        with tarfile.open(full) as tar:
            cost = tar.getmembers()[0].size - x86[0]
        print(f"  what the setup-time tools cost (trust-policy, migrate-config, thumbprint; in "
              f"{full.name[: -len('.tar.gz')]} only, not in what jobs download): {cost / 1000:.0f} KB")
    if x86:
        # The binary the archive holds, so the account is of what ships.
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(
            dist / archive_name(version, "x86_64-unknown-linux-musl", "tar.gz")
        ) as tar:
            tar.extractall(tmp, filter="data")
            member = tar.getmembers()[0].name
            print("  where the x86_64 binary's bytes go (tools/size.py):")
            print("\n".join(size_account(Path(tmp) / member, SYMBOLS_BINARY, indent="    ")))
    print()

    print(f"memory (peak RSS under GNU time, the largest of {args.memory_runs} runs)")
    for case in cases:
        rss = peak_rss(case)
        if case.name != "aws-oidc assume":
            continue
        if rss is None:
            print(f"  {case.label}: not measured (needs GNU time: apt-get install time)")
            continue
        out.target(f"  {case.label}: {rss:.1f} MB", f"< {RSS_MAX_MB:.0f} MB", rss < RSS_MAX_MB,
                   f"assume peak RSS under 8 MB ({case.transport})")  # fmt: skip
    print()

    rss = peak_rss(by[("aws-oidc assume", "https")])
    print(
        f"figures: assume {median(by[('aws-oidc assume', 'https')]) * 1000:.0f} ms over HTTPS "
        f"(curl {median(by[('curl POST (floor)', 'https')]) * 1000:.0f} ms, "
        f"AWS CLI {median(by[('AWS CLI', 'https')]) * 1000:.0f} ms); "
        f"orb setup {cold * 1000:.0f} ms cold, {warm * 1000:.0f} ms warm; "
        f"x86_64 binary {mb(x86[0]) if x86 else '?'}, archive "
        f"{' / '.join(f'{mb(n)} .{f}' for f, n in x86[1].items()) if x86 else '?'}; "
        f"peak RSS {f'{rss:.1f} MB' if rss is not None else '?'}"
    )
    if out.misses:
        print(f"summary: {len(out.misses)} of {out.checked} targets missed: {'; '.join(out.misses)}")
    else:
        print(f"summary: all {out.checked} targets met")


def _phase_line(case: Case, runs: int) -> str:
    """The setup step's medians by phase, from the traced runs."""
    if not case.phase_ms:
        return "by phase: not measured" + (" (no phase recognised: update PHASES)" if runs else " (--trace-runs 0)")
    names = [n for n in (FIRST_PHASE, *(p for p, _ in PHASES), AFTER_PHASE) if n in case.phase_ms[0]]
    medians = {n: statistics.median(r.get(n, 0.0) for r in case.phase_ms) for n in names}
    total = statistics.median(sum(r.values()) for r in case.phase_ms)
    return (f"by phase (medians of {len(case.phase_ms)} traced runs, {total:.0f} ms in all with the tracing): "
            + ", ".join(f"{n} {ms:.1f} ms" for n, ms in medians.items()))


def _step_name(step: Step) -> str:
    """`install` or `setup`, from the orb script the step runs."""
    text = Path(step.argv[-1]).read_text()
    for name in ("install", "setup", "ecr_login"):
        if f"aws-oidc/{name}" in text:
            return name
    return "step"


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
    except OSError:
        return f"{argv[0]} not found"
    return " ".join(out.split()[:2])


if __name__ == "__main__":
    sys.exit(main())
