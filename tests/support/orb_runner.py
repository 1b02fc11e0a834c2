"""Runs a CircleCI job's steps the way CircleCI's runner does, offline.

Given the packed orb (`dist/orb.yml`) and a config that uses it, the runner

- expands the job's steps: an orb command invocation such as
  `aws-oidc/setup: {...}` becomes that command's steps, recursively (the orb's
  own `install` inside `setup`); the config's own `commands:` work the same;
- checks the invocation's parameters against the command's declarations
  (unknown names, wrong types, values outside an enum are errors, as in
  CircleCI) and applies defaults;
- substitutes `<< parameters.x >>`: a value that is wholly one keeps its type
  (booleans stay booleans in conditions), one inside text becomes text
  (`true`/`false`); then `\\<<` becomes `<<`, as CircleCI unescapes what
  `orb pack` escaped in included scripts;
- resolves the job's `executor:` (`<alias>/<name>`, or a mapping with `name`
  and parameters) to one of the orb's executors or the config's own, with
  its parameters checked and substituted; an unknown executor is an error,
  as in CircleCI (the image itself is not pulled: steps run on this machine);
- evaluates `when:`/`unless:` steps (`and`, `or`, `not`, `equal`, `matches`);
- runs each `run` step's `command` with the job's and the step's
  `environment` under the shell given (default `/bin/sh -e`; `bash`,
  `dash`, `busybox sh`, ...), sourcing `$BASH_ENV` first as bash does by
  itself on CircleCI (`source_bash_env=False` for bash, which needs no help,
  and to play the `sh` of an Alpine image, where nothing sources it);
- honours each step's `when: on_success|on_fail|always` after a failed step.

Built-in steps that need CircleCI itself (`checkout`, caches, workspaces)
are recorded as skipped.  Nothing here knows about aws-oidc: the tests in
this directory bring the world (HOME, PATH, servers, tokens).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: `<< parameters.x >>` not escaped as `\<<`.
PARAMETER = re.compile(r"(?<!\\)<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>")

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

#: The Bourne-shell way of what bash does with $BASH_ENV on its own.
SOURCE_BASH_ENV = 'if [ -n "${BASH_ENV:-}" ] && [ -f "$BASH_ENV" ]; then . "$BASH_ENV"; fi\n'


class ConfigError(Exception):
    """The config would be rejected by CircleCI before the job starts."""


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


class Runner:
    """Runs jobs of configs that use the packed orb `orb`.

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
        shell: list[str] | None = None,
        source_bash_env: bool = True,
        orb_defaults: dict[str, Any] | None = None,
        timeout: float = 120,
    ) -> None:
        self.orb = _with_defaults(orb, orb_defaults or {})
        self.env = dict(env)
        self.workdir = Path(workdir)
        self.shell = shell or ["/bin/sh", "-e"]
        # A POSIX sh is given what bash does by itself with $BASH_ENV; off for
        # bash (it needs no help) and for an Alpine image's sh (nothing reads it).
        self.source_bash_env = source_bash_env
        self.timeout = timeout
        self._count = 0

    # -- expansion -----------------------------------------------------------

    def expand_job(self, config: dict | str, job: str | None = None) -> tuple[list[RunStep], dict]:
        """The `run` steps of `job` (the only job if None) and the job's environment."""
        config, job, definition = _job(config, job)
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
        steps = _substitute(definition.get("steps") or [], params)
        # The executor's environment first: the job's own wins, as in CircleCI.
        environment = {k: _text(v) for k, v in (executor.get("environment") or {}).items()}
        environment.update({k: _text(v) for k, v in (definition.get("environment") or {}).items()})
        return self._expand(steps, config_scope), environment

    def executor(self, config: dict | str, job: str | None = None) -> dict | None:
        """The executor `job` names, resolved as CircleCI resolves it (its
        parameters checked and substituted); None for a job that names its
        image itself (`docker:`, `machine:`)."""
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

    # -- execution -----------------------------------------------------------

    def run(self, config: dict | str, job: str | None = None) -> JobResult:
        """Expands and runs a job; a failing step fails the job, not the call."""
        steps, job_env = self.expand_job(config, job)
        return self.run_steps(steps, job_env)

    def run_steps(self, steps: list[RunStep], job_env: dict[str, str] | None = None) -> JobResult:
        result = JobResult()
        failed = False
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
            outcome = self._execute(step, job_env or {})
            failed = failed or outcome.status == "failed"
            result.steps.append(outcome)
        return result

    def _execute(self, step: RunStep, job_env: dict[str, str]) -> StepResult:
        self._count += 1
        self.workdir.mkdir(parents=True, exist_ok=True)
        scripts = self.workdir.parent / f"{self.workdir.name}-steps"
        scripts.mkdir(exist_ok=True)
        script = scripts / f"{self._count:02d}.sh"
        prelude = SOURCE_BASH_ENV if self.source_bash_env else ""
        script.write_text(prelude + step.command)
        env = {**self.env, **job_env, **step.environment}
        shell = list(step.shell or self.shell)
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
    """Parameter values for one invocation, checked like CircleCI does."""
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
        if kind == "string" and not isinstance(value, str):
            raise ConfigError(f"{where}: {name} must be a string, got {value!r}")
        if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{where}: {name} must be an integer, got {value!r}")
        if kind == "enum" and value not in declaration.get("enum", []):
            raise ConfigError(f"{where}: {name} must be one of {declaration.get('enum')}, got {value!r}")
        values[name] = value
    return values


def _substitute(value: Any, params: dict) -> Any:
    """Replaces `<< parameters.x >>` everywhere in `value` (keys excepted)."""
    if isinstance(value, str):
        whole = PARAMETER.fullmatch(value.strip())
        if whole:
            return _lookup(params, whole.group(1))
        return PARAMETER.sub(lambda m: _text(_lookup(params, m.group(1))), value)
    if isinstance(value, list):
        return [_substitute(v, params) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, params) for k, v in value.items()}
    return value


def _lookup(params: dict, name: str) -> Any:
    if name not in params:
        raise ConfigError(f"<< parameters.{name} >> is not a declared parameter")
    return params[name]


def _text(value: Any) -> str:
    """A value as CircleCI writes it into text and environment variables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _unescape(text: str) -> str:
    return text.replace("\\<<", "<<")


def _str(data: Any) -> str:
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


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
    command = _unescape(_text(args["command"]))
    name = _unescape(_text(args.get("name") or command.strip().splitlines()[0]))
    environment = {k: _unescape(_text(v)) for k, v in (args.get("environment") or {}).items()}
    shell = args.get("shell")
    return RunStep(name, command, environment, when, shell.split() if shell else None)


# -- logic statements ------------------------------------------------------------


def _condition(statement: Any) -> Any:
    """Evaluates a CircleCI logic statement to a value."""
    if isinstance(statement, dict) and len(statement) == 1:
        ((op, arg),) = statement.items()
        if op == "and":
            return all(_truthy(_condition(a)) for a in arg)
        if op == "or":
            return any(_truthy(_condition(a)) for a in arg)
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
