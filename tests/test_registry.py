"""The task registry: one definition per task, and everything derived from it stays in step."""

from __future__ import annotations

import pytest

from sarchat_tasks.build.templates import load_templates
from sarchat_tasks.metrics import metric_list, sample_metrics
from sarchat_tasks.official import OFFICIAL_FILES, task_of_file, task_of_question
from sarchat_tasks.registry import TABLE3_COLUMNS, TASKS, parse_reference, primary_category
from sarchat_tasks.task_folder import REGISTRY_YAML, packaged_task_folder, packaged_yamls, read_task_yaml
from sarchat_tasks.utils.vocabulary import CATEGORIES

W, H = 800, 600
# One reference answer per task, in the paper's formats (SARCHAT.md), with its question.
EXAMPLES = {
    "counting": (
        "[count] Count the ship in this image.",
        "There are 2 instances. {<10><10><50><40>}{<300><200><380><260>}",
    ),
    "grounding": (
        "[grounding] What objects can you identify?",
        "There are 2 ships: one in the top left portion {<10><10><50><40>}, one in the middle center portion "
        "{<300><200><380><260>}. There is 1 harbor: one in the bottom right portion {<600><450><780><590>}. "
        "The ship is far from the harbor.",
    ),
    "identification": (
        "[identify] What is at {<10><10><50><40>}?",
        "Examining the top left area reveals a very small ship.",
    ),
    "referring": ("[refer] Locate 1 harbor.", "{<600><450><780><590>} (bottom right)"),
    "description": (
        "What do you observe?",
        "In this satellite image, we can observe the following: A small harbor is visible in the bottom right "
        "portion of the image There is a small ship in the top left portion of the image",
    ),
    "classification": ("Based on these category options, what's visible?", "It is ship and harbor"),
}


def test_the_generated_yamls_are_up_to_date():
    """Adding a task to the registry and forgetting `python -m sarchat_tasks.task_folder` fails here."""
    folder = packaged_task_folder()
    for name, text in packaged_yamls().items():
        assert (folder / name).read_text(encoding="utf-8") == text, (
            f"task_yamls/{name} is out of date: run python -m sarchat_tasks.task_folder"
        )


def test_every_task_has_its_yaml_and_the_template_lists_every_metric():
    folder = packaged_task_folder()
    template = read_task_yaml(folder / "_default_template_yaml", resolve_includes=True)
    listed = [(m["metric"], m["aggregation"].rsplit(".", 1)[1], m["higher_is_better"]) for m in template["metric_list"]]
    assert listed == metric_list()
    assert template["metric_list"] == read_task_yaml(folder / REGISTRY_YAML)["metric_list"]
    for spec in TASKS.values():
        config = read_task_yaml(folder / f"{spec.lmms_task}.yaml", resolve_includes=True)
        assert config["task"] == spec.lmms_task
        assert config["dataset_kwargs"]["data_files"]["test"] == f"sample/rows/{spec.name}.parquet"
        assert read_task_yaml(folder / "sarchat.yaml")["task"] == [s.lmms_task for s in TASKS.values()]


@pytest.mark.parametrize("task", list(TASKS))
def test_a_task_returns_exactly_the_listed_metrics_it_owns(task):
    question, answer = EXAMPLES[task]
    reference = parse_reference(task, answer, W, H, question)
    subset = "multi" if TASKS[task].subsets else ""
    values = sample_metrics(task, subset, primary_category(task, reference), answer, reference, W, H)
    listed = {name for name, _, _ in metric_list()}
    own = {c.name for c in TASKS[task].columns}
    assert set(values) <= listed
    assert set(values) == own | {"avg_score", "parse_failure_rate"} | {f"category_{c}" for c in CATEGORIES}
    # the reference read back as the response scores 100 on every Table 3 column it belongs to
    record = values["avg_score"]
    assert set(record) == {c.name for c in TASKS[task].table_columns}
    assert set(record) <= set(TABLE3_COLUMNS)


def test_per_task_rules_on_the_paper_examples():
    refs = {task: parse_reference(task, a, W, H, q) for task, (q, a) in EXAMPLES.items()}
    # the category a sample is filed under: the queried one, else the most frequent
    assert [primary_category(t, refs[t]) for t in TASKS] == ["ship", "ship", "ship", "harbor", "harbor", "ship"]
    assert [TASKS[t].object_count(refs[t]) for t in TASKS] == [2, 3, 1, 1, 2, 2]
    assert TASKS["grounding"].subset_of(refs["grounding"]) == "multi"
    assert TASKS["referring"].subset_of(refs["referring"]) == "single"
    assert TASKS["identification"].subset_of(refs["identification"]) is None  # only its file name tells
    assert TASKS["grounding"].partial_column(refs["grounding"]) == "grounding_abstract_position"
    assert TASKS["counting"].partial_column(refs["counting"]) == ""


def test_every_template_question_belongs_to_its_task():
    bank = load_templates()
    for task in TASKS:
        for question in bank.get(task, "questions"):
            text = question.format(options=", ".join(sorted(CATEGORIES)), category="ship", plural="ships", count=2,
                                   box="{<1><2><3><4>}")  # fmt: skip
            assert task_of_question(text) == task, text
            assert task_of_question(text.upper() if "[" in text else text) == task


@pytest.mark.parametrize(
    ("question", "task"),
    [
        ("Is this a ship or a harbor?", "classification"),  # two categories offer a choice
        ("[ COUNT ] How many ships?", "counting"),
        ("[refer] Locate 2 ships.", "referring"),
        ("Describe the ships in this image.", "description"),
        ("", "description"),
    ],
)
def test_task_of_question(question, task):
    assert task_of_question(question) == task


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        *((name, pair) for name, pair in OFFICIAL_FILES.items()),
        ("qwen2-vl-multimodal_SARChat_grounding_single_test.json", ("grounding", "single")),
        ("preds/qwen_SARChat_refer_multi_test.jsonl", ("referring", "multi")),
        ("my_identify_single.jsonl", ("identification", "single")),
        ("counts.json", ("counting", None)),
        ("results.json", (None, None)),
        ("multimodal_grounding.json", ("grounding", None)),
    ],
)
def test_task_of_file(name, expected):
    assert task_of_file(name) == expected
