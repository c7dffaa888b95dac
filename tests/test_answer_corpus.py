"""The answer corpus (tests/answer_corpus) and its agreement benchmark
(benchmarks/answer_agreement.py): the corpus is complete and well formed, the benchmark counts a
disagreement when a reader and the hand grading differ, and the readers agree with the hand grading
on at least 97 % of the answers (docs/METRICS.md, "Answer corpus")."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest
from answer_corpus import ENTRY_FIELDS, RECORD_FIELDS, TASK_MODULES, load_corpus

from sarchat_tasks.registry import PROFILES, TASKS, parse_reference

ROOT = Path(__file__).resolve().parents[1]
MIN_AGREEMENT = 97.0


def _benchmark():
    spec = importlib.util.spec_from_file_location("answer_agreement", ROOT / "benchmarks" / "answer_agreement.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return load_corpus()


@pytest.fixture(scope="module")
def agreement_script():
    return _benchmark()


def test_corpus_covers_every_task_and_profile_with_300_answers(corpus):
    assert len(corpus) >= 300
    assert {e["task"] for e in corpus} == set(TASKS) == set(TASK_MODULES)
    assert {e["profile"] for e in corpus} == set(PROFILES)
    per_task = {task: sum(e["task"] == task for e in corpus) for task in TASKS}
    assert min(per_task.values()) >= 40, per_task


# The kinds of answer the readers once read wrong (reasoning, structure, clauses, vocabulary): each
# is graded on several answers, across the tasks it occurs in.
HARD_KINDS = ("reasoning_block", "markdown", "table", "checklist", "echoed_options", "coreference", "negation",
              "sum_across_sentences", "relation_phrasing", "position_vocabulary", "shape_phrasing",
              "neighbour_attribute", "noncategory_label", "list_positions")  # fmt: skip


def test_corpus_grades_several_answers_of_every_hard_kind(corpus):
    kinds = [e["kind"] for e in corpus]
    assert {kind: kinds.count(kind) for kind in HARD_KINDS if kinds.count(kind) < 2} == {}
    assert len({e["task"] for e in corpus if e["kind"] == "reasoning_block"}) == len(TASKS)
    assert any(e["kind"].startswith("native_boxes_") for e in corpus)


def test_every_entry_is_complete_with_a_source_and_a_unique_id(corpus):
    ids = [e["id"] for e in corpus]
    assert len(ids) == len(set(ids))
    for entry in corpus:
        for field in (*ENTRY_FIELDS, *RECORD_FIELDS):
            assert field in entry, (entry["id"], field)
        for field in ("id", "model", "source", "kind", "answer", "why", "question", "reference"):
            assert isinstance(entry[field], str) and entry[field].strip(), (entry["id"], field)
        assert entry["source"].startswith("https://"), entry["id"]
        assert entry["profile"] in PROFILES, entry["id"]
        assert isinstance(entry["width"], int) and isinstance(entry["height"], int) and entry["width"] > 0
        assert entry["subset"] in (TASKS[entry["task"]].subsets or ("",)), entry["id"]


def test_expected_values_name_exactly_the_columns_the_record_applies_to(corpus):
    """Every column a record belongs to has a hand-graded value, of its kind (0/1 or [tp, fp, fn]),
    and no other column has one; every reference answer parses as ``sarchat prepare`` parses it."""
    for entry in corpus:
        spec = TASKS[entry["task"]]
        reference = parse_reference(
            entry["task"], entry["reference"], entry["width"], entry["height"], entry["question"]
        )
        applies = {
            c.name
            for c in spec.columns
            if c.subset in (None, entry["subset"]) and c.name != "grounding_abstract_position"
        }
        if spec.partial_column(reference):
            applies.add(spec.partial_column(reference))
        assert set(entry["expected"]) == applies, entry["id"]
        for name, value in entry["expected"].items():
            if name in ("counting_only", "grounding_abstract_position") or name.startswith("identification_"):
                assert value in (0, 1), (entry["id"], name)
            else:
                assert len(value) == 3 and all(isinstance(v, int) and v >= 0 for v in value), (entry["id"], name)


def test_agreement_counts_an_entry_whose_expected_value_is_wrong(corpus, agreement_script):
    entries = copy.deepcopy([e for e in corpus if e["id"] in ("count-001", "class-001")])
    assert agreement_script.agreement(entries)["agreement"] == 100.0
    entries[1]["expected"]["classification"] = [1, 0, 1]  # It is ship and harbor, graded as if one were missed
    result = agreement_script.agreement(entries)
    assert result["agreement"] == 50.0
    assert result["by_task"]["classification"]["agreed"] == 0
    assert result["disagreements"] == [{
        "id": "class-001", "task": "classification", "kind": "plain",
        "expected": {"classification": [1, 0, 1]}, "read": {"classification": [2, 0, 0]},
    }]  # fmt: skip


def test_the_benchmark_exits_non_zero_under_its_minimum(agreement_script, capsys):
    assert agreement_script.main(["--min", "0"]) == 0
    assert agreement_script.main(["--min", "100.1"]) == 1
    assert "is below --min 100.1 %" in capsys.readouterr().err


@pytest.mark.xfail(
    strict=True,
    reason="the readers do not yet read the hard kinds (reasoning blocks, coreference, negated lists, "
    "checklists, relation and position phrasings); remove this mark once they do",
)
def test_readers_agree_with_the_hand_grading_on_97_percent_of_the_corpus(agreement_script, corpus):
    result = agreement_script.agreement(corpus)
    assert result["agreement"] >= MIN_AGREEMENT, [d["id"] for d in result["disagreements"]]
