"""The harness itself: it must read configs as CircleCI does, or the orb
tests would prove nothing.  A tiny orb, no network."""

from __future__ import annotations

import pytest

from support.orb_runner import ConfigError, Runner

ORB = {
    "version": 2.1,
    "commands": {
        "greet": {
            "description": "d",
            "parameters": {
                "who": {"type": "string", "default": "world", "description": "d"},
                "loud": {"type": "boolean", "default": False, "description": "d"},
                "when": {"type": "enum", "enum": ["on_success", "on_fail", "always"], "default": "on_success",
                         "description": "d"},
            },
            "steps": [
                {"inner": {"who": "<< parameters.who >>", "when": "<< parameters.when >>"}},
                {"when": {"condition": "<< parameters.loud >>",
                          "steps": [{"run": {"name": "shout", "command": "echo LOUD", "when": "<< parameters.when >>"}}]}},
                {"unless": {"condition": {"and": ["<< parameters.loud >>", True]},
                            "steps": [{"run": {"name": "whisper", "command": "echo quiet"}}]}},
            ],
        },
        "inner": {
            "description": "d",
            "parameters": {
                "who": {"type": "string", "default": "", "description": "d"},
                "when": {"type": "enum", "enum": ["on_success", "on_fail", "always"], "default": "on_success",
                         "description": "d"},
            },
            "steps": [{"run": {
                "name": "hello",
                "when": "<< parameters.when >>",
                "environment": {"PARAM_WHO": "<< parameters.who >>"},
                # what `orb pack` makes of a script's `<<`
                "command": 'echo "hello $PARAM_WHO" && cat \\<<EOF\nheredoc\nEOF\n',
            }}],
        },
    },
}


def job(*steps) -> dict:
    return {"version": 2.1, "orbs": {"o": "x/y@1"}, "jobs": {"j": {"steps": list(steps)}}}


@pytest.fixture
def runner(tmp_path, job_env) -> Runner:
    return Runner(ORB, job_env, tmp_path / "w")


def test_orb_commands_expand_recursively_with_defaults_and_unescaping(runner):
    result = runner.run(job("checkout", {"o/greet": {"who": "orb"}}))
    assert result.ok, result.describe()
    assert result.ran() == ["hello", "whisper"]
    assert result.step("hello").stdout == "hello orb\nheredoc\n"


def test_boolean_parameters_drive_conditions(runner):
    result = runner.run(job({"o/greet": {"loud": True}}))
    assert result.ran() == ["hello", "shout"]


def test_step_when_after_a_failure(runner):
    result = runner.run(job(
        {"run": {"name": "boom", "command": "exit 1"}},
        {"o/greet": {"when": "always"}},
        {"run": {"name": "after", "command": "true"}},
        {"run": {"name": "on fail", "command": "true", "when": "on_fail"}},
    ))
    assert not result.ok
    assert result.ran() == ["boom", "hello", "on fail"]
    assert result.step("whisper").status == "skipped"  # its run has no `when`


def test_bash_env_is_sourced_before_each_step_unless_told_not(tmp_path, job_env):
    steps = job(
        {"run": {"name": "export", "command": 'echo "export FROM_EARLIER=yes" >> "$BASH_ENV"'}},
        {"run": {"name": "read", "command": 'echo "${FROM_EARLIER:-no}"'}},
    )
    assert Runner(ORB, job_env, tmp_path / "a").run(steps).step("read").stdout == "yes\n"
    alpine = Runner(ORB, job_env, tmp_path / "b", source_bash_env=False)
    assert alpine.run(steps).step("read").stdout == "no\n"


@pytest.mark.parametrize(
    "invocation, message",
    [
        ({"o/greet": {"colour": "red"}}, "unknown parameters"),
        ({"o/greet": {"loud": "yes"}}, "must be a boolean"),
        ({"o/greet": {"when": "sometimes"}}, "must be one of"),
        ({"o/nope": {}}, "unknown step or command"),
    ],
)
def test_configs_circleci_would_reject_are_errors(runner, invocation, message):
    with pytest.raises(ConfigError, match=message):
        runner.run(job(invocation))


EXECUTORS_ORB = {
    **ORB,
    "executors": {
        "default": {
            "description": "d",
            "parameters": {"tag": {"type": "string", "default": "2024.03", "description": "d"}},
            "docker": [{"image": "cimg/aws:<< parameters.tag >>"}],
            "environment": {"FROM_EXECUTOR": "<< parameters.tag >>", "BOTH": "executor"},
        }
    },
}


def job_on(executor, **extra) -> dict:
    config = job({"run": {"name": "env", "command": 'echo "$FROM_EXECUTOR $BOTH"'}})
    config["jobs"]["j"].update(executor=executor, **extra)
    return config


def test_an_orb_executor_resolves_under_the_configs_alias(tmp_path, job_env):
    runner = Runner(EXECUTORS_ORB, job_env, tmp_path / "w")
    assert runner.executor(job_on("o/default")) == {
        "docker": [{"image": "cimg/aws:2024.03"}],
        "environment": {"FROM_EXECUTOR": "2024.03", "BOTH": "executor"},
    }
    config = job_on({"name": "o/default", "tag": "2025.01"}, environment={"BOTH": "job"})
    assert runner.executor(config)["docker"] == [{"image": "cimg/aws:2025.01"}]
    # The executor's environment reaches the steps; the job's own wins.
    assert runner.run(config).step("env").stdout == "2025.01 job\n"


@pytest.mark.parametrize(
    "executor, message",
    [
        ("o/nope", "unknown executor"),
        ("other/default", "unknown executor"),
        ({"name": "o/default", "python-version": "2.7"}, "unknown parameters"),
        ({"tag": "2024.03"}, "has no name"),
    ],
)
def test_executors_circleci_would_reject_are_errors(tmp_path, job_env, executor, message):
    runner = Runner(EXECUTORS_ORB, job_env, tmp_path / "w")
    with pytest.raises(ConfigError, match=message):
        runner.run(job_on(executor))


def test_a_configs_own_executor_and_a_job_without_one(tmp_path, job_env):
    runner = Runner(EXECUTORS_ORB, job_env, tmp_path / "w")
    config = job_on("mine")
    config["executors"] = {"mine": {"docker": [{"image": "alpine:3.20"}]}}
    assert runner.executor(config) == {"docker": [{"image": "alpine:3.20"}]}
    assert runner.executor(job()) is None
