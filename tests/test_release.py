"""The release users download in every job: each target's archives in
`dist/` (the same tar as .tar.zst and .tar.gz), the `SHA256SUMS` beside
them, and the packed orb that pins them.

`make dist` (part of `make test`) builds them.  AWS_OIDC_TARGETS names the
targets under test (the Makefile's TARGETS: both release targets; a CI
build job sets its own) and AWS_OIDC_DIST where they are.  A Linux binary
for another architecture runs under qemu user-mode emulation, so the arm64
build is never shipped untested; the Windows exe runs under Wine
(tests/test_windows.py).  The macOS binaries cannot run here: their Mach-O
headers are read instead (CPU, oldest macOS, the only libraries they load),
as are the Windows exe's imports (system DLLs only).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import struct
import subprocess
import tarfile
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml

from support.accounts import ROLE
from support.steps import ARCHIVE_FORMATS as FORMATS
from support.steps import ALL_TARGETS, archive_name, pinned_sums, run_aws, run_aws_oidc

REPO = Path(__file__).resolve().parent.parent
DIST = Path(os.environ.get("AWS_OIDC_DIST", REPO / "dist"))
TARGETS = tuple(os.environ.get("AWS_OIDC_TARGETS", " ".join(ALL_TARGETS)).split())
# ELF e_machine of each target's CPU.
ELF_MACHINE = {"x86_64": 62, "aarch64": 183}
#: The oldest macOS the macOS builds run on (tools/dist.sh's macos_min).
MACOS_MIN = "11.0"
#: What a macOS build may load: the C library and the frameworks that hold
#: the keychain's CAs, all part of every macOS.
MACOS_LIBRARIES = {
    "/usr/lib/libSystem.B.dylib",
    "/usr/lib/libiconv.2.dylib",
    "/usr/lib/libcharset.1.dylib",
    "/System/Library/Frameworks/Security.framework/Versions/A/Security",
    "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
}
#: DLLs every Windows 10 and later has; nothing from mingw (libgcc, winpthread).
WINDOWS_DLLS = {
    "kernel32.dll", "ntdll.dll", "advapi32.dll", "bcrypt.dll", "bcryptprimitives.dll", "crypt32.dll",
    "ws2_32.dll", "userenv.dll", "msvcrt.dll", "secur32.dll", "ncrypt.dll", "shell32.dll", "ole32.dll",
    "oleaut32.dll", "user32.dll", "iphlpapi.dll",
}


def exe_name(target: str) -> str:
    """The binary's name in `target`'s archive."""
    return "aws-oidc.exe" if "-windows-" in target else "aws-oidc"


def objdump(data: bytes, tmp_path: Path, *args: str) -> str:
    """llvm-objdump's report on a binary this machine cannot run."""
    if shutil.which("llvm-objdump") is None:
        pytest.fail("llvm-objdump is not installed: `make tools` installs it (Debian/Ubuntu package llvm)")
    path = tmp_path / "binary"
    path.write_bytes(data)
    return subprocess.run(["llvm-objdump", *args, str(path)], capture_output=True, text=True, check=True).stdout


def check_macho(data: bytes, target: str, tmp_path: Path) -> None:
    headers = objdump(data, tmp_path, "--macho", "--private-headers")
    cpu = {"aarch64": "ARM64", "x86_64": "X86_64"}[target.split("-")[0]]
    assert f" {cpu} " in headers.split("Load command")[0], f"built for the wrong CPU:\n{headers[:400]}"
    assert " EXECUTE " in headers.split("Load command")[0], "not an executable"
    commands = headers.split("Load command")[1:]
    build = [c for c in commands if "cmd LC_BUILD_VERSION" in c]
    assert build and f"minos {MACOS_MIN}" in build[0], f"not stamped for macOS {MACOS_MIN}: {build}"
    loaded = {line.split()[1] for c in commands if "cmd LC_LOAD_DYLIB" in c
              for line in c.splitlines() if line.strip().startswith("name ")}
    assert "/usr/lib/libSystem.B.dylib" in loaded
    assert loaded <= MACOS_LIBRARIES, f"loads what a Mac may not have: {loaded - MACOS_LIBRARIES}"


def check_pe(data: bytes, tmp_path: Path) -> None:
    headers = objdump(data, tmp_path, "--private-headers")
    assert "file format coff-x86-64" in objdump(data, tmp_path, "-f"), "not an x86_64 PE file"
    assert "Subsystem\t\t00000003" in headers or "(Windows CUI)" in headers, "not a console program"
    dlls = {line.split(":", 1)[1].strip().lower() for line in headers.splitlines()
            if line.strip().startswith("DLL Name:")}
    assert "kernel32.dll" in dlls
    others = {d for d in dlls if d not in WINDOWS_DLLS and not d.startswith("api-ms-win-")}
    assert not others, f"imports DLLs Windows does not ship: {others}"


def workspace_version() -> str:
    """The one place the version lives: `[workspace.package]` in Cargo.toml."""
    with open(REPO / "Cargo.toml", "rb") as f:
        return tomllib.load(f)["workspace"]["package"]["version"]


VERSION = workspace_version()


def archive_path(target: str, fmt: str = "tar.gz") -> Path:
    path = DIST / archive_name(VERSION, target, fmt)
    if not path.is_file():
        pytest.fail(f"{path} does not exist: run `make dist` first (or `make test`)")
    return path


def open_archive(path: Path) -> tarfile.TarFile:
    """The tar inside a .tar.gz, or a .tar.zst unpacked by the zstd CLI (as the orb does)."""
    if path.name.endswith(".tar.zst"):
        tar = subprocess.run(["zstd", "-qdc", str(path)], capture_output=True, check=True).stdout
        return tarfile.open(fileobj=io.BytesIO(tar))
    return tarfile.open(path)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listed_sums() -> dict[str, str]:
    """`dist/SHA256SUMS` as {archive name: sha256}."""
    path = DIST / "SHA256SUMS"
    if not path.is_file():
        pytest.fail(f"{path} does not exist: run `make dist` first (or `make test`)")
    sums = {}
    for line in path.read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    return sums


def emulator(target: str) -> list[str]:
    """How to run a `target` binary here: directly, or under qemu user-mode emulation."""
    arch = target.split("-")[0]
    if platform.machine() == arch:
        return []
    qemu = shutil.which(f"qemu-{arch}-static")
    if qemu is None:
        pytest.fail(
            f"qemu-{arch}-static is not installed, so the {arch} build cannot be tested on this "
            f"{platform.machine()} machine: `make tools` installs it (Debian/Ubuntu package qemu-user-static)"
        )
    return [qemu]


def elf_facts(data: bytes) -> tuple[int, bool, int]:
    """(e_machine, has an interpreter, number of DT_NEEDED libraries) of a 64-bit little-endian ELF."""
    assert data[:4] == b"\x7fELF", "not an ELF file"
    assert data[4] == 2 and data[5] == 1, "not a 64-bit little-endian ELF"
    (machine,) = struct.unpack_from("<H", data, 18)
    (phoff,) = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    interp, needed = False, 0
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 3:  # PT_INTERP: asks for a dynamic loader
            interp = True
        elif p_type == 2:  # PT_DYNAMIC: static-pie has one, but it needs no library
            for off in range(p_offset, p_offset + p_filesz, 16):
                tag, _ = struct.unpack_from("<qQ", data, off)
                if tag == 0:
                    break
                needed += tag == 1  # DT_NEEDED
    return machine, interp, needed


@pytest.fixture(params=TARGETS)
def target(request) -> str:
    return request.param


@pytest.fixture(params=FORMATS)
def fmt(request) -> str:
    return request.param


@pytest.fixture
def unpacked(target: str, tmp_path: Path) -> Path:
    """The binary from `target`'s archive, as a user's `tar -xzf` leaves it."""
    with tarfile.open(archive_path(target)) as tar:
        tar.extractall(tmp_path / "dist-extracted", filter="tar")
    return tmp_path / "dist-extracted" / exe_name(target)


def test_every_archive_is_listed_in_sha256sums_and_checks_as_a_user_would():
    listed = listed_sums()
    for target in TARGETS:
        for fmt in FORMATS:
            archive = archive_path(target, fmt)
            assert listed.get(archive.name) == sha256(archive), f"SHA256SUMS is stale for {archive.name}"
    assert all(name.startswith((f"aws-oidc-{VERSION}-", f"aws-oidc-full-{VERSION}-")) for name in listed), listed
    # What docs/releasing.md tells a user to run in the download directory.
    check = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=DIST,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


#: The commands only the full build has (crates/cli's `setup-tools` feature).
SETUP_TOOLS = ("trust-policy", "migrate-config", "thumbprint")
HOST_TARGET = "x86_64-unknown-linux-musl"


def test_the_build_jobs_download_leaves_out_the_setup_tools_and_says_where_they_are(tmp_path: Path):
    if HOST_TARGET not in TARGETS:
        pytest.skip(f"{HOST_TARGET} is not among the targets under test")
    with tarfile.open(archive_path(HOST_TARGET)) as tar:
        tar.extractall(tmp_path / "ci", filter="tar")
    full_archive = DIST / f"aws-oidc-full-{VERSION}-{HOST_TARGET}.tar.gz"
    # make build (and make test) builds both; the full build is listed with the rest.
    assert full_archive.is_file(), "no full build in dist/: run make build"
    assert listed_sums().get(full_archive.name) == sha256(full_archive)
    with tarfile.open(full_archive) as tar:
        assert [m.name for m in tar.getmembers()] == ["aws-oidc"]
        tar.extractall(tmp_path / "full", filter="tar")
    ci, full = tmp_path / "ci" / "aws-oidc", tmp_path / "full" / "aws-oidc"
    assert ci.stat().st_size < full.stat().st_size
    helped = run_aws_oidc(ci, ["--help"], {})
    assert helped.returncode == 0
    assert f"aws-oidc-full-{VERSION}-<target>.tar.gz" in helped.stdout
    for command in SETUP_TOOLS:
        got = run_aws_oidc(ci, [command, "--help"], {})
        assert got.returncode == 1, got
        assert f"{command} is in the full build" in got.stderr
        assert f"aws-oidc-full-{VERSION}-<target>.tar.gz" in got.stderr
        assert command not in helped.stdout.split("Examples:")[0]
        assert run_aws_oidc(full, [command, "--help"], {}).returncode == 0
    policy = run_aws_oidc(full, ["trust-policy", "--org-id", "00000000-0000-4000-8000-000000000000",
                                 "--account-id", "123456789012", "--project-id",
                                 "11111111-1111-4111-8111-111111111111"], {})  # fmt: skip
    assert policy.returncode == 0, policy.stderr
    assert json.loads(policy.stdout)["Statement"]
    # Every command a job runs is in both.
    jobs = [c.split()[0] for c in helped.stdout.split("Commands:")[1].split("Examples:")[0].splitlines()
            if c.startswith("  ") and not c.startswith("   ")]
    assert {"assume", "exec", "ecr-login", "eks-token", "secrets", "codeartifact-login", "cleanup"} <= set(jobs)
    full_help = run_aws_oidc(full, ["--help"], {}).stdout
    assert all(f"  {c} " in full_help for c in jobs)
    wrong = run_aws_oidc(ci, ["nosuch"], {})
    assert wrong.returncode != 0 and "nosuch" in wrong.stderr and "full build" not in wrong.stderr


def test_archive_holds_exactly_the_binary(target: str, fmt: str, tmp_path: Path):
    path = archive_path(target, fmt)
    with open_archive(path) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == [exe_name(target)]
        entry = members[0]
        assert entry.isreg()
        assert (entry.mode, entry.uid, entry.gid, entry.uname, entry.gname, entry.mtime) == (
            0o755, 0, 0, "", "", 0
        ), "the entry's mode, owner or time depends on the machine that packed it"
        data = tar.extractfile(entry).read()
    if fmt == "tar.gz":
        header = path.read_bytes()[:10]
        assert header[3] & 0x08 == 0, "gzip stored a file name (pack with gzip -n)"
        assert header[4:8] == b"\0\0\0\0", "gzip stored a time (pack with gzip -n)"

    if target.endswith("-apple-darwin"):
        return check_macho(data, target, tmp_path)
    if "-windows-" in target:
        return check_pe(data, tmp_path)
    machine, interp, needed = elf_facts(data)
    assert machine == ELF_MACHINE[target.split("-")[0]], f"built for the wrong CPU (e_machine {machine})"
    assert not interp and needed == 0, "dynamically linked: it would not run on Alpine or a bare image"


def test_both_formats_hold_the_same_binary(target: str):
    with open_archive(archive_path(target, "tar.gz")) as gz, open_archive(archive_path(target, "tar.zst")) as zst:
        assert gz.extractfile(exe_name(target)).read() == zst.extractfile(exe_name(target)).read()


def test_binary_prints_the_workspace_version(target: str, unpacked: Path):
    if "-linux-" not in target:
        pytest.skip(f"{target} does not run on this machine (the Windows exe runs under Wine: tests/test_windows.py)")
    result = subprocess.run([*emulator(target), str(unpacked), "--version"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"aws-oidc {VERSION}"


def test_archive_depends_on_the_binary_bytes_alone(target: str, fmt: str, unpacked: Path, tmp_path: Path):
    """Packing the same binary twice, from copies with other modes and times
    and under another umask, gives the archive `make dist` wrote, byte for byte."""
    digests = set()
    for name, mode, mtime, umask in [("a", 0o700, 1_000_000_000, "077"), ("b", 0o755, time.time(), "022")]:
        copy = tmp_path / name / "some-name"
        copy.parent.mkdir()
        shutil.copyfile(unpacked, copy)
        copy.chmod(mode)
        os.utime(copy, (mtime, mtime))
        out = tmp_path / name / archive_name(VERSION, target, fmt)
        pack = f'umask {umask} && exec "$0" pack "$1" "$2"'
        subprocess.run(["sh", "-c", pack, str(REPO / "tools/dist.sh"), str(copy), str(out)], check=True)
        digests.add(sha256(out))
    assert digests == {sha256(archive_path(target, fmt))}


def test_arm64_binary_assumes_a_role_under_emulation(moto_server, tokens, job_env, tmp_path):
    target = "aarch64-unknown-linux-musl"
    if target not in TARGETS:
        pytest.skip(f"{target} is not among the targets under test ({' '.join(TARGETS)})")
    with tarfile.open(archive_path(target)) as tar:
        tar.extractall(tmp_path / "dist-extracted", filter="tar")
    # qemu-aarch64-static dist-extracted/aws-oidc assume ... (the binary itself on an arm64 machine)
    command = [*emulator(target), str(tmp_path / "dist-extracted" / "aws-oidc")]
    env = {**job_env, "CIRCLE_OIDC_TOKEN_V2": tokens.mint(), "AWS_REGION": "us-east-1"}
    args = ["assume", "--role-arn", ROLE, "--endpoint-url", moto_server, "--output", "json"]
    result = run_aws_oidc(Path(command[0]), [*command[1:], *args], env)
    assert result.returncode == 0, result.stderr

    creds = json.loads(result.stdout)
    assert creds["Version"] == 1
    assert creds["AccessKeyId"].startswith("ASIA")
    expires = datetime.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert expires > datetime.now(timezone.utc)
    # The keys are real: STS says who they belong to.
    who = run_aws({**job_env, "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
                   "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                   "AWS_SESSION_TOKEN": creds["SessionToken"], "AWS_DEFAULT_REGION": "us-east-1"},
                  "sts", "get-caller-identity", endpoint=moto_server)
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/deploy/")


def test_packed_orb_pins_this_version_and_every_archive():
    path = DIST / "orb.yml"
    if not path.is_file():
        pytest.fail(f"{path} does not exist: run `make orb` first (or `make test`)")
    orb = yaml.safe_load(path.read_text())
    # `version` of setup and install is circleci/aws-cli's (the AWS CLI's);
    # aws-oidc's is install_aws_oidc's version and aws_oidc_version elsewhere.
    for command, parameter in (("install_aws_oidc", "version"), ("setup", "aws_oidc_version"),
                               ("ecr_login", "version"), ("assume_role_with_web_identity", "aws_oidc_version")):
        assert orb["commands"][command]["parameters"][parameter]["default"] == VERSION, command
    pinned = pinned_sums(orb)
    listed = listed_sums()
    assert pinned == {
        archive_name(VERSION, t, f): listed[archive_name(VERSION, t, f)] for t in TARGETS for f in FORMATS
    }, "the packed orb pins other archives than dist/SHA256SUMS lists"
