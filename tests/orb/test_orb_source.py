"""Static checks of the orb: the packed `dist/orb.yml` against CircleCI's
schema, the orb-tools review rules that can be checked offline, the
examples, the README, and the linters on the source.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from support.steps import ALL_TARGETS

from support.orb_runner import Runner
from support.orb_schema import assert_valid, check_jsonschema

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
ORB = REPO / "orb"
SRC = ORB / "src"
COMPONENT_KINDS = ("commands", "jobs", "executors", "examples")
SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
TEMPLATED = re.compile(r"<<\s*parameters\.(\w+)\s*>>")


def steps_of(orb: dict):
    """(where, step) for every step of every command and job, nested ones too."""

    def walk(where, steps):
        for i, step in enumerate(steps or []):
            yield f"{where}[{i}]", step
            if isinstance(step, dict):
                for key in ("when", "unless"):
                    if isinstance(step.get(key), dict):
                        yield from walk(f"{where}[{i}].{key}.steps", step[key].get("steps"))

    for kind in ("commands", "jobs"):
        for name, component in (orb.get(kind) or {}).items():
            yield from walk(f"{kind}.{name}.steps", component.get("steps"))


def run_steps(orb: dict):
    for where, step in steps_of(orb):
        if isinstance(step, dict) and "run" in step:
            yield where, step["run"]
        elif step == "run":
            yield where, None


# -- CircleCI's schema -------------------------------------------------------------


def test_packed_orb_validates_against_circleci_schema(packed_orb_path, packed_orb, tmp_path):
    """The only errors allowed are a templated enum value such as
    `when: << parameters.when >>`, which the schema cannot know CircleCI fills
    in.  They are filtered by name here, and the orb with exactly those values
    replaced by a legal one must then be valid with nothing filtered."""
    report = check_jsonschema(packed_orb_path)
    assert not report.get("parse_errors"), report["parse_errors"]
    for error in report["errors"]:
        deepest = (error.get("best_deep_match") or error)["message"]
        assert re.fullmatch(r"'<< parameters\.\w+ >>' is not one of \[.*\]", deepest), (
            f"{error['path']}: {deepest}"
        )

    orb = copy.deepcopy(packed_orb)
    replaced = []
    for where, run in run_steps(orb):
        if isinstance(run, dict) and isinstance(run.get("when"), str) and TEMPLATED.fullmatch(run["when"]):
            replaced.append(f"{where}.run.when = {run['when']}")
            run["when"] = "on_success"
    neutral = tmp_path / "orb.json"
    neutral.write_text(json.dumps(orb))
    assert_valid(check_jsonschema(neutral), 1)
    assert replaced, "no templated enum left to filter: drop the filter"


def test_every_example_usage_is_a_valid_config(packed_orb, tmp_path):
    paths = []
    for name, example in packed_orb["examples"].items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(example["usage"]))
        paths.append(path)
    assert_valid(check_jsonschema(*paths), len(paths))


def test_every_example_job_expands_against_the_orb(packed_orb, tmp_path):
    """Unknown parameters, wrong types and unknown commands fail here as they
    would when CircleCI compiles the config."""
    for name, example in packed_orb["examples"].items():
        usage = example["usage"]
        assert usage["version"] == 2.1, name
        assert any(v.startswith("aws-oidc/aws-oidc@") for v in usage["orbs"].values()), name
        assert usage.get("workflows"), f"example {name} has no workflow"
        runner = Runner(packed_orb, {}, tmp_path)
        orb_steps = {run["name"] for _, run in run_steps(packed_orb)}
        for job in usage["jobs"]:
            steps, _ = runner.expand_job(usage, job)
            assert any(s.name in orb_steps for s in steps), f"{name}: {job} does not use the orb"


def test_packed_orb_is_the_source_packed(packed_orb):
    """`dist/orb.yml` is not stale: re-packing the source the way `orb pack`
    does (an independent reading of it) gives the same orb."""
    install = packed_orb["commands"]["install_aws_oidc"]
    release = {
        "<<orb-pack:version>>": install["parameters"]["version"]["default"],
        "<<orb-pack:sha256sums>>": install["steps"][0]["run"]["environment"]["AWS_OIDC_PINNED_SHA256"],
    }

    def resolve(value):
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, str):
            include = re.fullmatch(r"\s*<<\s*include\(([^)]+)\)\s*>>\s*", value)
            if include:
                return inline_includes((SRC / include.group(1)).read_text()).replace("<<", "\\<<")
            return release.get(value.strip(), value)
        return value

    expected = resolve(yaml.safe_load((SRC / "@orb.yml").read_text()))
    for kind in COMPONENT_KINDS:
        for path in sorted((SRC / kind).glob("*.yml")):
            expected.setdefault(kind, {})[path.stem] = resolve(yaml.safe_load(path.read_text()))
    assert packed_orb == expected, "dist/orb.yml is stale or packed differently: run `make orb`"


#: A line of an included script that the packer replaces by the file it
#: names (relative to orb/src), one level deep: `# orb-pack:include(path)`.
INLINE = re.compile(r"^[ \t]*# orb-pack:include\(\s*([^)]*?)\s*\)[ \t]*$")


def inline_includes(text: str) -> str:
    """A script as the packer ships it: each `# orb-pack:include(path)` line
    replaced by that file's text (with a final newline), which may not hold
    such a line itself."""
    out = []
    for line in text.splitlines(keepends=True):
        match = INLINE.match(line.rstrip("\n"))
        if not match:
            out.append(line)
            continue
        inlined = (SRC / match.group(1)).read_text()
        assert not any(INLINE.match(l) for l in inlined.splitlines()), f"{match.group(1)} inlines a file itself"
        out.append(inlined if inlined.endswith("\n") else inlined + "\n")
    return "".join(out)


# -- orb-tools review rules ----------------------------------------------------------


def test_rc001_source_and_home_url(packed_orb):
    display = packed_orb["display"]
    assert display["source_url"].startswith("https://")
    assert display["home_url"].startswith("https://")


def test_rc002_everything_is_described(packed_orb):
    assert packed_orb.get("description")
    for kind in COMPONENT_KINDS:
        for name, component in (packed_orb.get(kind) or {}).items():
            assert component.get("description"), f"{kind}.{name} has no description"
            for param, declaration in (component.get("parameters") or {}).items():
                assert declaration.get("description"), f"{kind}.{name}.parameters.{param} has no description"


def test_rc003_has_examples(packed_orb):
    assert packed_orb.get("examples")


def test_rc005_orb_description_is_long_enough(packed_orb):
    assert len(packed_orb["description"].strip()) >= 64


def test_rc008_every_run_is_a_mapping_with_a_name(packed_orb):
    runs = list(run_steps(packed_orb))
    assert runs
    for where, run in runs:
        assert isinstance(run, dict) and run.get("name"), f"{where}: run without a name"


def test_rc009_long_commands_are_includes():
    for path in sorted((SRC / "commands").glob("*.yml")) + sorted((SRC / "jobs").glob("*.yml")):
        component = yaml.safe_load(path.read_text())
        for where, run in run_steps({"commands": {path.stem: component}}):
            command = run["command"]
            if not re.fullmatch(r"\s*<<\s*include\([^)]+\)\s*>>\s*", command):
                assert len(command) <= 64, f"{path.name} {where}: a command over 64 characters belongs in scripts/"


# RC010 is excluded, with this reason, for exactly the names below: a config
# written for circleci/aws-cli v3 must compile unchanged with only its orbs
# line changed, and v3 spelt these commands and parameters in kebab-case.
# orb-tools' review lets a check be excluded with a reason; the list is held
# to circleci/aws-cli v3.1.4's own names (V3_* below), so it cannot grow.
RC010_EXCLUDED_REASON = "circleci/aws-cli v3's kebab-case names, so that a v3 config compiles unchanged"
RC010_EXCLUDED_FILES = {
    "commands/role-arn-setup.yml",
    "commands/assume-role-with-web-identity.yml",
}
RC010_EXCLUDED_PARAMETERS = {
    "commands.setup": {
        "override-installed", "disable-aws-pager", "install-dir", "binary-dir", "profile-name",
        "aws-access-key-id", "aws-secret-access-key", "aws-region", "configure-default-region",
        "configure-profile-region", "role-arn", "role-session-name", "session-duration",
    },
    "commands.install": {"override-installed", "disable-aws-pager", "install-dir", "binary-dir"},
    "commands.role-arn-setup": {"profile-name", "role-arn", "source-profile", "override-installed", "disable-aws-pager"},
    "commands.assume-role-with-web-identity": {"role-arn", "role-session-name", "session-duration", "profile-name"},
    "executors.default": {"python-version"},
}


def test_rc010_snake_case_names_and_parameters(packed_orb):
    for kind in COMPONENT_KINDS:
        for path in (SRC / kind).glob("*"):
            if f"{kind}/{path.name}" in RC010_EXCLUDED_FILES:
                continue
            assert path.suffix == ".yml" and SNAKE.fullmatch(path.stem), f"{kind}/{path.name}"
        for name, component in (packed_orb.get(kind) or {}).items():
            excluded = RC010_EXCLUDED_PARAMETERS.get(f"{kind}.{name}", set())
            for param in component.get("parameters") or {}:
                if param in excluded:
                    continue
                assert SNAKE.fullmatch(param), f"{kind}.{name}.parameters.{param}"


def test_rc010_exclusions_are_exactly_aws_cli_v3s_kebab_case_names(packed_orb):
    """Each excluded name is one circleci/aws-cli v3.1.4 declared in
    kebab-case, and is declared here; nothing else is excluded."""
    v3 = {
        "commands.setup": V3_SETUP,
        "commands.install": V3_INSTALL,
        "commands.role-arn-setup": V3_ROLE_ARN_SETUP,
        "commands.assume-role-with-web-identity": V3_ASSUME_ROLE_WITH_WEB_IDENTITY,
        "executors.default": V3_EXECUTOR,
    }
    assert RC010_EXCLUDED_REASON
    assert set(RC010_EXCLUDED_PARAMETERS) == set(v3)
    for where, excluded in RC010_EXCLUDED_PARAMETERS.items():
        assert excluded == {p for p in v3[where] if not SNAKE.fullmatch(p)}, where
        kind, name = where.split(".", 1)
        assert excluded <= set(packed_orb[kind][name]["parameters"]), where
    v3_kebab_commands = {w.split(".", 1)[1] for w in v3 if w.startswith("commands.") and "-" in w}
    assert RC010_EXCLUDED_FILES == {f"commands/{c}.yml" for c in v3_kebab_commands}
    for path in RC010_EXCLUDED_FILES:
        assert (SRC / path).exists(), path


def test_rc012_no_dollar_default_in_a_cache_key(packed_orb):
    for kind in ("commands", "jobs"):
        for name, component in (packed_orb.get(kind) or {}).items():
            dollar = {p for p, d in (component.get("parameters") or {}).items() if "$" in str(d.get("default", ""))}
            for where, step in steps_of({kind: {name: component}}):
                if isinstance(step, dict):
                    for body in step.values():
                        keys = [body.get("key")] + list(body.get("keys") or []) if isinstance(body, dict) else []
                        for key in filter(None, keys):
                            used = set(TEMPLATED.findall(str(key))) & dollar
                            assert not used, f"{where}: cache key uses $-defaulted {used}"


# -- the commands' contract -------------------------------------------------------------

# circleci/aws-cli v5.4.1 `setup`, every parameter: name -> (type, default).
AWS_CLI_SETUP = {
    # OIDC
    "role_arn": ("string", ""),
    "role_session_name": ("string", "${CIRCLE_JOB}"),
    "session_duration": ("string", "3600"),
    "profile_name": ("string", "default"),
    "region": ("string", "${AWS_DEFAULT_REGION}"),
    "set_aws_env_vars": ("boolean", True),
    "configure_default_region": ("boolean", True),
    "configure_profile_region": ("boolean", True),
    "when": ("enum", "on_success"),
    # stored keys: templates of the variables that hold them
    "aws_access_key_id": ("string", "$AWS_ACCESS_KEY_ID"),
    "aws_secret_access_key": ("string", "$AWS_SECRET_ACCESS_KEY"),
    # installing the AWS CLI, and its pager
    "version": ("string", "latest"),
    "override_installed": ("boolean", False),
    "install_dir": ("string", "/usr/local/aws-cli"),
    "binary_dir": ("string", "/usr/local/bin"),
    "use_brew": ("boolean", False),
    "disable_aws_install": ("boolean", False),
    "disable_aws_pager": ("boolean", True),
}

# circleci/aws-cli v3.1.4, every parameter of each component: name -> (type,
# default); None for a required one. A v3 config names these.
V3_SETUP = {
    "version": ("string", "latest"),
    "override-installed": ("boolean", False),
    "disable-aws-pager": ("boolean", True),
    "install-dir": ("string", "/usr/local/aws-cli"),
    "binary-dir": ("string", "/usr/local/bin"),
    "profile-name": ("string", "default"),
    "aws-access-key-id": ("env_var_name", "AWS_ACCESS_KEY_ID"),
    "aws-secret-access-key": ("env_var_name", "AWS_SECRET_ACCESS_KEY"),
    "aws-region": ("env_var_name", "AWS_DEFAULT_REGION"),
    "configure-default-region": ("boolean", True),
    "configure-profile-region": ("boolean", True),
    "role-arn": ("string", ""),
    "role-session-name": ("string", "${CIRCLE_JOB}"),
    "session-duration": ("string", "3600"),
}
V3_INSTALL = {
    "version": ("string", "latest"),
    "override-installed": ("boolean", False),
    "disable-aws-pager": ("boolean", True),
    "install-dir": ("string", "/usr/local/aws-cli"),
    "binary-dir": ("string", "/usr/local/bin"),
}
V3_ROLE_ARN_SETUP = {
    "version": ("string", "latest"),
    "override-installed": ("boolean", False),
    "disable-aws-pager": ("boolean", True),
    "profile-name": ("string", None),
    "role-arn": ("string", None),
    "source-profile": ("string", "default"),
}
V3_ASSUME_ROLE_WITH_WEB_IDENTITY = {
    "role-arn": ("string", None),
    "role-session-name": ("string", "${CIRCLE_JOB}"),
    "session-duration": ("string", "3600"),
    "profile-name": ("string", "default"),
}
V3_EXECUTOR = {"python-version": ("string", "3.9-node")}

# circleci/aws-cli v4.2.3 and v5.4.1, the other components (setup: above).
AWS_CLI_INSTALL = {
    "version": ("string", "latest"),
    "override_installed": ("boolean", False),
    "disable_aws_pager": ("boolean", True),
    "install_dir": ("string", "/usr/local/aws-cli"),
    "binary_dir": ("string", "/usr/local/bin"),
    "use_brew": ("boolean", False),
    "when": ("enum", "on_success"),
}
AWS_CLI_ROLE_ARN_SETUP = {
    "profile_name": ("string", None),
    "role_arn": ("string", None),
    "source_profile": ("string", "default"),
    "when": ("enum", "on_success"),
}
AWS_CLI_V4_ASSUME_ROLE_WITH_WEB_IDENTITY = {
    "role_arn": ("string", None),
    "role_session_name": ("string", "${CIRCLE_JOB}"),
    "session_duration": ("string", "3600"),
    "profile_name": ("string", "default"),
    "region": ("string", "${AWS_DEFAULT_REGION}"),
    "set_aws_env_vars": ("boolean", True),
}
AWS_CLI_EXECUTOR = {"tag": ("string", "current")}

#: `setup`'s parameters for installing aws-oidc -> `install_aws_oidc`'s,
#: which keep the natural names; on `setup` those are aws-cli's.
SETUP_INSTALL_PARAMETERS = {
    "aws_oidc_version": "version",
    "aws_oidc_install_dir": "install_dir",
    "download_url": "download_url",
}


def assert_declares(component: dict, expected: dict, where: str):
    params = component.get("parameters") or {}
    for name, (kind, default) in expected.items():
        assert name in params, f"{where}: {name}"
        declared = params[name]
        assert declared["type"] == kind, f"{where}: {name}"
        if default is None:
            assert "default" not in declared, f"{where}: {name} is required there"
        else:
            assert declared.get("default") == default, f"{where}: {name}"
        if kind == "enum":
            assert declared["enum"] == ["on_success", "on_fail", "always"], f"{where}: {name}"


def test_setup_takes_every_parameter_of_aws_cli_setup(packed_orb):
    assert_declares(packed_orb["commands"]["setup"], AWS_CLI_SETUP, "setup (v5.4.1)")


def test_every_aws_cli_component_takes_its_parameters_in_both_spellings(packed_orb):
    commands = packed_orb["commands"]
    assert_declares(commands["setup"], V3_SETUP, "setup (v3.1.4)")
    assert_declares(commands["install"], AWS_CLI_INSTALL, "install (v5.4.1)")
    assert_declares(commands["install"], V3_INSTALL, "install (v3.1.4)")
    assert_declares(commands["role_arn_setup"], AWS_CLI_ROLE_ARN_SETUP, "role_arn_setup (v5.4.1)")
    assert_declares(commands["role-arn-setup"], V3_ROLE_ARN_SETUP, "role-arn-setup (v3.1.4)")
    assert_declares(
        commands["assume_role_with_web_identity"],
        AWS_CLI_V4_ASSUME_ROLE_WITH_WEB_IDENTITY,
        "assume_role_with_web_identity (v4.2.3)",
    )
    assert_declares(
        commands["assume-role-with-web-identity"],
        V3_ASSUME_ROLE_WITH_WEB_IDENTITY,
        "assume-role-with-web-identity (v3.1.4)",
    )
    assert_declares(packed_orb["executors"]["default"], AWS_CLI_EXECUTOR, "executor default (v5.4.1)")
    assert_declares(packed_orb["executors"]["default"], V3_EXECUTOR, "executor default (v3.1.4)")


def test_the_default_executor_is_aws_clis(packed_orb):
    """cimg/base at `tag`, as circleci/aws-cli v4 and v5 define it (v3's
    python-version is accepted and unused): setup installs the AWS CLI."""
    executor = packed_orb["executors"]["default"]
    assert executor["docker"] == [{"image": "cimg/base:<< parameters.tag >>"}]
    assert "python-version" not in json.dumps(executor["docker"])


def test_parameters_reach_scripts_only_as_param_variables(packed_orb):
    for name, command in packed_orb["commands"].items():
        declared = set(command.get("parameters") or {})
        for where, run in run_steps({"commands": {name: command}}):
            if "when" in declared:
                assert run["when"] == "<< parameters.when >>", f"{where}: every step honours `when`"
            assert not TEMPLATED.search(run["command"].replace("\\<<", "")), f"{where}: parameter in the script"
            environment = run.get("environment") or {}
            for var, value in environment.items():
                if var == "AWS_OIDC_PINNED_SHA256":
                    continue
                match = re.fullmatch(r"<<\s*parameters\.([\w-]+)\s*>>", str(value))
                param = match.group(1)
                # v3's kebab-case spelling of a parameter: PARAM_<NAME>_V3.
                expected = f"PARAM_{param.replace('-', '_').upper()}" + ("_V3" if "-" in param else "")
                assert var == expected and param in declared, f"{where}: {var}"
            used = set(re.findall(r"\bPARAM_[A-Z0-9_]+", run["command"]))
            # A name the script assigns itself is its own variable, not a parameter.
            own = set(re.findall(r"\b(PARAM_[A-Z0-9_]+)=", run["command"]))
            missing = used - set(environment) - own
            assert not missing, f"{where}: the script reads {missing}, which the step does not set"


def test_setup_is_one_run_step_that_installs_and_assumes(packed_orb):
    """Each step costs a job time of its own, so setup installs aws-oidc
    (and the AWS CLI) and assumes the role in one run step: its script holds
    the prelude and both installers, and takes install_aws_oidc's parameters
    under their setup names, with the same defaults."""
    setup = packed_orb["commands"]["setup"]
    install = packed_orb["commands"]["install_aws_oidc"]
    (step,) = setup["steps"]
    assert set(step) == {"run"}, "setup invokes no other command"
    run = step["run"]
    script = run["command"]
    for lib in ("prelude.sh", "install_aws_oidc.sh", "install_aws_cli.sh"):
        text = (SRC / "scripts" / "lib" / lib).read_text().replace("<<", "\\<<")
        assert text in script, f"setup's script does not inline scripts/lib/{lib}"
    assert not any(INLINE.match(line) for line in script.splitlines()), "an include line was left in"
    assert run["environment"]["AWS_OIDC_PINNED_SHA256"] == install["steps"][0]["run"]["environment"]["AWS_OIDC_PINNED_SHA256"]
    for ours, theirs in SETUP_INSTALL_PARAMETERS.items():
        assert run["environment"][f"PARAM_{ours.upper()}"] == f"<< parameters.{ours} >>", ours
        assert setup["parameters"][ours]["default"] == install["parameters"][theirs]["default"], ours


def test_every_step_script_starts_with_the_prelude():
    prelude = "# orb-pack:include(scripts/lib/prelude.sh)"
    for script in sorted((SRC / "scripts").glob("*.sh")):
        lines = script.read_text().splitlines()
        assert lines[0] == "#!/bin/sh", script.name
        first = next(l for l in lines[1:] if not l.startswith("#") or l.startswith("# orb-pack:"))
        assert first == prelude, f"{script.name}: the prelude is not its first line of code"


def test_the_pinned_table_names_the_packed_version(packed_orb):
    install = packed_orb["commands"]["install_aws_oidc"]
    version = install["parameters"]["version"]["default"]
    table = install["steps"][0]["run"]["environment"]["AWS_OIDC_PINNED_SHA256"]
    lines = table.splitlines()
    assert lines
    targets = "|".join(re.escape(t) for t in ALL_TARGETS)
    archive = re.compile(rf"aws-oidc-{re.escape(version)}-({targets})\.tar\.(zst|gz)")
    for line in lines:
        # sha256sum's format, so that the table reads like SHA256SUMS.
        sha, sep, name = line.partition("  ")
        assert sep and re.fullmatch(r"[0-9a-f]{64}", sha), line
        assert archive.fullmatch(name), line
    # Both formats of each target pinned.
    names = {line.partition("  ")[2] for line in lines}
    for name in list(names):
        assert name.replace(".tar.zst", ".tar.gz") in names and name.replace(".tar.gz", ".tar.zst") in names
    dumped = yaml.safe_dump(packed_orb, width=1 << 20)
    assert "<<orb-pack:" not in dumped, "a placeholder was left in"
    for _, run in run_steps(packed_orb):
        assert not any(INLINE.match(line) for line in run["command"].splitlines()), "an include line was left in"


# -- examples and README -------------------------------------------------------------


def readme_examples(readme: Path = ORB / "README.md") -> dict[str, str]:
    text = readme.read_text()
    blocks = re.findall(r"<!-- example: (\w+) -->\n```yaml\n(.*?)```\n", text, re.S)
    names = [name for name, _ in blocks]
    assert len(names) == len(set(names)), "an example is in the README twice"
    return dict(blocks)


def test_readme_shows_every_example_as_in_its_file():
    in_readme = readme_examples()
    files = {p.stem: p for p in (SRC / "examples").glob("*.yml")}
    assert set(in_readme) == set(files)
    for name, path in files.items():
        usage = textwrap.dedent(path.read_text().split("\nusage:\n", 1)[1])
        assert in_readme[name] == usage, f"README's {name} differs from examples/{name}.yml"


def test_the_main_readme_shows_examples_exactly_as_in_their_files():
    in_readme = readme_examples(ORB.parent / "README.md")
    assert in_readme, "the main README shows no orb example"
    for name, usage in in_readme.items():
        path = SRC / "examples" / f"{name}.yml"
        assert path.exists(), f"README.md shows example {name}, which examples/ does not have"
        assert usage == textwrap.dedent(path.read_text().split("\nusage:\n", 1)[1]), name


def test_readme_documents_every_setup_parameter(packed_orb):
    text = (ORB / "README.md").read_text()
    for param in packed_orb["commands"]["setup"]["parameters"]:
        assert f"| `{param}` |" in text, param


# -- linters on the source ------------------------------------------------------------------


def test_scripts_pass_shellcheck():
    """As they ship: tools/shellcheck-orb.sh inlines each script's
    `# orb-pack:include(..)` lines as the packer does, then checks it (and
    each library on its own)."""
    scripts = sorted((SRC / "scripts").glob("*.sh"))
    assert scripts
    proc = subprocess.run(["sh", str(REPO / "tools" / "shellcheck-orb.sh")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for script in scripts:
        assert f"shellcheck scripts/{script.name}\n" in proc.stdout, f"{script.name} was not checked"


@pytest.mark.parametrize("shell", [["dash", "-n"], ["busybox", "sh", "-n"]], ids=["dash", "busybox-sh"])
def test_scripts_parse_in_small_shells(shell):
    for script in sorted((SRC / "scripts").glob("*.sh")):
        proc = subprocess.run([*shell, str(script)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{script.name}: {proc.stderr}"


def test_orb_source_passes_yamllint():
    """As orb-tools/lint runs it: from the repository root, whose .yamllint it reads."""
    proc = subprocess.run(
        [str(VENV_BIN / "yamllint"), "-f", "parsable", str(SRC.relative_to(REPO))],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
