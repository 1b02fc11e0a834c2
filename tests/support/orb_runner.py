"""Runs a CircleCI job's steps offline, the way CircleCI compiles the config
and its step runner runs each step.

CircleCI itself cannot be reached from here, so this stands in for it. A
stand-in that models what we assume would only certify our assumptions:
every rule below names where CircleCI documents it (its docs page, or the
file of circleci-cli, the CLI CircleCI ships, that implements it), and
tests/orb/test_runner.py holds each rule with a test of its own. What the
runner does not model it refuses with a ConfigError, never passes through.

Compiling (before any step runs, as CircleCI rejects a bad config before
the job starts):

- R1 an orb command invocation (`<alias>/<name>: {...}`) becomes that
  command's steps, recursively; the config's own `commands:` work the same
  ("Reusable config reference": Authoring reusable commands).
- R2 parameters are checked against the declarations: unknown names,
  missing required ones, wrong types (`string`, `boolean`, `integer`,
  `enum`, `env_var_name`, `steps`) are errors; defaults apply
  ("Reusable config reference": Parameter syntax, Parameter types).
  YAML 1.1 booleans (`yes`, `on`, ...) are booleans (same page: Boolean).
- R3 `<< parameters.x >>` of an undeclared x, `<< pipeline.x >>` that is no
  pipeline value, a misspelt namespace (`<< paramaters.x >>`), a mustache
  block (`<<# p >>`, `<<^ p >>`) and `<< matrix.x >>` are errors here
  (the first three are errors in CircleCI: "Pipeline values and
  parameters"; the last two are not modelled).
- R4 a boolean parameter placed wholly in a `run` step's `environment`
  reaches the script as `1` or `0`; inside text (`command`, `name`) it is
  written `true` or `false` (circleci-docs issue #5304 and the note added
  by circleci-docs PR #5358 to "Reusable config reference": Boolean; the
  official aws-cli orb's scripts test `= 1`). A value that is wholly one
  parameter keeps its type in conditions (`when: condition:`).
- R5 `$VAR` in `environment` values is passed as written, not expanded
  ("Set an environment variable": environment values are literal).
- R6 `\\<<` in a command becomes `<<` (`circleci orb pack` escapes a
  script's `<<`: circleci-cli `process/process.go`, and compiling undoes it).
- R7 `when:`/`unless:` steps with `and`, `or`, `not`, `equal`, `matches`;
  an empty `and`/`or` is an error ("Configuration reference": Logic
  statements).
- R8 pipeline values `<< pipeline.id >>`, `.number`, `.git.branch`,
  `.git.revision`, `.project.git_url`, `.project.type`, `.trigger_source`,
  and `<< pipeline.parameters.x >>` of the config's `parameters:`
  ("Pipeline values and parameters").
- R9 the job's `executor:` (`<alias>/<name>` or a mapping with `name` and
  parameters) names one of the orb's executors or the config's own, its
  parameters checked; an unknown executor is an error ("Reusable config
  reference": Authoring reusable executors). The image is not pulled:
  steps run on this machine.

Running:

- R10 the shell: `/bin/bash -eo pipefail` where the image has bash, else
  `/bin/sh -eo pipefail`; an explicit `shell:` replaces both the program
  and the flags (so `shell: /bin/sh` runs without `-e`); a step's `shell:`
  beats the job's, which beats the executor's ("Configuration reference":
  Default shell options, `shell`). macOS (`/bin/bash --login -eo
  pipefail`) and Windows (PowerShell) images cannot run here and are
  refused.
- R11 `$BASH_ENV` names a per-job file, created on its first write
  (`/tmp/.bash_env-<job>-0-build` on CircleCI); bash reads it at start-up,
  before `-e` applies and ignoring its status; `/bin/sh` (dash, busybox)
  does not read it ("Set an environment variable": Set an environment
  variable in a shell command; Alpine and `BASH_ENV`). The runner adds
  nothing to the script: what reads `$BASH_ENV` is the shell itself.
- R12 every step gets CircleCI's built-in variables ("Project values and
  variables"): CI, CIRCLECI, CIRCLE_BRANCH, CIRCLE_BUILD_NUM,
  CIRCLE_BUILD_URL, CIRCLE_JOB (the job's name), CIRCLE_PROJECT_USERNAME,
  CIRCLE_PROJECT_REPONAME, CIRCLE_SHA1, CIRCLE_WORKFLOW_ID,
  CIRCLE_WORKFLOW_JOB_ID, CIRCLE_ORGANIZATION_ID, CIRCLE_PROJECT_ID,
  CIRCLE_PIPELINE_ID, CIRCLE_WORKING_DIRECTORY; the caller's environment
  (a context, the project's variables) comes over them, then the
  executor's, the job's and the step's `environment`, each over the last
  ("Introduction to environment variables": order of precedence). A
  `circleci` CLI is on PATH ("Using the CircleCI CLI": the CLI is in every
  job): the stand-in in support/circleci_cli.py, with `env subst` as
  circleci-cli's `cmd/env.go` does it (a8m/envsubst).
- R13 a step's `when: on_success|on_fail|always` after a failed step
  ("Configuration reference": `run`, `when`); a failed step fails the job.

Built-in steps that need CircleCI itself (`checkout`, caches, workspaces)
are recorded as skipped. Nothing here knows about aws-oidc: the tests bring
the world (HOME, PATH, servers, tokens).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: `<< parameters.x >>` not escaped as `\<<` (R3, R4).
PARAMETER = re.compile(r"(?<!\\)<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>")
#: `<< pipeline.x >>` (R8).
PIPELINE = re.compile(r"(?<!\\)<<\s*pipeline\.([A-Za-z0-9_.-]+)\s*>>")
#: Any other `<< a.b >>` left after substitution: a misspelt namespace or
#: one not modelled (R3). A dotted name inside is what makes it a template:
#: a here-document such as `cat <<EOF >> file` has none.
TEMPLATE = re.compile(r"(?<!\\)<<\s*([A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z0-9_.-]+)\s*>>")
#: Mustache blocks (R3): not modelled.
MUSTACHE = re.compile(r"(?<!\\)<<\s*[#^/]")
#: "Reusable config reference": env_var_name must be a POSIX name.
ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Steps that only mean something on CircleCI; the runner skips them.
NOOP_STEPS = {
    "checkout",
    "setup_remote_docker",
    "save_cache",
    "restore_cache",
    "store_artifacts",
    "store_test_results",
    "persist_to_workspace",
    "attach_workspace",
    "add_ssh_keys",
}

#: R10: the shells CircleCI starts a step with, per kind of image.
IMAGE_SHELLS = {
    # Where the image has bash.
    "linux": ["/bin/bash", "-eo", "pipefail"],
    # Alpine: /bin/sh is busybox's.
    "alpine": ["busybox", "sh", "-eo", "pipefail"],
}

#: The stand-in `circleci` CLI (R12).
CIRCLECI_CLI = Path(__file__).with_name("circleci_cli.py")


class ConfigError(Exception):
    """The config would be rejected by CircleCI before the job starts, or
    uses something this runner does not model."""


@dataclass
class RunStep:
    """A `run` step after expansion: what the shell will be given."""

    name: str
    command: str
    environment: dict[str, str]
    when: str = "on_success"
    shell: list[str] | None = None


@dataclass
class StepResult:
    name: str
    status: str  # "success", "failed", "skipped"
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __repr__(self) -> str:  # short: test failures print it
        return f"<step {self.name!r} {self.status} rc={self.returncode}>"


@dataclass
class JobResult:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.steps)

    @property
    def output(self) -> str:
        return "".join(s.output for s in self.steps)

    def step(self, name: str) -> StepResult:
        """The one step called `name` (or whose name starts with it)."""
        found = [s for s in self.steps if s.name == name] or [
            s for s in self.steps if s.name.startswith(name)
        ]
        if len(found) != 1:
            raise KeyError(f"{len(found)} steps named {name!r}: {[s.name for s in self.steps]}")
        return found[0]

    def ran(self) -> list[str]:
        return [s.name for s in self.steps if s.status != "skipped"]

    def describe(self) -> str:
        """Each step's name, status and output, for a failing assertion."""
        return "\n".join(
            f"--- {s.name}: {s.status} (rc={s.returncode})\n{s.output}" for s in self.steps
        )


@dataclass
class _Scope:
    """The commands a step list can name: an orb's own, or the config's."""

    commands: dict[str, tuple[dict, "_Scope"]]


@dataclass
class ExpandedJob:
    """A job after compiling: its run steps, environment and shell."""

    steps: list[RunStep]
    environment: dict[str, str]
    shell: list[str] | None
    name: str


class Runner:
    """Runs jobs of configs that use the packed orb `orb`.

    `image` says what the job's image is: "linux" (has bash) or "alpine"
    (busybox sh only), which decides the default shell (R10). `shell`, when
    given, is what a job-level `shell:` would say: it replaces the default
    for every step without one of its own.

    `orb_defaults` changes the default of orb parameters that exist (e.g. a
    `download_url` pointing at a loopback mirror), as if the orb had been
    published with them; nothing else in the orb is touched.
    """

    def __init__(
        self,
        orb: dict,
        env: dict[str, str],
        workdir: Path,
        *,
        image: str = "linux",
        shell: list[str] | None = None,
        orb_defaults: dict[str, Any] | None = None,
        timeout: float = 120,
    ) -> None:
        if image not in IMAGE_SHELLS:
            raise ConfigError(f"image {image!r} cannot run here: one of {sorted(IMAGE_SHELLS)}")
        self.orb = _with_defaults(orb, orb_defaults or {})
        self.env = dict(env)
        self.workdir = Path(workdir)
        self.image = image
        self.shell = shell
        self.timeout = timeout
        self._count = 0
        self.pipeline_id = str(uuid.uuid4())

    # -- compiling -------------------------------------------------------------

    def expand_job(self, config: dict | str, job: str | None = None) -> tuple[list[RunStep], dict]:
        """The `run` steps of `job` (the only job if None) and the job's environment."""
        expanded = self.compile(config, job)
        return expanded.steps, expanded.environment

    def compile(self, config: dict | str, job: str | None = None) -> ExpandedJob:
        config, job, definition = _job(config, job)
        pipeline = self._pipeline_values(config)
        executor = self.executor(config, job) or {}
        # Inside the orb its commands go by their own names; in the config, by
        # `<alias>/<name>` for every orb the config declares (all are this orb).
        orb_scope = _Scope({})
        for name, command in (self.orb.get("commands") or {}).items():
            orb_scope.commands[name] = (command, orb_scope)
        config_scope = _Scope({})
        for alias in config.get("orbs") or {}:
            for name, entry in orb_scope.commands.items():
                config_scope.commands[f"{alias}/{name}"] = entry
        for name, command in (config.get("commands") or {}).items():
            config_scope.commands[name] = (command, config_scope)
        params = _bind(definition.get("parameters") or {}, {}, f"job {job}")
        definition = _substitute(_pipeline(definition, pipeline), params)
        steps = self._expand(definition.get("steps") or [], config_scope)
        # R12: the executor's environment first; the job's own wins.
        environment = {k: _env_text(v, k) for k, v in (executor.get("environment") or {}).items()}
        environment.update({k: _env_text(v, k) for k, v in (definition.get("environment") or {}).items()})
        # R10: the job's `shell:`, else the executor's.
        shell = definition.get("shell") or executor.get("shell")
        return ExpandedJob(steps, environment, _shell_words(shell) if shell else None, job)

    def executor(self, config: dict | str, job: str | None = None) -> dict | None:
        """The executor `job` names, resolved as CircleCI resolves it (R9);
        None for a job that names its image itself (`docker:`, `machine:`)."""
        config, job, definition = _job(config, job)
        reference = definition.get("executor")
        if reference is None:
            return None
        if isinstance(reference, dict):
            args = dict(reference)
            name = args.pop("name", None)
        else:
            name, args = reference, {}
        if not isinstance(name, str):
            raise ConfigError(f"job {job}: executor {reference!r} has no name")
        executors = {f"{alias}/{n}": e for alias in config.get("orbs") or {}
                     for n, e in (self.orb.get("executors") or {}).items()}
        executors.update(config.get("executors") or {})
        if name not in executors:
            raise ConfigError(f"job {job}: unknown executor {name!r}, not one of {sorted(executors)}")
        declared = executors[name]
        params = _bind(declared.get("parameters") or {}, args, f"executor {name}")
        body = {k: v for k, v in declared.items() if k not in ("description", "parameters")}
        return _substitute(body, params)

    def _pipeline_values(self, config: dict) -> dict[str, Any]:
        """R8: the pipeline values a config may name."""
        values: dict[str, Any] = {
            "id": self.pipeline_id,
            "number": 7,
            "git.branch": self.env.get("CIRCLE_BRANCH", "main"),
            "git.revision": self.env.get("CIRCLE_SHA1", "0" * 40),
            "project.git_url": "https://github.com/example-org/example-app",
            "project.type": "github",
            "trigger_source": "webapp",
        }
        declared = config.get("parameters") or {}
        for name, value in _bind(declared, {}, "pipeline parameters").items():
            values[f"parameters.{name}"] = value
        return values

    def _expand(self, steps: list, scope: _Scope) -> list[RunStep]:
        out: list[RunStep] = []
        for step in steps:
            if isinstance(step, str):
                name, args = step, {}
            elif isinstance(step, dict) and len(step) == 1:
                ((name, args),) = step.items()
                args = {} if args is None else args
            else:
                raise ConfigError(f"a step is a name or a one-key mapping, got {step!r}")
            if name == "run":
                out.append(_run_step(args))
            elif name in ("when", "unless"):
                holds = _truthy(_condition(args.get("condition")))
                if holds == (name == "when"):
                    out.extend(self._expand(args.get("steps") or [], scope))
            elif name == "steps":
                # A `steps` parameter's value, placed as a step (R2).
                if not isinstance(args, list):
                    raise ConfigError(f"steps: expects a list of steps, got {args!r}")
                out.extend(self._expand(args, scope))
            elif name in NOOP_STEPS:
                out.append(RunStep(name=name, command="", environment={}, when="skip"))
            elif name in scope.commands:
                command, inner = scope.commands[name]
                params = _bind(command.get("parameters") or {}, args, f"command {name}")
                body = _substitute(command.get("steps") or [], params)
                out.extend(self._expand(body, inner))
            else:
                raise ConfigError(f"unknown step or command {name!r}")
        return out

    # -- running ---------------------------------------------------------------

    def run(self, config: dict | str, job: str | None = None) -> JobResult:
        """Compiles and runs a job; a failing step fails the job, not the call."""
        compiled = self.compile(config, job)
        return self.run_steps(compiled.steps, compiled.environment, shell=compiled.shell, job=compiled.name)

    def run_steps(self, steps: list[RunStep], job_env: dict[str, str] | None = None, *,
                  shell: list[str] | None = None, job: str = "build") -> JobResult:
        result = JobResult()
        failed = False
        env = {**self.builtins(job), **self.env, **(job_env or {})}
        for step in steps:
            wanted = {
                "on_success": not failed,
                "on_fail": failed,
                "always": True,
                "skip": False,
            }[step.when]
            if not wanted:
                result.steps.append(StepResult(step.name, "skipped"))
                continue
            outcome = self._execute(step, env, step.shell or shell or self.shell or IMAGE_SHELLS[self.image])
            failed = failed or outcome.status == "failed"
            result.steps.append(outcome)
        return result

    def builtins(self, job: str) -> dict[str, str]:
        """R11, R12: what CircleCI sets in every step of a job."""
        workflow_job = str(uuid.uuid4())
        cli_dir = self.workdir.parent / f"{self.workdir.name}-circleci-cli"
        cli_dir.mkdir(parents=True, exist_ok=True)
        cli = cli_dir / "circleci"
        if not cli.exists():
            # /bin/sh by its path: a test may leave the step's PATH without python.
            cli.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{CIRCLECI_CLI}' \"$@\"\n")
            cli.chmod(0o755)
        tmp = Path(self.env.get("TMPDIR") or self.workdir.parent)
        return {
            "CI": "true",
            "CIRCLECI": "true",
            "CIRCLE_BRANCH": "main",
            "CIRCLE_BUILD_NUM": "42",
            "CIRCLE_BUILD_URL": "https://app.circleci.com/pipelines/github/example-org/example-app/7/workflows/"
                                f"{workflow_job}/jobs/42",
            "CIRCLE_JOB": job,
            "CIRCLE_PROJECT_USERNAME": "example-org",
            "CIRCLE_PROJECT_REPONAME": "example-app",
            "CIRCLE_SHA1": "3f786850e387550fdab836ed7e6dc881de23001b",
            "CIRCLE_WORKFLOW_ID": str(uuid.uuid4()),
            "CIRCLE_WORKFLOW_JOB_ID": workflow_job,
            "CIRCLE_ORGANIZATION_ID": "9f1b7c2e-4d5a-4e8b-9c3d-2a1b0c9d8e7f",
            "CIRCLE_PROJECT_ID": "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716",
            "CIRCLE_PIPELINE_ID": self.pipeline_id,
            "CIRCLE_WORKING_DIRECTORY": str(self.workdir),
            "BASH_ENV": str(tmp / f".bash_env-{workflow_job}-0-build"),
            # The caller's PATH is put over this one; `circleci` goes first
            # in _execute so that a test's own PATH keeps it.
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "AWS_OIDC_RUNNER_CIRCLECI_DIR": str(cli_dir),
        }

    def _execute(self, step: RunStep, job_env: dict[str, str], shell: list[str]) -> StepResult:
        self._count += 1
        self.workdir.mkdir(parents=True, exist_ok=True)
        scripts = self.workdir.parent / f"{self.workdir.name}-steps"
        scripts.mkdir(exist_ok=True)
        script = scripts / f"{self._count:02d}.sh"
        script.write_text(step.command)
        env = {**job_env, **step.environment}
        cli_dir = env.pop("AWS_OIDC_RUNNER_CIRCLECI_DIR")
        env["PATH"] = f"{cli_dir}:{env.get('PATH', '')}"
        shell = list(shell)
        # The shell is found on the test machine's PATH, not the step's.
        shell[0] = shutil.which(shell[0]) or shell[0]
        try:
            proc = subprocess.run(
                [*shell, str(script)],
                cwd=self.workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as e:
            return StepResult(step.name, "failed", None, _str(e.stdout), _str(e.stderr) + "\n[timed out]")
        status = "success" if proc.returncode == 0 else "failed"
        return StepResult(step.name, status, proc.returncode, proc.stdout, proc.stderr)


# -- parameters ----------------------------------------------------------------


def _job(config: dict | str, job: str | None) -> tuple[dict, str, dict]:
    """The parsed config, the job's name (the only job's if None) and its definition."""
    if isinstance(config, str):
        config = yaml.safe_load(config)
    jobs = config.get("jobs") or {}
    if job is None:
        if len(jobs) != 1:
            raise ConfigError(f"name the job to run, one of {sorted(jobs)}")
        job = next(iter(jobs))
    if job not in jobs:
        raise ConfigError(f"no job {job!r} in the config")
    return config, job, jobs[job]


def _with_defaults(orb: dict, defaults: dict[str, Any]) -> dict:
    """A copy of `orb` whose commands' parameters in `defaults` default differently."""
    orb = copy.deepcopy(orb)
    for command in (orb.get("commands") or {}).values():
        for name, declaration in (command.get("parameters") or {}).items():
            if name in defaults:
                declaration["default"] = defaults[name]
    return orb


def _bind(declared: dict, given: dict, where: str) -> dict:
    """R2: parameter values for one invocation, checked as CircleCI does."""
    unknown = set(given) - set(declared)
    if unknown:
        raise ConfigError(f"{where}: unknown parameters {sorted(unknown)}")
    values = {}
    for name, declaration in declared.items():
        if name in given:
            value = given[name]
        elif "default" in declaration:
            value = declaration["default"]
        else:
            raise ConfigError(f"{where}: parameter {name} is required")
        kind = declaration.get("type", "string")
        if kind == "boolean" and not isinstance(value, bool):
            raise ConfigError(f"{where}: {name} must be a boolean, got {value!r}")
        if kind in ("string", "env_var_name") and not isinstance(value, str):
            raise ConfigError(f"{where}: {name} must be a string, got {value!r}")
        if kind == "env_var_name" and not ENV_VAR_NAME.fullmatch(value):
            raise ConfigError(f"{where}: {name} must be the name of an environment variable, got {value!r}")
        if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{where}: {name} must be an integer, got {value!r}")
        if kind == "enum" and value not in declaration.get("enum", []):
            raise ConfigError(f"{where}: {name} must be one of {declaration.get('enum')}, got {value!r}")
        if kind == "steps" and not isinstance(value, list):
            raise ConfigError(f"{where}: {name} must be a list of steps, got {value!r}")
        if kind not in ("string", "boolean", "integer", "enum", "env_var_name", "steps"):
            raise ConfigError(f"{where}: {name} has type {kind!r}, which this runner does not model")
        values[name] = value
    return values


def _substitute(value: Any, params: dict) -> Any:
    """R3, R4: replaces `<< parameters.x >>` everywhere in `value` (keys excepted)."""
    if isinstance(value, str):
        if MUSTACHE.search(value):
            raise ConfigError(f"mustache blocks (<<# .. >>, <<^ .. >>) are not modelled: {value!r}")
        whole = PARAMETER.fullmatch(value.strip())
        if whole:
            return _lookup(params, whole.group(1))
        return PARAMETER.sub(lambda m: _text(_lookup(params, m.group(1))), value)
    if isinstance(value, list):
        return [_substitute(v, params) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, params) for k, v in value.items()}
    return value


def _pipeline(value: Any, pipeline: dict) -> Any:
    """R8: replaces `<< pipeline.x >>` in a job's definition."""
    if isinstance(value, str):
        def lookup(m: re.Match) -> str:
            if m.group(1) not in pipeline:
                raise ConfigError(f"<< pipeline.{m.group(1)} >> is not a pipeline value")
            return _text(pipeline[m.group(1)])
        whole = PIPELINE.fullmatch(value.strip())
        if whole:
            if whole.group(1) not in pipeline:
                raise ConfigError(f"<< pipeline.{whole.group(1)} >> is not a pipeline value")
            return pipeline[whole.group(1)]
        return PIPELINE.sub(lookup, value)
    if isinstance(value, list):
        return [_pipeline(v, pipeline) for v in value]
    if isinstance(value, dict):
        return {k: _pipeline(v, pipeline) for k, v in value.items()}
    return value


def _lookup(params: dict, name: str) -> Any:
    if name not in params:
        raise ConfigError(f"<< parameters.{name} >> is not a declared parameter")
    return params[name]


def _text(value: Any) -> str:
    """R4: a value as CircleCI writes it into text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _env_text(value: Any, name: str) -> str:
    """R4: a value as CircleCI puts it into an `environment` variable."""
    if isinstance(value, bool):
        # A boolean parameter substituted whole: 1 or 0 (circleci-docs #5304).
        return "1" if value else "0"
    if isinstance(value, (dict, list)):
        raise ConfigError(f"environment {name}: expects text, got {value!r}")
    return _unescape(_text(value))


def _unescape(text: str) -> str:
    """R6."""
    return text.replace("\\<<", "<<")


def _str(data: Any) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def _shell_words(shell: Any) -> list[str]:
    if not isinstance(shell, str) or not shell.strip():
        raise ConfigError(f"shell: expects a command line, got {shell!r}")
    return shell.split()


def _check_templates(text: str, where: str) -> None:
    """R3: a template left after substitution is an error."""
    left = TEMPLATE.search(text)
    if left:
        raise ConfigError(f"{where}: << {left.group(1)} >> is not a parameter or pipeline value")


def _run_step(args: Any) -> RunStep:
    if isinstance(args, str):
        args = {"command": args}
    if "command" not in args:
        raise ConfigError(f"run step without a command: {args!r}")
    if args.get("background"):
        raise ConfigError("background run steps are not supported by this runner")
    when = args.get("when", "on_success")
    if when not in ("on_success", "on_fail", "always"):
        raise ConfigError(f"run.when must be on_success, on_fail or always, got {when!r}")
    if isinstance(args["command"], bool):
        raise ConfigError("run.command must be text")
    command = _text(args["command"])
    _check_templates(command, "run.command")
    name = _text(args.get("name") or command.strip().splitlines()[0])
    _check_templates(name, "run.name")
    environment = {}
    for k, v in (args.get("environment") or {}).items():
        if isinstance(v, str):
            _check_templates(v, f"environment {k}")
        environment[k] = _env_text(v, k)
    shell = args.get("shell")
    return RunStep(_unescape(name), _unescape(command), environment, when, _shell_words(shell) if shell else None)


# -- logic statements ------------------------------------------------------------


def _condition(statement: Any) -> Any:
    """R7: evaluates a CircleCI logic statement to a value."""
    if isinstance(statement, dict) and len(statement) == 1:
        ((op, arg),) = statement.items()
        if op in ("and", "or"):
            if not isinstance(arg, list) or not arg:
                raise ConfigError(f"`{op}` needs a non-empty list of statements, got {arg!r}")
            values = [_truthy(_condition(a)) for a in arg]
            return all(values) if op == "and" else any(values)
        if op == "not":
            return not _truthy(_condition(arg))
        if op == "equal":
            values = [_condition(a) for a in arg]
            return all(v == values[0] for v in values)
        if op == "matches":
            return re.fullmatch(arg["pattern"], _text(arg["value"])) is not None
    return statement


def _truthy(value: Any) -> bool:
    return value not in (False, None, "", 0) and value != []


def load_orb(path: os.PathLike | str) -> dict:
    """The packed orb as data."""
    return yaml.safe_load(Path(path).read_text())
