"""The orb's install step as it runs on a macOS and a Windows executor.

This machine cannot be either, so each test makes the step see one: the
`$OSTYPE` and `$HOSTTYPE` that bash has there (bash takes them from the
environment when they are set, as a stand-in needs), a `uname` that answers
as that executor's does (for what bash does not name), and a PATH holding
only the tools that executor has (macOS: `shasum`, no `sha256sum`, no zstd; Git Bash
on Windows: `sha256sum`, an `MINGW64_NT` kernel name).  Against the loopback
mirror of the release, the step must fetch that platform's archive, check it
against the pinned SHA-256 and install the binary under its platform's name,
or install nothing when the archive was tampered with.
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest

from support.steps import archive_name

from support.orb_configs import config
BASH = ["/bin/bash", "-eo", "pipefail"]

#: What both executors' PATHs have, each with its checksum tool (macOS: shasum, Git Bash: sha256sum).
TOOLS = ("curl", "tar", "gzip", "awk", "mktemp", "chmod", "mv", "rm", "mkdir", "cat", "env", "ln")


def macos(machine: str, target: str) -> dict:
    """A macOS executor on `machine` (arm64: Apple silicon), whose build is `target`."""
    return {"uname": f"Darwin {machine}", "bash": ("darwin23", machine), "target": target, "exe": "aws-oidc",
            "tools": ("shasum", *TOOLS)}


#: What each executor answers to `uname -sm`, what its bash has in $OSTYPE
#: and $HOSTTYPE, and what its PATH has.
PLATFORMS = {
    "macos-arm64": macos("arm64", "aarch64-apple-darwin"),
    "macos-x86_64": macos("x86_64", "x86_64-apple-darwin"),
    "windows-git-bash": {
        "uname": "MINGW64_NT-10.0-20348 x86_64",
        "bash": ("msys", "x86_64"),
        "target": "x86_64-pc-windows-gnu",
        "exe": "aws-oidc.exe",
        "tools": ("sha256sum", *TOOLS),
    },
}


def install_step(**params) -> dict:
    return {"aws-oidc/install_aws_oidc": params}


def pretend(ci, platform: dict) -> None:
    """PATH: only the platform's tools, and a `uname` that answers as it does;
    bash's $OSTYPE and $HOSTTYPE as there."""
    ci.env["OSTYPE"], ci.env["HOSTTYPE"] = platform["bash"]
    bin_dir = ci.tools_only(*platform["tools"])
    kernel, machine = platform["uname"].split()
    (bin_dir / "uname").write_text(
        "#!/bin/sh\n"
        f'case "$*" in -sm) echo "{kernel} {machine}" ;; -m) echo {machine} ;; *) echo "{kernel}" ;; esac\n'
    )
    (bin_dir / "uname").chmod(0o755)


def mirror_target(ci, target: str) -> Path:
    """Puts `target`'s archives on the loopback mirror; returns its .tar.gz there."""
    release = ci.mirror.root / f"v{ci.dist.version}"
    for fmt in ("tar.zst", "tar.gz"):
        name = archive_name(ci.dist.version, target, fmt)
        if not (ci.dist.path / name).is_file():
            pytest.fail(f"{ci.dist.path / name} does not exist: run `make dist` (or `make test`)")
        shutil.copyfile(ci.dist.path / name, release / name)
    return release / archive_name(ci.dist.version, target, "tar.gz")


@pytest.mark.parametrize("name", PLATFORMS, ids=PLATFORMS)
def test_install_fetches_checks_and_installs_the_platforms_build(ci, name):
    platform = PLATFORMS[name]
    archive = mirror_target(ci, platform["target"])
    pretend(ci, platform)
    result = ci.run(config(install_step(download_url=ci.download_url)), shell=BASH)
    assert result.ok, result.describe()

    # The .tar.gz: neither has zstd.
    assert ci.mirror.downloads() == [f"/v{ci.dist.version}/{archive.name}"]
    installed = ci.install_dir / platform["exe"]
    # Beside it, Docker's credential helper: the same binary under the name Docker runs.
    helper = ci.install_dir / f"docker-credential-{platform['exe']}"
    assert sorted(ci.installed()) == sorted([installed, helper])
    assert helper.read_bytes() == installed.read_bytes()
    with tarfile.open(archive) as tar:
        assert installed.read_bytes() == tar.extractfile(platform["exe"]).read()
    # Later steps find it on PATH, and setup finds exactly this file.
    exported = ci.exported()
    assert exported["AWS_OIDC_BIN"] == str(installed)
    assert exported["PATH"].split(":")[0] == str(ci.install_dir)
    assert f"({platform['target']})" in result.step("Install aws-oidc").stdout


@pytest.mark.parametrize("name", PLATFORMS, ids=PLATFORMS)
def test_a_tampered_archive_installs_nothing(ci, name):
    platform = PLATFORMS[name]
    archive = mirror_target(ci, platform["target"])
    with tarfile.open(archive) as tar:
        real = tar.extractfile(platform["exe"]).read()
    # The same archive with one byte of the binary changed.
    tampered = ci.tmp / "tampered"
    tampered.mkdir()
    (tampered / platform["exe"]).write_bytes(real[:-1] + bytes([real[-1] ^ 1]))
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tampered / platform["exe"], arcname=platform["exe"])
    pretend(ci, platform)
    result = ci.run(config(install_step(download_url=ci.download_url)), shell=BASH)
    step = result.step("Install aws-oidc")
    assert step.status == "failed"
    assert f"SHA-256 mismatch for {archive.name}" in step.stderr
    assert ci.installed() == []


# FreeBSD's bash names an OS that has no build ($OSTYPE freebsd13.2): uname
# names it in the message.
@pytest.mark.parametrize(
    "uname, bash, named",
    [("FreeBSD amd64", ("freebsd13.2", "amd64"), "FreeBSD is not supported"),
     ("MINGW64_NT-10.0-22631 aarch64", ("msys", "aarch64"), "no aws-oidc build for Windows on the aarch64 architecture")],
)
def test_a_platform_without_a_build_is_refused_by_name_before_any_download(ci, uname, bash, named):
    pretend(ci, {"uname": uname, "bash": bash, "tools": PLATFORMS["windows-git-bash"]["tools"]})
    result = ci.run(config(install_step(download_url=ci.download_url)), shell=BASH)
    step = result.step("Install aws-oidc")
    assert step.status == "failed"
    assert named in step.stderr
    assert ci.mirror.downloads() == []


def powershell_parts(script: str) -> tuple[str, str, str]:
    """A step's script as PowerShell sees it: what comes before the block
    comment, the sh script inside it, and PowerShell's own lines after it."""
    opener = 'echo "\\" <#" >/dev/null\n'
    assert script.count(opener) == 1
    before, hidden = script.split(opener)
    sh_part, _, powershell = hidden.partition("#> > $null\n")
    return before, sh_part, powershell


def orb_scripts(packed_orb) -> dict[str, str]:
    """Every run step's script in the packed orb, by command."""
    return {name: step["run"]["command"]
            for name, command in packed_orb["commands"].items()
            for step in command["steps"] if isinstance(step, dict) and "run" in step}


def test_every_step_tells_a_powershell_job_to_use_bash_and_cleanup_skips(packed_orb):
    """PowerShell (a Windows job's default shell) parses the whole script first.
    Each script hides everything but its last lines from it in one block
    comment: `<#` on a line sh reads as an `echo`, `#>` after the last sh
    line. cleanup runs `when: always` and must not fail a PowerShell job: no
    aws-oidc step ran there, so there is nothing to take back."""
    scripts = orb_scripts(packed_orb)
    assert {"setup", "install", "install_aws_oidc", "ecr_login", "eks_kubeconfig", "cleanup"} <= set(scripts)
    for name, script in scripts.items():
        before, sh_part, powershell = powershell_parts(script)
        # Before the comment: only comments and blank lines, for both shells.
        assert all(line.startswith("#") or not line.strip() for line in before.splitlines()), name
        assert powershell, f"{name}: the comment is never closed"
        assert "#>" not in sh_part, f"{name}: the comment closes early"
        last = [line for line in sh_part.splitlines() if line.strip() and not line.lstrip().startswith("#")][-1]
        assert last == "exit" or last.startswith('exec "$bin"'), f"{name}: sh runs on into PowerShell's lines"
        statements = [line for line in powershell.splitlines() if line.strip() and not line.startswith("#")]
        assert statements[0].startswith(f'Write-Host "aws-oidc/{name}:'), name
        if name == "cleanup":
            assert "nothing to do" in statements[0] and statements[1:] == ["exit 0"]
        else:
            assert "shell: bash.exe" in statements[0] and statements[1:] == ["exit 1"], name
