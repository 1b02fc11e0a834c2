"""Our own CircleCI pipeline (`.circleci/`), checked offline: both files
against CircleCI's schema, what orb-tools' lint and review jobs run (run the
way they run it), every orb command and example replayed by the integration
jobs, the release reachable only through them and only on a vX.Y.Z tag, the
hand-offs between the two stages, github-release.sh against a fake GitHub
(including a release left half-made), and no AWS key anywhere.

What cannot run here is the pipeline itself (CircleCI, a real AWS role, the
registry): docs/releasing.md says what it needs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
import urllib.parse
from pathlib import Path

import pytest
import yaml

from support.loopback import LoopbackServer, StandInHandler
from support.steps import ALL_TARGETS, ARCHIVE_FORMATS, archive_name

REPO = Path(__file__).resolve().parent.parent
CIRCLECI = REPO / ".circleci"
ORB_SRC = REPO / "orb" / "src"
VENV_BIN = Path(sys.executable).parent
# The spaces inside << >> matter: without them CircleCI's schema finds the
# reference matching two of its patterns at once and rejects it.
# One dev version per pipeline: two pipelines of one commit (a branch and its
# tag) must not publish the same one, or one would test the other's pins.
DEV_ORB = "aws-oidc/aws-oidc@dev:<< pipeline.git.revision >>-<< pipeline.number >>"
INTEGRATION_CONTEXT = "aws-oidc-integration"
RELEASE_TAG = "/^v[0-9]+\\.[0-9]+\\.[0-9]+$/"


def load(name: str) -> dict:
    return yaml.safe_load((CIRCLECI / name).read_text())


@pytest.fixture(scope="module")
def setup_config() -> dict:
    return load("config.yml")


@pytest.fixture(scope="module")
def test_deploy() -> dict:
    return load("test-deploy.yml")


def workflow_jobs(config: dict) -> dict[str, tuple[str, dict]]:
    """Every job of every workflow as {name in the workflow: (job or orb job, its settings)}."""
    jobs = {}
    for workflow in config["workflows"].values():
        for entry in workflow["jobs"]:
            job, settings = (entry, {}) if isinstance(entry, str) else next(iter(entry.items()))
            settings = settings or {}
            name = settings.get("name", job)
            if "matrix" in settings:
                # A matrix job is required by its alias; each instance runs the same steps.
                name = settings["matrix"].get("alias", job)
            jobs[name] = (job, settings)
    return jobs


def ancestors(jobs: dict[str, tuple[str, dict]], name: str) -> set[str]:
    """The jobs that `name` waits for, directly or not."""
    seen: set[str] = set()
    todo = list(jobs[name][1].get("requires", []))
    while todo:
        required = todo.pop()
        assert required in jobs, f"{name} requires {required}, which is not in the workflow"
        if required not in seen:
            seen.add(required)
            todo.extend(jobs[required][1].get("requires", []))
    return seen


def runs_for_tag(settings: dict, tag: str) -> bool:
    """Does a job with these filters run for the tag? (CircleCI runs none for tags without a tags filter.)"""
    only = ((settings.get("filters") or {}).get("tags") or {}).get("only")
    patterns = only if isinstance(only, list) else [only] if only else []
    return any(re.fullmatch(p.strip("/"), tag) if p.startswith("/") else p == tag for p in patterns)


def runs_for_branch(settings: dict) -> bool:
    branches = (settings.get("filters") or {}).get("branches") or {}
    return branches.get("ignore") not in ("/.*/", ["/.*/"])


def orb_steps(config: dict, job: str) -> list[tuple[str, dict]]:
    """The orb commands a job of `config` invokes, in order, as ("alias/command", parameters);
    the config's own commands are expanded."""
    commands = config.get("commands") or {}

    def walk(steps):
        for step in steps or []:
            name, params = (step, {}) if isinstance(step, str) else next(iter(step.items()))
            if name in commands:
                yield from walk(commands[name].get("steps"))
            elif "/" in name:
                yield name, params or {}

    return list(walk(config["jobs"][job]["steps"]))


def entries(node, where: str = ""):
    """(path of the mapping, key, value) for every mapping entry in a parsed
    YAML tree, nested ones too."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield where, key, value
            yield from entries(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from entries(item, f"{where}[{i}]")


def our_aliases(orbs: dict, reference) -> set[str]:
    return {alias for alias, ref in orbs.items() if isinstance(ref, str) and reference(ref)}


def parameter_types(command: str) -> dict[str, str]:
    source = yaml.safe_load((ORB_SRC / "commands" / f"{command}.yml").read_text())
    return {name: spec.get("type", "string") for name, spec in (source.get("parameters") or {}).items()}


# -- CircleCI's schema -------------------------------------------------------------


def test_both_configs_validate_against_circleci_schema():
    """`check-jsonschema --builtin-schema vendor.circle-ci`, offline.

    The one kind of error tolerated, by its exact message, is a templated
    value where the schema wants an enum member (`when: << parameters.when >>`):
    CircleCI fills it in before it validates, the schema cannot know it will.
    Neither file has one today; any other error fails the test.
    """
    files = [CIRCLECI / "config.yml", CIRCLECI / "test-deploy.yml"]
    proc = subprocess.run(
        [str(VENV_BIN / "check-jsonschema"), "--builtin-schema", "vendor.circle-ci", "-o", "json",
         "--verbose", *map(str, files)],
        capture_output=True, text=True,
    )
    report = json.loads(proc.stdout)
    assert not report.get("parse_errors"), report["parse_errors"]
    assert len(report["checked_paths"]) == len(files), report
    for error in report["errors"]:
        deepest = (error.get("best_deep_match") or error)["message"]
        assert re.fullmatch(r"'<< *parameters\.\w+ *>>' is not one of \[.*\]", deepest), (
            f"{error['filename']} {error['path']}: {deepest[:300]}"
        )


def test_ci_scripts_pass_shellcheck():
    scripts = sorted((CIRCLECI / "scripts").glob("*.sh"))
    assert scripts
    result = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# -- orb-tools' lint and review jobs, run the way they run -----------------------------


def orb_tools_job(config: dict, job: str) -> dict:
    """The settings config.yml gives an orb-tools job (`orb-tools/lint` ...)."""
    jobs = workflow_jobs(config)
    assert job in jobs, f"config.yml does not run {job}"
    return jobs[job][1]


def test_orb_tools_lint_passes_as_orb_tools_runs_it(setup_config, tmp_path):
    """orb-tools/lint runs `yamllint <source_dir>` in the checkout, with no
    -c: yamllint then reads a .yamllint from the working directory or above,
    or the user's own config, else its built-in defaults. So here: from the
    repository root, with no user config to fall back on."""
    source_dir = orb_tools_job(setup_config, "orb-tools/lint").get("source_dir", "./src/")
    assert (REPO / source_dir).is_dir(), f"orb-tools/lint's source_dir {source_dir} does not exist"
    env = {k: v for k, v in os.environ.items() if k != "YAMLLINT_CONFIG_FILE"}
    env["XDG_CONFIG_HOME"] = str(tmp_path)
    proc = subprocess.run([str(VENV_BIN / "yamllint"), "-f", "parsable", source_dir],
                          cwd=REPO, env=env, capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (REPO / ".yamllint").is_file(), "the settings orb-tools/lint reads live in the root .yamllint"


def test_make_test_lint_runs_yamllint_as_orb_tools_does():
    """No settings only our own invocation would read: no -c, no -d."""
    lines = [line.split() for line in (REPO / "Makefile").read_text().splitlines() if "bin/yamllint" in line]
    assert len(lines) == 1, lines
    args = lines[0]
    assert "orb/src" in args
    for arg in args:
        assert arg not in ("-c", "--config-file", "-d", "--config-data"), args
        assert not arg.startswith(("--config-file=", "--config-data=")), args


def component_files(src: Path, *kinds: str) -> list[Path]:
    return sorted(p for kind in kinds for p in (src / kind).glob("*.yml"))


def nodes(node, path: tuple = ()):
    """(path, value) of every node of a parsed YAML tree, the root too."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from nodes(value, (*path, key))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from nodes(item, (*path, i))


def as_yq_prints(value) -> str:
    """A scalar as orb-tools' review reads it with `$(yq ...)`: null for a
    missing value, no trailing newline."""
    return "null" if value is None else str(value).rstrip("\n")


def rc001(src: Path, settings: dict) -> list[str]:
    display = yaml.safe_load((src / "@orb.yml").read_text()).get("display") or {}
    return [] if display.get("source_url") else ["@orb.yml has no display.source_url"]


def rc002(src: Path, settings: dict) -> list[str]:
    return [f"{p.relative_to(src)} has no description"
            for p in component_files(src, "jobs", "examples", "commands", "executors")
            if not yaml.safe_load(p.read_text()).get("description")]  # fmt: skip


def rc003(src: Path, settings: dict) -> list[str]:
    return [] if component_files(src, "examples") else ["no usage example in examples/"]


def rc005(src: Path, settings: dict) -> list[str]:
    description = as_yq_prints(yaml.safe_load((src / "@orb.yml").read_text()).get("description"))
    return [] if len(description) >= 64 else [f"the orb's description is under 64 characters: {description!r}"]


def run_steps(path: Path):
    """Every `run` in a job or command file, nested ones (`when:` steps) too."""
    for where, value in nodes(yaml.safe_load(path.read_text())):
        if where and where[-1] == "run":
            yield ".".join(map(str, where)), value


def rc008(src: Path, settings: dict) -> list[str]:
    problems = []
    for path in component_files(src, "jobs", "commands"):
        for where, run in run_steps(path):
            if not isinstance(run, dict) or not run.get("name"):
                problems.append(f"{path.relative_to(src)} {where}: a run step without a name")
    return problems


def rc009(src: Path, settings: dict) -> list[str]:
    limit = int(settings.get("max_command_length", 64))
    problems = []
    for path in component_files(src, "jobs", "commands"):
        for where, run in run_steps(path):
            command = as_yq_prints(run.get("command") if isinstance(run, dict) else run)
            if not isinstance(run, dict) or (len(command) > limit and "<<include(" not in command):
                problems.append(f"{path.relative_to(src)} {where}: a command over {limit} characters, not included")
    return problems


def rc010(src: Path, settings: dict) -> list[str]:
    problems = []
    for path in component_files(src, "jobs", "commands", "executors"):
        if "-" in path.name:
            problems.append(f"{path.relative_to(src)}: the file name is not snake_case")
        for name in yaml.safe_load(path.read_text()).get("parameters") or {}:
            if "-" in name:
                problems.append(f"{path.relative_to(src)}: the parameter {name} is not snake_case")
    return problems


def rc012(src: Path, settings: dict) -> list[str]:
    """A parameter whose default reads an environment variable (`$X`, `${X}`)
    must not reach a `key` (a cache key): the key is computed before any
    variable is set."""
    problems = []
    for path in component_files(src, "jobs", "commands", "executors"):
        source = yaml.safe_load(path.read_text())
        for name, spec in (source.get("parameters") or {}).items():
            default = as_yq_prints((spec or {}).get("default"))
            if "$" not in default or default.endswith("$"):
                continue
            for where, value in nodes(source):
                joined = ".".join(map(str, where))
                if isinstance(value, str) and name in value and joined.endswith("key"):
                    problems.append(f"{path.relative_to(src)} {joined}: uses {name}, whose default is {default}")
    return problems


# The review job's "RC" checks that need no network (RC006 and RC007 fetch
# URLs, RC011 runs only for an orb_name we do not pass, RC004 finds nothing).
REVIEW_CHECKS = {"RC001": rc001, "RC002": rc002, "RC003": rc003, "RC005": rc005,
                 "RC008": rc008, "RC009": rc009, "RC010": rc010, "RC012": rc012}  # fmt: skip


@pytest.mark.parametrize("code", sorted(REVIEW_CHECKS))
def test_orb_passes_orb_tools_review(code, setup_config):
    settings = orb_tools_job(setup_config, "orb-tools/review")
    if code in str(settings.get("exclude", "")).split(","):
        pytest.skip(f"config.yml excludes {code} from orb-tools/review")
    src = REPO / settings.get("source_dir", "./src/")
    problems = REVIEW_CHECKS[code](src, settings)
    assert not problems, f"orb-tools/review would fail {code}:\n" + "\n".join(problems)


def test_the_review_checks_find_what_orb_tools_review_finds(tmp_path):
    """Each check above, on an orb that breaks it: none passes vacuously."""
    src = tmp_path / "src"
    for kind in ("commands", "jobs", "examples"):
        (src / kind).mkdir(parents=True)
    (src / "@orb.yml").write_text("version: 2.1\ndescription: Too short.\n")
    (src / "commands" / "bad-name.yml").write_text(textwrap.dedent("""\
        parameters:
          cache-dir:
            type: string
            default: ${HOME}/cache
        steps:
          - run: echo a run step with no name and no include, longer than sixty-four characters
          - restore_cache:
              key: v1-<< parameters.cache-dir >>
    """))
    found = {code: check(src, {}) for code, check in REVIEW_CHECKS.items()}
    assert all(found.values()), {code: problems for code, problems in found.items() if not problems}


def test_orb_tools_jobs_get_a_vcs_type_they_accept_for_every_kind_of_project(setup_config, test_deploy):
    """orb-tools 12's publish and continue jobs require vcs_type from a fixed
    list and use it only for links and PR comments. `pipeline.project.type`
    is "circleci" for projects connected through the GitHub App, which the
    list lacks, and the config would not compile (orb-tools-orb #248)."""
    accepted = {"gh", "github", "bb", "bitbucket"}
    for name, config in (("config.yml", setup_config), ("test-deploy.yml", test_deploy)):
        for where, key, value in entries(config, name):
            assert not (isinstance(value, str) and "pipeline.project.type" in value), (
                f"{where}.{key}: pipeline.project.type is 'circleci' for GitHub App projects"
            )
        for job, settings in workflow_jobs(config).values():
            if job in ("orb-tools/publish", "orb-tools/continue"):
                assert settings.get("vcs_type") in accepted, f"{name} {job}: vcs_type {settings.get('vcs_type')!r}"


# -- Stage 1: config.yml --------------------------------------------------------------


def test_setup_stage_runs_on_every_tag_and_publishes_the_dev_orb_only_when_all_passed(setup_config):
    assert setup_config["setup"] is True
    jobs = workflow_jobs(setup_config)
    for name, (_, settings) in jobs.items():
        assert runs_for_tag(settings, "v1.2.3"), f"{name} would not run for the release tag v1.2.3"

    publish = jobs["orb-tools/publish"][1]
    assert publish["pub_type"] == "dev"
    assert publish["orb_name"] == "aws-oidc/aws-oidc"
    assert {"test", "pack", "orb-tools/review", "orb-tools/lint", "shellcheck/check"} <= ancestors(
        jobs, "orb-tools/publish"
    )
    cont = jobs["orb-tools/continue"][1]
    assert cont["config_path"] == ".circleci/test-deploy.yml"
    assert cont["inject_orb"] is False, "test-deploy.yml names the published dev orb itself"
    assert "orb-tools/publish" in cont["requires"]


def test_each_target_is_built_and_packed_linux_on_its_own_architecture(setup_config):
    jobs = workflow_jobs(setup_config)
    built = {}
    for name, (job, settings) in jobs.items():
        if job == "build":
            # aarch64 Linux runs natively on arm64; macOS and Windows are cross-built on x86_64.
            arm = settings["resource_class"].startswith("arm.")
            assert arm == (settings["target"] == "aarch64-unknown-linux-musl"), (
                f"{name} builds {settings['target']} on {settings['resource_class']}"
            )
            built[settings["target"]] = name
    assert set(built) == set(ALL_TARGETS)
    assert set(built.values()) <= ancestors(jobs, "pack")
    build_steps = json.dumps(setup_config["jobs"]["build"]["steps"])
    assert "make dist TARGETS=<< parameters.target >>" in build_steps
    assert "restore_cache" not in build_steps, "a shipped binary must not be built from a restored cache"


# -- Stage 2: test-deploy.yml ---------------------------------------------------------


def integration_jobs(test_deploy: dict) -> dict[str, str]:
    """{name in the workflow: job} of the jobs that reach AWS through the integration context."""
    out = {}
    for name, (job, settings) in workflow_jobs(test_deploy).items():
        context = settings.get("context", [])
        if INTEGRATION_CONTEXT in ([context] if isinstance(context, str) else context):
            out[name] = job
    return out


def test_test_deploy_uses_the_dev_orb_of_this_commit(test_deploy):
    aliases = our_aliases(test_deploy["orbs"], lambda ref: ref.startswith("aws-oidc/aws-oidc@"))
    assert aliases, "test-deploy.yml does not use the aws-oidc orb"
    for alias in aliases:
        assert test_deploy["orbs"][alias] == DEV_ORB, f"{alias} is not the dev orb of this pipeline"


def test_the_dev_orb_tested_is_the_one_this_pipeline_published(setup_config):
    """orb-tools publishes dev:<revision> (and dev:alpha) unless told
    otherwise; config.yml must publish exactly the version test-deploy.yml
    uses, and no other."""
    publish = orb_tools_job(setup_config, "orb-tools/publish")
    tags = [tag.strip() for tag in str(publish.get("dev_tags", "")).split(",")]
    assert tags == [DEV_ORB.split("@", 1)[1]], tags


def test_every_orb_command_and_example_is_replayed_by_an_integration_job(test_deploy):
    """What "appears" means here:

    - a command appears when an integration job (one run with the
      aws-oidc-integration context, so against the real role) invokes it
      through an alias bound to the dev orb, e.g. `aws-oidc/install`;
    - an example appears when one integration job replays its orb steps: the
      same commands in the same order, through the example's own alias (so
      the migration example's `aws-cli:` alias is exercised too), each with
      at least the example's parameters, and with the example's value for
      every boolean or enum parameter, since those select what the step does.
      String values may differ: real role ARNs and regions come from the
      context, and download_url points at this pipeline's release mirror.
    """
    dev = our_aliases(test_deploy["orbs"], lambda ref: ref == DEV_ORB)
    runs = {name: orb_steps(test_deploy, job) for name, job in integration_jobs(test_deploy).items()}
    invoked = {step for steps in runs.values() for step, _ in steps}

    commands = sorted(p.stem for p in (ORB_SRC / "commands").glob("*.yml"))
    assert commands
    for command in commands:
        assert any(f"{alias}/{command}" in invoked for alias in dev), (
            f"no integration job invokes the orb command {command}"
        )

    examples = sorted((ORB_SRC / "examples").glob("*.yml"))
    assert examples
    for path in examples:
        usage = yaml.safe_load(path.read_text())["usage"]
        ours = our_aliases(usage["orbs"], lambda ref: ref.startswith("aws-oidc/aws-oidc@"))
        wanted = [step for job in usage["jobs"] for step in orb_steps(usage, job)
                  if step[0].split("/")[0] in ours]
        assert wanted, f"example {path.stem} uses no orb command"
        alias = wanted[0][0].split("/")[0]
        assert alias in dev, f"example {path.stem} uses the alias {alias}, which test-deploy.yml does not bind"
        replayed = [name for name, steps in runs.items() if replays(steps, wanted)]
        assert replayed, f"no integration job replays example {path.stem}: {wanted}"


def test_integration_jobs_pass_only_parameters_the_orb_declares(test_deploy):
    """As CircleCI would refuse to compile them: a misspelt parameter fails here."""
    dev = our_aliases(test_deploy["orbs"], lambda ref: ref == DEV_ORB)
    for job in test_deploy["jobs"]:
        for step, params in orb_steps(test_deploy, job):
            alias, command = step.split("/", 1)
            if alias in dev:
                assert (ORB_SRC / "commands" / f"{command}.yml").is_file(), f"{job}: the orb has no command {command}"
                unknown = set(params) - set(parameter_types(command))
                assert not unknown, f"{job}: {step} has no parameter {sorted(unknown)}"


def replays(steps: list[tuple[str, dict]], wanted: list[tuple[str, dict]]) -> bool:
    """Is `wanted` a subsequence of `steps`, step by step as the docstring above says?"""
    i = 0
    for name, params in steps:
        if i < len(wanted) and matches(name, params, *wanted[i]):
            i += 1
    return i == len(wanted)


def matches(name: str, params: dict, wanted_name: str, wanted: dict) -> bool:
    if name != wanted_name or not set(wanted) <= set(params):
        return False
    types = parameter_types(name.split("/")[1])
    return all(params[k] == v for k, v in wanted.items() if types.get(k) in ("boolean", "enum"))


def test_release_waits_for_every_integration_job_and_runs_on_release_tags_only(test_deploy):
    jobs = workflow_jobs(test_deploy)
    publish = [n for n, (job, s) in jobs.items() if job == "orb-tools/publish"]
    assert len(publish) == 1
    name = publish[0]
    settings = jobs[name][1]
    assert settings["pub_type"] == "production"
    assert settings["orb_name"] == "aws-oidc/aws-oidc"

    before = ancestors(jobs, name)
    assert "github-release" in before, "the orb would be published before its binaries are"
    assert set(integration_jobs(test_deploy)) <= before
    assert set(integration_jobs(test_deploy)) <= ancestors(jobs, "github-release")
    assert len(integration_jobs(test_deploy)) >= 4

    for release_job in (name, "github-release"):
        s = jobs[release_job][1]
        assert s["filters"]["tags"]["only"] == RELEASE_TAG
        assert not runs_for_branch(s), f"{release_job} would run on a branch"
        for tag in ("v0.1.0", "v12.3.45"):
            assert runs_for_tag(s, tag), (release_job, tag)
        for tag in ("v0.1", "0.1.0", "v0.1.0-rc.1", "release-v0.1.0"):
            assert not runs_for_tag(s, tag), (release_job, tag)
    for job in before:
        assert runs_for_tag(jobs[job][1], "v0.1.0"), f"{job} does not run for tags, so the release never would"


def test_release_files_cross_from_the_setup_workflow_through_one_cache_key(setup_config, test_deploy):
    """Workspaces stay in their workflow: the pack job saves the release to a
    cache keyed by this pipeline and commit, and test-deploy restores it.
    restore_cache takes the newest cache whose key starts with the key it is
    given, so no pipeline's key may start another's (12 and 120)."""
    def cache_keys(config, kind):
        found = set()
        for _, key, value in entries(config):
            if key == kind:
                found.update([value["key"]] if "key" in value else value["keys"])
        return found

    saved = {k for k in cache_keys(setup_config["jobs"]["pack"], "save_cache")}
    restored = cache_keys(test_deploy, "restore_cache")
    assert len(saved) == 1 and restored == saved, (saved, restored)
    # A rerun of pack restores what its first run saved, which save_cache
    # will keep, and pack-release.sh stops if the rebuilt archives differ.
    steps = json.dumps(setup_config["jobs"]["pack"]["steps"])
    assert cache_keys(setup_config["jobs"]["pack"], "restore_cache") == saved
    assert steps.index("restore_cache") < steps.index("pack-release.sh") < steps.index("save_cache")
    key = next(iter(saved))
    assert "{{ .Revision }}" in key and "<< pipeline.number >>" in key

    def rendered(revision: str, number: int) -> str:
        return key.replace("{{ .Revision }}", revision).replace("<< pipeline.number >>", str(number))

    assert not re.search(r"{{|<<", rendered("0" * 40, 1)), f"{key}: another template, which test-deploy cannot match"
    keys = [rendered(revision, n) for revision in ("a" * 40, "b" * 40) for n in (1, 2, 12, 120, 1200)]
    for mine in keys:
        for other in keys:
            assert mine == other or not other.startswith(mine), f"restoring {mine} may restore {other}"
    pack = json.dumps(setup_config["jobs"]["pack"])
    assert "/tmp/aws-oidc-release" in pack
    assert "release=/tmp/aws-oidc-release" in (CIRCLECI / "scripts/release-mirror.sh").read_text()


# -- github-release.sh against a fake GitHub -----------------------------------------


class FakeGitHub(LoopbackServer):
    """Enough of GitHub on 127.0.0.1 for github-release.sh: the releases API
    (drafts, published releases, their files), the upload endpoint, and the
    public download URL, which serves published releases only.
    `fail_upload` names a file whose upload breaks off once, leaving a
    half-uploaded ("starter") file, as a dropped connection does."""

    def __init__(self, slug: str, token: str) -> None:
        self.releases: list[dict] = []
        self.calls: list[str] = []
        self.fail_upload: str | None = None
        github = self

        class Handler(StandInHandler):
            def answer(self, status: int, body=None, raw: bytes | None = None):
                self.send_body(status, raw if raw is not None else b"" if body is None else json.dumps(body).encode())

            def handle_any(self):
                url = urllib.parse.urlsplit(self.path)
                github.calls.append(f"{self.command} {url.path}")
                body = self.request_body()
                if url.path.startswith(f"/{slug}/releases/download/"):
                    tag, name = url.path.rsplit("/", 2)[-2:]
                    asset = github.asset(github.published(tag), name)
                    return self.answer(200, raw=asset["data"]) if asset else self.answer(404, raw=b"Not Found")
                if self.headers.get("Authorization") != f"Bearer {token}":
                    return self.answer(401, {"message": "Bad credentials"})
                status, reply = github.api(self.command, url.path, urllib.parse.parse_qs(url.query), body)
                self.answer(status, reply)

            do_GET = do_POST = do_PATCH = do_DELETE = handle_any  # noqa: N815

        super().__init__(Handler)
        self.slug = slug

    def published(self, tag: str) -> dict | None:
        return next((r for r in self.releases if r["tag_name"] == tag and not r["draft"]), None)

    @staticmethod
    def asset(release: dict | None, name: str) -> dict | None:
        return next((a for a in (release or {}).get("assets", []) if a["name"] == name), None)

    def add_release(self, tag: str, draft: bool, files: dict[str, bytes]) -> dict:
        release = {"id": len(self.releases) + 1, "tag_name": tag, "name": tag, "body": "", "draft": draft,
                   "upload_url": f"{self.url}/uploads/{len(self.releases) + 1}/assets{{?name,label}}", "assets": []}  # fmt: skip
        self.releases.insert(0, release)
        for name, data in files.items():
            self.upload(release, name, data)
        return release

    def upload(self, release: dict, name: str, data: bytes, state: str = "uploaded") -> dict:
        asset = {"id": 1000 + sum(len(r["assets"]) for r in self.releases), "name": name, "size": len(data),
                 "state": state, "data": data}  # fmt: skip
        release["assets"].append(asset)
        return asset

    def view(self, release: dict) -> dict:
        return {**release, "assets": [{k: v for k, v in a.items() if k != "data"} for a in release["assets"]]}

    def api(self, method: str, path: str, query: dict, body: bytes) -> tuple[int, object]:
        by_id = {str(r["id"]): r for r in self.releases}
        parts = path.strip("/").split("/")
        repo = f"/repos/{self.slug}/releases"
        if method == "GET" and path.startswith(f"{repo}/tags/"):
            release = self.published(parts[-1])
            return (200, self.view(release)) if release else (404, {"message": "Not Found"})
        if method == "GET" and path == repo:
            return 200, [self.view(r) for r in self.releases]
        if method == "POST" and path == repo:
            fields = json.loads(body)
            if self.published(fields["tag_name"]):
                return 422, {"message": "Validation Failed: tag_name already_exists"}
            release = self.add_release(fields["tag_name"], fields.get("draft", False), {})
            release.update(name=fields["name"], body=fields["body"])
            return 201, self.view(release)
        if path.startswith(f"{repo}/assets/") and method == "DELETE":
            for release in self.releases:
                release["assets"] = [a for a in release["assets"] if str(a["id"]) != parts[-1]]
            return 204, None
        if path.startswith(f"{repo}/") and parts[-1] in by_id:
            release = by_id[parts[-1]]
            if method == "PATCH":
                release.update(json.loads(body))
            return 200, self.view(release)
        if method == "POST" and parts[0] == "uploads" and parts[1] in by_id:
            release, name = by_id[parts[1]], query["name"][0]
            if self.asset(release, name):
                return 422, {"message": "Validation Failed: name already_exists"}
            if name == self.fail_upload:
                self.fail_upload = None
                self.upload(release, name, body[: len(body) // 2], state="starter")
                return 502, {"message": "Server Error"}
            return 201, {k: v for k, v in self.upload(release, name, body).items() if k != "data"}
        return 404, {"message": "Not Found"}


# Clearly fake, and not shaped like a GitHub token, so no secret scanner stops on it.
GITHUB_TOKEN = "fake-token-for-the-loopback-github"


def release_version_and_slug() -> tuple[str, str]:
    with open(REPO / "Cargo.toml", "rb") as f:
        package = tomllib.load(f)["workspace"]["package"]
    return package["version"], package["repository"].removeprefix("https://github.com/")


def release_files(directory: Path, seed: str) -> dict[str, bytes]:
    """A pipeline's release as the pack job leaves it: every target's
    archives (stand-ins: their bytes depend on `seed`) and SHA256SUMS."""
    version, _ = release_version_and_slug()
    files = {archive_name(version, target, fmt): f"{seed} {target} {fmt}\n".encode() * 1000
             for target in ALL_TARGETS for fmt in ARCHIVE_FORMATS}  # fmt: skip
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                                  for name, data in files.items()).encode()  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return files


@pytest.fixture
def github():
    _, slug = release_version_and_slug()
    with FakeGitHub(slug, GITHUB_TOKEN) as server:
        yield server


def github_release(github: FakeGitHub, release: Path) -> subprocess.CompletedProcess:
    """.circleci/scripts/github-release.sh as the tag's github-release job runs it."""
    version, slug = release_version_and_slug()
    owner, name = slug.split("/")
    env = {"PATH": os.environ["PATH"], "HOME": str(release.parent), "CIRCLE_TAG": f"v{version}",
           "CIRCLE_PROJECT_USERNAME": owner, "CIRCLE_PROJECT_REPONAME": name, "GITHUB_TOKEN": GITHUB_TOKEN,
           "GITHUB_API_URL": github.url, "GITHUB_SERVER_URL": github.url, "AWS_OIDC_RELEASE_DIR": str(release)}  # fmt: skip
    return subprocess.run(["sh", str(CIRCLECI / "scripts/github-release.sh")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def assert_released(github: FakeGitHub, files: dict[str, bytes]) -> None:
    version, _ = release_version_and_slug()
    assert len(github.releases) == 1, github.releases
    release = github.published(f"v{version}")
    assert release, "the release is not published"
    assert {a["name"]: (a["state"], a["data"]) for a in release["assets"]} == {
        name: ("uploaded", data) for name, data in files.items()
    }
    assert files["SHA256SUMS"].decode() in release["body"], "the notes do not list this pipeline's sums"


def test_github_release_publishes_the_pipelines_files_and_a_rerun_only_checks_them(github, tmp_path):
    files = release_files(tmp_path / "release", "pipeline 7")
    first = github_release(github, tmp_path / "release")
    assert first.returncode == 0, first.stdout + first.stderr
    assert_released(github, files)
    assert GITHUB_TOKEN not in first.stdout + first.stderr

    github.calls.clear()
    rerun = github_release(github, tmp_path / "release")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "is already published" in rerun.stdout
    assert not [call for call in github.calls if not call.startswith("GET ")], "a rerun changed the release"
    assert_released(github, files)


def test_github_release_rerun_finishes_a_release_that_stopped_half_way(github, tmp_path):
    """The upload of one archive breaks off: the job fails, saying to rerun,
    and leaves a draft nobody can download. The rerun takes the draft over."""
    files = release_files(tmp_path / "release", "pipeline 7")
    broken = next(name for name in files if name.endswith(".tar.gz"))
    github.fail_upload = broken
    first = github_release(github, tmp_path / "release")
    assert first.returncode != 0
    assert f"uploading {broken}" in first.stderr and "rerun this job from failed" in first.stderr, first.stderr
    version, _ = release_version_and_slug()
    assert [r["draft"] for r in github.releases] == [True] and not github.published(f"v{version}")

    rerun = github_release(github, tmp_path / "release")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "A draft release" in rerun.stdout
    assert_released(github, files)


def test_github_release_takes_over_a_draft_with_another_pipelines_files(github, tmp_path):
    version, _ = release_version_and_slug()
    github.add_release(f"v{version}", draft=True, files=release_files(tmp_path / "earlier", "pipeline 6"))
    files = release_files(tmp_path / "release", "pipeline 7")
    proc = github_release(github, tmp_path / "release")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert_released(github, files)


@pytest.mark.parametrize("published", ["another pipeline's files", "a file missing"])
def test_github_release_never_changes_a_published_release_and_says_what_to_do(github, tmp_path, published):
    version, slug = release_version_and_slug()
    files = release_files(tmp_path / "release", "pipeline 7")
    if published == "a file missing":
        theirs = {name: data for name, data in files.items() if not name.endswith(".tar.zst")}
    else:
        theirs = release_files(tmp_path / "earlier", "pipeline 6")
    release = github.add_release(f"v{version}", draft=False, files=theirs)
    before = json.dumps(github.view(release))

    proc = github_release(github, tmp_path / "release")
    assert proc.returncode != 0
    assert f"the published release v{version} is not this pipeline's" in proc.stderr, proc.stderr
    assert f"circleci orb info aws-oidc/aws-oidc@{version}" in proc.stderr
    assert f"gh release delete v{version} --repo {slug} --yes" in proc.stderr
    assert json.dumps(github.view(release)) == before and len(github.releases) == 1


def test_pack_rerun_stops_when_its_archives_differ_from_the_saved_ones(tmp_path):
    """A rerun of pack in the same pipeline restores what its first run saved,
    and save_cache will keep that: if this run built other archives, stage 2
    would test those against this run's pins, so pack-release.sh stops first,
    before packing anything."""
    sandbox = tmp_path / "checkout"
    for path in ("Cargo.toml", "tools/dist.sh", ".circleci/scripts/pack-release.sh"):
        (sandbox / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, sandbox / path)
    built = release_files(sandbox / "dist", "this run")
    (sandbox / "dist" / "SHA256SUMS").unlink()  # pack-release.sh writes it
    release_files(tmp_path / "saved", "the first run")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "cargo").write_text("#!/bin/sh\necho cargo ran >&2\nexit 1\n")
    (tmp_path / "bin" / "cargo").chmod(0o755)
    env = {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "AWS_OIDC_RELEASE_DIR": str(tmp_path / "saved")}
    proc = subprocess.run(["sh", ".circleci/scripts/pack-release.sh"], cwd=sandbox, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode != 0
    assert "already saved a release with other archives" in proc.stderr and "start a new pipeline" in proc.stderr, proc.stderr
    assert "cargo ran" not in proc.stderr
    written = (sandbox / "dist" / "SHA256SUMS").read_text().splitlines()
    assert sorted(written) == sorted(built["SHA256SUMS"].decode().splitlines()), "the guard compared other sums"


def test_the_release_goes_where_the_orb_downloads_from():
    """github-release.sh uploads to Cargo.toml's repository; the orb's
    default download_url must be that repository's release downloads."""
    with open(REPO / "Cargo.toml", "rb") as f:
        repository = tomllib.load(f)["workspace"]["package"]["repository"]
    commands = [p for p in sorted((ORB_SRC / "commands").glob("*.yml"))
                if "download_url" in (yaml.safe_load(p.read_text()).get("parameters") or {})]
    assert {"install_aws_oidc.yml", "setup.yml"} <= {p.name for p in commands}
    for path in commands:
        source = yaml.safe_load(path.read_text())
        assert source["parameters"]["download_url"]["default"] == f"{repository}/releases/download", path.name


def test_no_long_lived_aws_key_anywhere(setup_config, test_deploy):
    """The pipeline gets AWS credentials only from its own orb: no key in any
    environment, no static-key parameter, no other AWS orb, no key ID."""
    forbidden_env = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    forbidden_params = {"aws_access_key_id", "aws_secret_access_key"}

    for name, config in (("config.yml", setup_config), ("test-deploy.yml", test_deploy)):
        for where, key, value in entries(config, name):
            assert key not in forbidden_params, f"{where}: static-key parameter {key}"
            if key == "environment" and isinstance(value, dict):
                assert not forbidden_env & set(value), f"{where}: AWS key in an environment"
        for ref in config.get("orbs", {}).values():
            assert not str(ref).startswith("circleci/aws-cli@"), f"{name}: AWS credentials from another orb"
    for path in CIRCLECI.rglob("*"):
        if path.is_file():
            assert not re.search(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", path.read_text()), f"{path}: an AWS key ID"
