"""Adding a task by YAML (CONTRIBUTING.md, "Add a task"): a user's own folder, handed to lmms-eval as
its one ``--include_path``, holds a YAML that includes a packaged task by absolute path and changes
the prompt, the box coordinate convention, the data location and the generation settings.

The data location is the part with a catch: lmms-eval takes one include path, so the user's folder
cannot also be the prepared set's task folder. What works: point ``data_files`` at the prepared
set's rows (absolute path) and bind ``doc_to_visual``/``process_docs`` to the set with a three-line
module beside the YAML (``!function`` loads a module next to the YAML as a file)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from official_fixture import RECORDS

from sarchat_tasks.task_folder import packaged_task_folder

pytestmark = pytest.mark.slow  # every test here runs lmms-eval or builds a model

PRE_PROMPT = "You are a SAR image analyst. "
POST_PROMPT = " Give boxes on a 0-1000 scale."
# The harbour fixture image is 512 x 512; its first ship is {<294><358><329><427>} in pixels, which
# is this box on a 0-1000 scale. Read as pixels it lies outside the image and matches nothing.
NORM1000_ANSWER = "There are 3 instances. {<574><699><643><834>}"


def write_user_folder(folder: Path, prepared: Path) -> Path:
    """The user's folder as CONTRIBUTING.md shows it; returns the YAML."""
    folder.mkdir(parents=True, exist_ok=True)
    packaged = packaged_task_folder()  # what `sarchat include-path` prints
    (folder / "my_binding.py").write_text(
        textwrap.dedent(f'''\
            """Binds the SARChat hooks to my prepared set."""
            from sarchat_tasks.prepared import PreparedSet

            _SET = PreparedSet({str(prepared)!r})
            doc_to_visual = _SET.doc_to_visual
            process_docs = _SET.process_docs
            '''),
        encoding="utf-8",
    )
    yaml_path = folder / "my_sarchat_counting.yaml"
    yaml_path.write_text(
        textwrap.dedent(f"""\
            include: {packaged / "sarchat_counting.yaml"}
            task: my_sarchat_counting
            # data: my prepared set's rows, and its images through the binding module beside this file
            dataset_kwargs:
              data_files:
                test: {prepared / "rows" / "counting.parquet"}
            doc_to_visual: !function my_binding.doc_to_visual
            process_docs: !function my_binding.process_docs
            # prompt
            lmms_eval_specific_kwargs:
              default:
                pre_prompt: "{PRE_PROMPT}"
                post_prompt: "{POST_PROMPT}"
            # coordinate convention: this model writes SARChat boxes on a 0-1000 scale
            filter_list:
              - name: none
                filter:
                  - function: take_first
                  - function: !function sarchat_tasks.hooks.BoxConventionFilter
                    native: norm1000
            # generation settings
            generation_kwargs:
              max_new_tokens: 77
              until: ["<|im_end|>"]
              do_sample: false
              temperature: 0
            """),
        encoding="utf-8",
    )
    return yaml_path


@pytest.fixture(scope="module")
def user_run(prepared_set: Path, tmp_path_factory, lmms_eval) -> tuple[dict, list[dict]]:
    folder = write_user_folder(tmp_path_factory.mktemp("my_tasks"), prepared_set).parent
    run = lmms_eval(
        "--model", "dummy", "--model_args", f"response={NORM1000_ANSWER}", "--tasks", "my_sarchat_counting",
        "--include_path", folder, output_path=tmp_path_factory.mktemp("user_run"), cwd=tmp_path_factory.mktemp("cwd"),
    )  # fmt: skip
    return run.results, run.samples("my_sarchat_counting")


def test_user_task_reads_the_prepared_set(user_run):
    results, samples = user_run
    assert results["n-samples"]["my_sarchat_counting"]["effective"] == 3  # the fixture's counting records
    expected = [answer for _, _, answer in RECORDS["SARChat_classify_count_test.json"]]
    assert sorted(s["target"] for s in samples) == sorted(expected)


def test_user_prompt_is_used(user_run):
    _, samples = user_run
    questions = {answer: question for _, question, answer in RECORDS["SARChat_classify_count_test.json"]}
    for sample in samples:
        # the user's pre and post prompts around the question and the generic profile's instruction
        assert sample["input"].startswith(PRE_PROMPT + questions[sample["target"]] + " State how many there are")
        assert sample["input"].endswith(POST_PROMPT)


def test_user_generation_settings_are_used(user_run):
    results, _ = user_run
    config = results["configs"]["my_sarchat_counting"]
    assert config["generation_kwargs"]["max_new_tokens"] == 77
    assert config["generation_kwargs"]["until"] == ["<|im_end|>"]


def test_user_box_convention_is_applied(user_run):
    results, samples = user_run
    metrics = results["results"]["my_sarchat_counting"]
    # On the harbour image the 0-1000 box is the first ship: 1 TP, 2 FN; elsewhere it matches nothing.
    harbour = next(s for s in samples if s["input_media"][0].endswith("harbour.png"))
    assert harbour["counting_iou50"] == [1, 0, 2]
    assert harbour["filtered_resps"] == "There are 3 instances. {<293.888><357.888><329.216><427.008>}"
    assert metrics["counting_iou50,none"] == pytest.approx(100 * 1 / (1 + 2 + 2 + 1 + 1 + 1))
    assert metrics["counting_only,none"] == pytest.approx(100 / 3)  # "3 instances" is right once
