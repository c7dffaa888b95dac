"""The template banks of `sarchat build`: the paper's counts, and every template read back exactly.

A reference answer scores 100 against itself whatever it says, so the round trip alone cannot
catch a template that states the wrong cell or a stray size word. These tests render every
template with every value it can receive and read the text back with the scorer's readers.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from sarchat_tasks.build.rules import CLASSIFICATION_OPTIONS, RELATION_PHRASES, SHAPE_PHRASES, plural
from sarchat_tasks.build.templates import (
    PAPER_QUESTION_COUNTS,
    TemplateError,
    default_templates_path,
    load_templates,
    template_fields,
)
from sarchat_tasks.utils.answers import categorised_boxes, description_items, stated_attributes, stated_count
from sarchat_tasks.utils.boxes import format_box, parse_boxes
from sarchat_tasks.utils.vocabulary import (
    CATEGORIES,
    CELLS,
    SIZE_WORDS,
    Relation,
    find_categories,
    find_cells,
    find_relations,
    find_shapes,
    find_sizes,
)

BANK = load_templates()
BOX = (12, 34, 56, 78)
BOX_TEXT = format_box(BOX)
DESCRIPTION_SIZES = ("small", "medium", "large")


def values(mentions):
    return [m.value for m in mentions]


def test_default_bank_has_the_papers_question_counts():
    assert BANK.question_counts() == PAPER_QUESTION_COUNTS
    assert BANK.questions_per_instance == pytest.approx(175_565 / 24_023, abs=1e-3)


def test_every_question_carries_its_task_tag():
    tags = {
        "counting": "[count] ",
        "grounding": "[grounding] ",
        "identification": "[identify] ",
        "referring": "[refer] ",
    }
    for task, tag in tags.items():
        assert all(q.startswith(tag) for q in BANK.get(task, "questions")), task
    for task in ("classification", "description"):
        assert not any(q.startswith("[") for q in BANK.get(task, "questions")), task


def test_untagged_questions_name_no_category_but_the_options():
    for question in BANK.get("description", "questions") + BANK.get("grounding", "questions"):
        assert find_categories(question) == [], question
    for template in BANK.get("classification", "questions"):
        question = template.format(options=", ".join(CLASSIFICATION_OPTIONS))
        assert set(values(find_categories(question))) == set(CATEGORIES), question


# --- classification ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, len(CATEGORIES) + 1))
def test_classification_answer_names_each_category_once(size):
    from sarchat_tasks.build.rules import join_categories

    for present in itertools.combinations(CATEGORIES, size):
        answer = BANK.get("classification", "answer").format(categories=join_categories(list(present)))
        assert values(find_categories(answer)) == list(present), answer
        assert not find_cells(answer) and not find_sizes(answer) and not find_shapes(answer)


def test_classification_answer_in_the_published_form():
    assert BANK.get("classification", "answer").format(categories="aircraft") == "It is aircraft"


# --- description -------------------------------------------------------------------------------


def test_every_place_phrase_reads_back_to_its_cell():
    for cell, phrases in BANK.places.items():
        for phrase in phrases:
            assert values(find_cells(phrase)) == [cell], phrase
            assert not find_categories(phrase) and not find_sizes(phrase) and not find_shapes(phrase), phrase


def test_every_description_clause_states_one_category_cell_and_size():
    for template in BANK.get("description", "first") + BANK.get("description", "more"):
        for cell, category, size in itertools.product(CELLS, CATEGORIES, DESCRIPTION_SIZES):
            for place in BANK.places[cell]:
                clause = template.format(size=size, category=category, place=place)
                assert values(find_categories(clause)) == [category], clause
                assert values(find_cells(clause)) == [cell], clause
                assert values(find_sizes(clause)) == [size], clause
                assert find_shapes(clause) == [] and find_relations(clause) == [], clause
                assert clause == clause.strip() and "  " not in clause and not clause.endswith("."), clause


def test_description_answers_read_back_clause_by_clause():
    """Clauses follow each other with no period; each first/more template after each other one
    must still read back to its own (category, cell) pair."""
    intro = BANK.get("description", "intro")
    templates = BANK.get("description", "first") + BANK.get("description", "more")
    for before, after in itertools.product(templates, templates):
        one = before.format(size="small", category="ship", place=BANK.places["bottom left"][0])
        two = after.format(size="large", category="harbor", place=BANK.places["middle left"][0])
        answer = f"{intro} {one} {two}."
        assert description_items(answer) == [("ship", "bottom left"), ("harbor", "middle left")], answer
        assert values(find_sizes(answer)) == ["small", "large"], answer


def test_description_intro_states_nothing():
    intro = BANK.get("description", "intro")
    assert not (find_categories(intro) or find_cells(intro) or find_sizes(intro) or find_shapes(intro))


# --- counting ----------------------------------------------------------------------------------


def test_counting_questions_name_exactly_their_category():
    for template, category in itertools.product(BANK.get("counting", "questions"), CATEGORIES):
        question = template.format(category=category, plural=plural(category))
        assert values(find_categories(question)) == [category], question
        assert stated_count(question) is None, question


@pytest.mark.parametrize("count", [1, 2, 7, 40])
def test_counting_answers_state_the_count_and_hold_the_boxes(count):
    stated = (
        BANK.get("counting", "answer_one") if count == 1 else BANK.get("counting", "answer_many").format(count=count)
    )
    answer = stated + " " + BOX_TEXT * count
    assert stated_count(answer) == count
    assert [b.coords for b in parse_boxes(answer, 100, 100)] == [tuple(map(float, BOX))] * count
    assert find_categories(answer) == [] and find_cells(answer) == []


def test_one_instance_phrasing():
    assert BANK.get("counting", "answer_one") == "There is 1 instance."
    assert BANK.get("counting", "answer_many").format(count=4) == "There are 4 instances."


# --- grounding ---------------------------------------------------------------------------------


def test_grounding_groups_give_each_box_its_category_and_cell():
    for category, count, cell in itertools.product(CATEGORIES, (1, 3), CELLS):
        items = ", ".join(BANK.get("grounding", "item").format(cell=cell, box=BOX_TEXT) for _ in range(count))
        if count == 1:
            group = BANK.get("grounding", "group_one").format(category=category, items=items)
        else:
            group = BANK.get("grounding", "group_many").format(count=count, plural=plural(category), items=items)
        for intro_key in ("intro_one", "intro_many"):
            answer = BANK.get("grounding", intro_key) + " " + group
            assert [(c.category, c.box.coords) for c in categorised_boxes(answer, 100, 100)] == [
                (category, tuple(map(float, BOX)))
            ] * count, answer
            assert values(find_cells(answer)) == [cell] * count, answer
            assert find_sizes(answer) == [] and find_shapes(answer) == [] and find_relations(answer) == []


def test_grounding_published_example_form():
    item = BANK.get("grounding", "item").format(cell="bottom center", box="{<294><358><329><427>}")
    group = BANK.get("grounding", "group_many").format(count=4, plural="ships", items=item)
    assert BANK.get("grounding", "intro_many") + " " + group == (
        "In this SAR image, I can identify several objects and their locations: "
        "There are 4 ships: one in the bottom center portion {<294><358><329><427>}."
    )


def test_relation_sentences_read_back():
    template = BANK.get("grounding", "relation")
    for (first, second), word in itertools.product(itertools.permutations(CATEGORIES, 2), ("near", "far")):
        sentence = template.format(first=first, relation=RELATION_PHRASES[word], second=second)
        assert find_relations(sentence) == [Relation(*sorted((first, second)), word)], sentence
    assert template.format(first="ship", relation="far from", second="harbor") == "The ship is far from the harbor."


def test_relation_sentences_do_not_move_boxes_to_another_category():
    """Relations come after every box, so the category words they add bind no box."""
    item = BANK.get("grounding", "item").format(cell="top left", box=BOX_TEXT)
    answer = " ".join(
        [
            BANK.get("grounding", "intro_many"),
            BANK.get("grounding", "group_one").format(category="ship", items=item),
            BANK.get("grounding", "group_one").format(category="harbor", items=item),
            BANK.get("grounding", "relation").format(first="ship", relation="near", second="harbor"),
        ]
    )
    assert [c.category for c in categorised_boxes(answer, 100, 100)] == ["ship", "harbor"]
    assert find_relations(answer) == [Relation("harbor", "ship", "near")]


# --- identification ----------------------------------------------------------------------------


def test_identification_questions_hold_exactly_the_box():
    for template in BANK.get("identification", "questions"):
        question = template.format(box=BOX_TEXT)
        assert [b.coords for b in parse_boxes(question, 100, 100)] == [tuple(map(float, BOX))], question
        assert not (find_categories(question) or find_cells(question) or find_sizes(question)), question
        assert not find_shapes(question), question


def test_identification_answers_state_exactly_the_attributes():
    for answer_template, object_template in itertools.product(
        BANK.get("identification", "answers"), BANK.get("identification", "objects")
    ):
        with_shape = "{shape}" in object_template
        for cell, size, shape, category in itertools.product(CELLS, SIZE_WORDS, SHAPE_PHRASES, CATEGORIES):
            thing = object_template.format(size=size, shape=SHAPE_PHRASES[shape], category=category)
            answer = answer_template.format(cell=cell, object=thing)
            expected = {
                "cell": {cell},
                "size": {size},
                "category": {category},
                "shape": {shape} if with_shape else set(),
            }
            assert stated_attributes(answer) == expected, answer
            # Exactly one mention of each, not the same word twice.
            assert len(find_cells(answer)) == 1 and len(find_sizes(answer)) == 1 and len(find_categories(answer)) == 1


def test_identification_published_example_form():
    answer = BANK.get("identification", "answers")[0].format(cell="bottom center", object="a very small ship")
    assert answer == "Examining the bottom center area reveals a very small ship."


# --- referring ---------------------------------------------------------------------------------


def test_referring_questions_name_the_category_and_count():
    for template, category, count in itertools.product(BANK.get("referring", "questions"), CATEGORIES, (1, 4)):
        question = template.format(count=count, category=category, plural=plural(category))
        assert values(find_categories(question)) == [category], question
        assert str(count) in question
        assert not parse_boxes(question, 100, 100) and not find_cells(question), question


def test_referring_items_read_back():
    item = BANK.get("referring", "item")
    answer = "".join(item.format(box=BOX_TEXT, cell=cell) for cell in CELLS)
    assert len(parse_boxes(answer, 100, 100)) == len(CELLS)
    assert values(find_cells(answer)) == list(CELLS)
    assert item.format(box="{<393><426><470><494>}", cell="bottom right") == "{<393><426><470><494>} (bottom right)"


# --- loading and checking a bank ---------------------------------------------------------------


def _bank_with(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(default_templates_path().read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["counting"]["questions"].append("[count] How many {thing}?"), "unknown placeholder(s) ['thing']"),
        (
            lambda d: d["identification"]["questions"].append("[identify] What is there?"),
            "missing placeholder(s) ['box']",
        ),
        (lambda d: d["referring"].pop("item"), "referring.item: missing"),
        (lambda d: d["description"]["places"].pop("top left"), "the nine cells"),
        (lambda d: d["identification"].update(questions_per_instance=50), "questions_per_instance"),
        (lambda d: d["counting"]["questions"].append("[count] Count them."), "must contain one of"),
        (lambda d: d["grounding"].update(item="one in the {cell!r} portion {box}"), "plain name"),
        (lambda d: d["grounding"]["questions"].append(d["grounding"]["questions"][0]), "duplicate"),
        (lambda d: d["classification"].update(answer="It is {categories} "), "trailing"),
    ],
)
def test_bad_banks_are_rejected_naming_the_slot(tmp_path, edit, message):
    with pytest.raises(TemplateError) as caught:
        load_templates(_bank_with(tmp_path, edit))
    assert message in str(caught.value)
    assert "bank.yaml" in str(caught.value)


def test_unreadable_bank(tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text("counting: [unclosed", encoding="utf-8")
    with pytest.raises(TemplateError, match="cannot read"):
        load_templates(path)


def test_template_fields():
    assert template_fields("{a} and {b} {{literal}}") == {"a", "b"}
