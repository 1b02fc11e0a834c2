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


def run_steps(*steps) -> dict:
    return job(*({"run": {"name": name, "command": command}} for name, command in steps))


def test_r11_bash_reads_bash_env_itself_and_ignores_a_failing_line(tmp_path, job_env):
    config = run_steps(
        ("export", 'echo false >> "$BASH_ENV"; echo "export FROM_EARLIER=yes" >> "$BASH_ENV"'),
        ("read", 'echo "${FROM_EARLIER:-no}"'),
    )
    result = Runner(ORB, job_env, tmp_path / "a").run(config)
    assert result.ok, result.describe()
    assert result.step("read").stdout == "yes\n"


def test_r11_alpine_sh_reads_no_bash_env(tmp_path, job_env):
    config = run_steps(
        ("export", 'echo "export FROM_EARLIER=yes" >> "$BASH_ENV"'),
        ("read", 'echo "${FROM_EARLIER:-no}"'),
        ("source it", '. "$BASH_ENV"; echo "${FROM_EARLIER:-no}"'),
    )
    result = Runner(ORB, job_env, tmp_path / "b", image="alpine").run(config)
    assert result.step("read").stdout == "no\n"
    assert result.step("source it").stdout == "yes\n"


def test_r11_bash_env_is_the_jobs_own_and_made_by_its_first_write(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}
    result = Runner(ORB, env, tmp_path / "w").run(run_steps(
        ("before", 'test -e "$BASH_ENV" && echo exists || echo missing; echo "$BASH_ENV"'),
        ("write", 'echo "export X=1" >> "$BASH_ENV"'),
        ("after", 'echo "$X"'),
    ))
    before = result.step("before").stdout.splitlines()
    assert before[0] == "missing"
    assert before[1].startswith(str(tmp_path / ".bash_env-")) and before[1].endswith("-0-build")
    assert result.step("after").stdout == "1\n"


@pytest.mark.parametrize("shell_at", ["step", "job", "executor"])
def test_r10_an_explicit_shell_replaces_the_flags_and_the_nearest_one_wins(tmp_path, job_env, shell_at):
    # Without -e, the failing `false` does not stop the script.
    step = {"run": {"name": "no -e", "command": 'false\necho "went on in $0"'}}
    config = job(step)
    if shell_at == "step":
        step["run"]["shell"] = "/bin/sh"
    elif shell_at == "job":
        config["jobs"]["j"]["shell"] = "/bin/sh"
    else:
        config["executors"] = {"e": {"docker": [{"image": "x"}], "shell": "/bin/sh"}}
        config["jobs"]["j"]["executor"] = "e"
    result = Runner(ORB, job_env, tmp_path / "w").run(config)
    assert result.ok, result.describe()
    assert "went on" in result.step("no -e").stdout


def test_r10_the_default_shell_is_bash_with_e_and_pipefail(tmp_path, job_env):
    result = Runner(ORB, job_env, tmp_path / "w").run(run_steps(
        ("which shell", 'echo "$BASH_VERSION" | grep -q . && echo bash; set -o | grep -E "^(errexit|pipefail)"'),
        ("pipefail", "false | true\necho not reached"),
    ))
    lines = result.step("which shell").stdout.split()
    assert lines[0] == "bash" and lines[1:] == ["errexit", "on", "pipefail", "on"]
    assert result.step("pipefail").status == "failed"
    assert "not reached" not in result.step("pipefail").stdout


def test_r10_images_that_cannot_run_here_are_refused(tmp_path, job_env):
    with pytest.raises(ConfigError, match="cannot run here"):
        Runner(ORB, job_env, tmp_path / "w", image="windows")


def test_r4_booleans_reach_the_environment_as_1_or_0_and_text_as_true_or_false(tmp_path, job_env):
    orb = {"commands": {"flag": {
        "description": "d",
        "parameters": {"on": {"type": "boolean", "default": True, "description": "d"},
                       "off": {"type": "boolean", "default": False, "description": "d"}},
        "steps": [{"run": {
            "name": "flag << parameters.on >>",
            "environment": {"ON": "<< parameters.on >>", "OFF": "<< parameters.off >>",
                            "TEXT": "x-<< parameters.on >>"},
            "command": 'echo "$ON $OFF $TEXT << parameters.off >>"',
        }}],
    }}}
    result = Runner(orb, job_env, tmp_path / "w").run(job({"o/flag": {"off": True}}))
    assert result.step("flag true").stdout == "1 1 x-true true\n"
    result = Runner(orb, job_env, tmp_path / "w2").run(job("o/flag"))
    assert result.step("flag true").stdout == "1 0 x-true false\n"


def test_r2_yaml_1_1_booleans_are_booleans(runner):
    import yaml
    config = yaml.safe_load("version: 2.1\norbs: {o: x/y@1}\njobs: {j: {steps: [{o/greet: {loud: on}}]}}\n")
    assert runner.run(config).ran() == ["hello", "shout"]


def test_r5_environment_values_are_passed_as_written(runner):
    config = job({"run": {"name": "raw", "environment": {"RAW": "$HOME/x"}, "command": 'printf "%s" "$RAW"'}})
    assert runner.run(config).step("raw").stdout == "$HOME/x"


def test_r12_builtin_variables_and_a_circleci_cli_on_path(tmp_path, job_env):
    env = {k: v for k, v in job_env.items() if k != "CIRCLE_JOB"}
    result = Runner(ORB, env, tmp_path / "w").run(run_steps(
        ("vars", "env | sort"),
        ("subst", 'printf \'%s|%s|%s|$$\' "$CIRCLE_JOB" ${UNSET_X:-d} ${CIRCLE_BRANCH:+b} | circleci env subst'),
        ("oidc", "circleci run oidc get --claims '{\"aud\":\"x\"}'"),
    ))
    found = dict(line.split("=", 1) for line in result.step("vars").stdout.splitlines() if "=" in line)
    for name in ("CI", "CIRCLECI", "CIRCLE_BRANCH", "CIRCLE_BUILD_NUM", "CIRCLE_BUILD_URL",
                 "CIRCLE_PROJECT_USERNAME", "CIRCLE_PROJECT_REPONAME", "CIRCLE_SHA1", "CIRCLE_WORKFLOW_ID",
                 "CIRCLE_WORKFLOW_JOB_ID", "CIRCLE_ORGANIZATION_ID", "CIRCLE_PROJECT_ID", "CIRCLE_PIPELINE_ID",
                 "CIRCLE_WORKING_DIRECTORY", "BASH_ENV"):
        assert found.get(name), f"{name} is not set"
    assert found["CIRCLE_JOB"] == "j", "CIRCLE_JOB is the job's name"
    assert found["CIRCLE_WORKFLOW_JOB_ID"] in found["CIRCLE_BUILD_URL"]
    assert result.step("subst").stdout == "j|d|b|$"
    # A job with no OIDC token cannot mint one.
    assert result.step("oidc").status == "failed"


@pytest.mark.parametrize("template, value", [
    ("$V", "v"), ("${V}", "v"), ("${U-d}", "d"), ("${E-d}", ""), ("${E:-d}", "d"), ("${U=d}", "d"),
    ("${E:=d}", "d"), ("${V+a}", "a"), ("${U+a}", ""), ("${E+a}", "a"), ("${E:+a}", ""), ("$$V", "$V"),
    ("${U:-$V/x}", "v/x"), ("a$", "a$"),
])
def test_r12_circleci_env_subst_is_a8m_envsubst(template, value):
    from support.circleci_cli import subst
    assert subst(template, {"V": "v", "E": ""}) == value


def test_r8_pipeline_values_and_parameters(tmp_path, job_env):
    config = job({"run": {"name": "p", "command": "echo << pipeline.git.branch >> << pipeline.parameters.env >>"}})
    config["parameters"] = {"env": {"type": "string", "default": "staging"}}
    assert Runner(ORB, job_env, tmp_path / "w").run(config).step("p").stdout == "main staging\n"


def test_r6_escaped_templates_are_unescaped_and_heredocs_are_left_alone(runner):
    command = 'cat <<EOF >> "$BASH_ENV"\nexport H=1\nEOF\necho "\\<< x.y >> $H"'
    assert runner.run(job({"run": {"name": "h", "command": command}})).step("h").stdout == "<< x.y >> \n"


def test_r13_a_failed_step_fails_the_job_and_on_fail_steps_run(runner):
    result = runner.run(run_steps(("boom", "exit 3"), ("later", "true")))
    assert not result.ok
    assert result.step("later").status == "skipped"


@pytest.mark.parametrize(
    "invocation, message",
    [
        ({"o/greet": {"colour": "red"}}, "unknown parameters"),
        ({"o/greet": {"loud": "yes"}}, "must be a boolean"),
        ({"o/greet": {"when": "sometimes"}}, "must be one of"),
        ({"o/nope": {}}, "unknown step or command"),
        ({"run": {"name": "t", "command": "echo << paramaters.x >>"}}, "not a parameter or pipeline value"),
        ({"run": {"name": "t", "command": "echo << pipeline.nope >>"}}, "not a pipeline value"),
        ({"run": {"name": "t", "command": "echo << matrix.os >>"}}, "not a parameter or pipeline value"),
        ({"run": {"name": "t", "command": "echo <<# parameters.x >>y<</ parameters.x >>"}}, "mustache"),
        ({"when": {"condition": {"and": []}, "steps": ["checkout"]}}, "non-empty list"),
        ({"run": {"name": "t", "command": "x", "background": True}}, "background"),
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
