"""One command-line style: the suite's options in either spelling, lmms-eval's forwarded in its own,
positionals after options, and `sarchat eval` refusing a missing --model before lmms-eval starts."""

from __future__ import annotations

import argparse

import pytest

from sarchat_tasks.cli import normalise_flags


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    parser.add_argument("--allow-failed-requests", action="store_true")
    parser.add_argument("--data")
    return parser


@pytest.mark.parametrize(
    ("argv", "forwards", "expected"),
    [
        # the suite's own option, written as lmms-eval writes options
        (["--allow_failed_requests"], True, ["--allow-failed-requests"]),
        (["--allow-failed-requests"], True, ["--allow-failed-requests"]),
        # lmms-eval's options, written kebab-case, handed on in its snake_case
        (
            ["--model-args=pretrained=x", "--output-path", "o"],
            True,
            ["--model_args=pretrained=x", "--output_path", "o"],
        ),
        (["--output_path", "o"], True, ["--output_path", "o"]),
        # a command that forwards nothing leaves unknown options to argparse's error
        (["--model-args", "x"], False, ["--model-args", "x"]),
        # values and everything after -- are left as they are
        (
            ["--data", "my-set_dir", "--", "--allow_failed_requests"],
            True,
            ["--data", "my-set_dir", "--", "--allow_failed_requests"],
        ),
    ],
)
def test_flags_in_either_spelling(argv, forwards, expected):
    assert normalise_flags(_parser(), argv, forwards=forwards) == expected


def test_eval_without_a_model_is_refused_before_lmms_eval(sarchat_command, tmp_path):
    done = sarchat_command("eval", "--output_path", tmp_path / "run", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "sarchat eval: error: --model is required: an lmms-eval model name such as qwen2_vl (sarchat eval --help)"
    )
    assert not (tmp_path / "run").exists()


def test_eval_help_says_what_it_forwards(sarchat_command):
    done = sarchat_command("eval", "--help")
    assert done.returncode == 0
    for text in ("every other argument goes to lmms-eval", "--model NAME", "default: sarchat", "default: ./sarchat-runs",
                 "--log_samples is always added", "--allow_failed_requests works too"):  # fmt: skip
        assert text in done.stdout, text


def test_snake_case_suite_option_on_an_eval_line(sarchat_command, tmp_path):
    # reaches the suite's own budget check (so --allow_short_budget was read as the suite's option,
    # not forwarded): a malformed budget is named before lmms-eval starts
    done = sarchat_command("eval", "--model", "sarchat_blind", "--allow_short_budget", "--gen_kwargs", "max_new_tokens=x",
                           "--output_path", tmp_path / "run")  # fmt: skip
    assert done.returncode == 2 and "max_new_tokens must be a whole number, got 'x'" in done.stderr


def test_positionals_may_follow_options(sarchat_command, tmp_path):
    done = sarchat_command("report", tmp_path / "a", "--params", "x=2", tmp_path / "b", "--out", tmp_path / "r")
    assert done.returncode == 2
    assert "unrecognized arguments" not in done.stderr and str(tmp_path / "a") in done.stderr


def test_demo_takes_model_as_well_as_models():
    from sarchat_tasks.run import demo

    parser = argparse.ArgumentParser()
    demo.register(parser)
    assert parser.parse_args(["--model", "sarchat_blind"]).models == "sarchat_blind"


def test_eval_takes_out_as_every_command_does(sarchat_command, tmp_path):
    # --out is --output_path; two different folders are refused before lmms-eval starts
    done = sarchat_command("eval", "--model", "sarchat_blind", "--out", tmp_path / "a", "--output_path", tmp_path / "b")
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        f"two output folders given: --out {tmp_path / 'a'} and --output_path {tmp_path / 'b'}"
    )
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    # --out reaches the checks that read the output folder: a file where the folder should be
    (tmp_path / "file").write_text("x")
    done = sarchat_command("eval", "--model", "sarchat_blind", "--out", tmp_path / "file")
    assert done.returncode == 2 and str(tmp_path / "file") in done.stderr and "not a folder" in done.stderr
