"""`sarchat build`: hand-computed records, determinism, the round trip to an oracle score of 100,
and bad input. The fixtures are small SARDet-100K trees written by ``write_sardet``."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
import yaml
from test_official_release import VERBATIM_TEST_FILES

from sarchat_tasks.build.coco import SourceImage, image_candidates, read_split
from sarchat_tasks.build.pipeline import REPORT, BuildError, build
from sarchat_tasks.build.records import TEST_FILES, RecordRenderer, record_line
from sarchat_tasks.build.templates import default_templates_path, load_templates
from sarchat_tasks.cli import main
from sarchat_tasks.official import task_of_question
from sarchat_tasks.registry import TASKS

CATEGORY_LIST = [
    {"id": i + 1, "name": n} for i, n in enumerate(["ship", "aircraft", "car", "tank", "bridge", "harbor"])
]
SHIP, AIRCRAFT, CAR, TANK, BRIDGE, HARBOR = range(1, 7)

# The known fixture, every number below hand-computed in the tests that use it:
# image 1 (800x800): ships (100,100,150,120) top left and (300,350,500,450) middle center, a harbor
#   (600,600,760,760) bottom right, a car crossing the right border, clipped to (780,700,800,720);
# image 2 (512x512, file_name with the split folder): one aircraft (200,200,312,312) middle center;
# image 3 (200x200, too small to describe): tanks (10,10,30,30) top left, (150,150,180,180) bottom right;
# image 4 (640x480): a bridge (0,200,640,240), 16:1, too long to describe;
# image 5 (400x400): a harbor (0,0,300,300) covering 56 % of the image.
KNOWN_IMAGES = [
    {"id": 1, "file_name": "a.jpg", "width": 800, "height": 800},
    {"id": 2, "file_name": "{split}/b.jpg", "width": 512, "height": 512},
    {"id": 3, "file_name": "c.jpg", "width": 200, "height": 200},
    {"id": 4, "file_name": "d.jpg", "width": 640, "height": 480},
    {"id": 5, "file_name": "e.jpg", "width": 400, "height": 400},
]
KNOWN_ANNOTATIONS = [
    (1, SHIP, [100, 100, 50, 20]),
    (1, HARBOR, [600, 600, 160, 160]),
    (1, CAR, [780, 700, 40, 20]),
    (1, SHIP, [300, 350, 200, 100]),
    (2, AIRCRAFT, [200, 200, 112, 112]),
    (3, TANK, [10, 10, 20, 20]),
    (3, TANK, [150, 150, 30, 30]),
    (4, BRIDGE, [0, 200, 640, 40]),
    (5, HARBOR, [0, 0, 300, 300]),
]


def coco(images=None, annotations=None, split: str = "test") -> dict:
    """A COCO dict of the known fixture (or of the images and (image, category, bbox) given)."""
    images = copy.deepcopy(KNOWN_IMAGES if images is None else images)
    for image in images:
        image["file_name"] = image["file_name"].replace("{split}", split)
    annotations = KNOWN_ANNOTATIONS if annotations is None else annotations
    return {
        "images": images,
        "annotations": [
            {"id": i + 1, "image_id": image_id, "category_id": category, "bbox": bbox, "area": 0, "iscrowd": 0}
            for i, (image_id, category, bbox) in enumerate(annotations)
        ],
        "categories": copy.deepcopy(CATEGORY_LIST),
    }


def write_sardet(root: Path, splits=("test",), data: dict | None = None, skip_files: tuple[str, ...] = ()) -> Path:
    """A SARDet-100K tree: ``Annotations/{split}.json`` and ``JPEGImages/{split}/`` with real (blank)
    PNG images of the annotated sizes, since ``prepare`` reads image headers."""
    from PIL import Image

    for split in splits:
        content = coco(split=split) if data is None else data
        (root / "Annotations").mkdir(parents=True, exist_ok=True)
        (root / "Annotations" / f"{split}.json").write_text(json.dumps(content), encoding="utf-8")
        folder = root / "JPEGImages" / split
        folder.mkdir(parents=True, exist_ok=True)
        for image in content["images"]:
            name = str(image["file_name"]).replace("\\", "/").rsplit("/", 1)[-1]
            if name in skip_files:
                continue
            size = (image.get("width"), image.get("height"))
            if not all(isinstance(v, int) and v > 0 for v in size):
                size = (8, 8)  # a malformed entry still gets a file: the annotation is what is wrong
            Image.new("1", size).save(folder / name, format="PNG")
    return root


def mini_bank(tmp_path: Path) -> Path:
    """The packaged bank cut to one template per slot (the shape-stating object phrase), one
    identification question per object: every record's text is then known in advance."""
    data = yaml.safe_load(default_templates_path().read_text(encoding="utf-8"))
    for section in data.values():
        if not isinstance(section, dict):
            continue
        for key, value in section.items():
            if isinstance(value, list):
                section[key] = [value[-1] if key == "objects" else value[0]]
    data["description"]["places"] = {cell: [phrases[0]] for cell, phrases in data["description"]["places"].items()}
    data["identification"]["questions_per_instance"] = 1
    path = tmp_path / "mini_bank.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def load(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def pairs(path: Path) -> list[tuple[str, str, str]]:
    """(question without the image token, answer, image) of every record of a file."""
    out = []
    for record in load(path):
        user, assistant = record["messages"]
        assert user["role"] == "user" and assistant["role"] == "assistant"
        assert user["content"].startswith("<image>\n")
        out.append((user["content"].removeprefix("<image>\n"), assistant["content"], record["images"][0]))
    return out


@pytest.fixture
def known_build(tmp_path):
    root = write_sardet(tmp_path / "sardet")
    out = tmp_path / "out"
    report = build(root, out, splits=["test"], templates=mini_bank(tmp_path), prepare_layout=False, log=lambda m: None)
    return out / "official", report


# --- hand-computed records ---------------------------------------------------------------------

BOX_SHIP_1 = "{<100><100><150><120>}"
BOX_SHIP_2 = "{<300><350><500><450>}"
BOX_HARBOR_1 = "{<600><600><760><760>}"
BOX_CAR = "{<780><700><800><720>}"
BOX_AIRCRAFT = "{<200><200><312><312>}"
BOX_TANK_1 = "{<10><10><30><30>}"
BOX_TANK_2 = "{<150><150><180><180>}"
BOX_BRIDGE = "{<0><200><640><240>}"
BOX_HARBOR_2 = "{<0><0><300><300>}"


def test_record_counts_per_file(known_build):
    official, report = known_build
    counts = {name: len(load(official / name)) for name in TEST_FILES.values()}
    assert counts == {
        "SARChat_classify_test.json": 5,  # one per image
        "SARChat_describe_test.json": 3,  # images 1, 2, 5 (3 is under 224 px, 4 holds only a 16:1 bridge)
        "SARChat_classify_count_test.json": 7,  # (image, category): 3 + 1 + 1 + 1 + 1
        "SARChat_classify_grounding_multi_test.json": 2,  # images 1 and 3
        "SARChat_classify_grounding_single_test.json": 3,  # images 2, 4, 5
        "SARChat_classify_identify_multi_test.json": 6,  # one question per object here: 4 + 2
        "SARChat_classify_identify_single_test.json": 3,
        "SARChat_classify_refer_multi_test.json": 2,  # two ships in image 1, two tanks in image 3
        "SARChat_classify_refer_single_test.json": 5,
    }
    assert report["split_details"]["test"]["files"] == counts
    assert report["split_details"]["test"]["instances_per_category"] == {
        "ship": 2, "aircraft": 1, "car": 1, "tank": 2, "bridge": 1, "harbor": 2,
    }  # fmt: skip


def test_classification_records(known_build):
    official, _ = known_build
    options = (
        "Based on these category options (aircraft, bridge, car, harbor, ship, tank), what's visible in this scene?"
    )
    assert pairs(official / "SARChat_classify_test.json") == [
        (options, "It is ship, car and harbor", "JPEGImages/test/a.jpg"),
        (options, "It is aircraft", "JPEGImages/test/b.jpg"),
        (options, "It is tank", "JPEGImages/test/c.jpg"),
        (options, "It is bridge", "JPEGImages/test/d.jpg"),
        (options, "It is harbor", "JPEGImages/test/e.jpg"),
    ]


def test_counting_records(known_build):
    official, _ = known_build
    records = pairs(official / "SARChat_classify_count_test.json")
    assert records[:3] == [
        ("[count] Count the ship in this satellite image.", f"There are 2 instances. {BOX_SHIP_1}{BOX_SHIP_2}",
         "JPEGImages/test/a.jpg"),
        ("[count] Count the harbor in this satellite image.", f"There is 1 instance. {BOX_HARBOR_1}", "JPEGImages/test/a.jpg"),
        ("[count] Count the car in this satellite image.", f"There is 1 instance. {BOX_CAR}", "JPEGImages/test/a.jpg"),
    ]  # fmt: skip
    assert records[4] == (
        "[count] Count the tank in this satellite image.",
        f"There are 2 instances. {BOX_TANK_1}{BOX_TANK_2}",
        "JPEGImages/test/c.jpg",
    )


def test_grounding_records(known_build):
    official, _ = known_build
    question = "[grounding] What objects can you identify in this SAR image and where are they located?"
    multi = pairs(official / "SARChat_classify_grounding_multi_test.json")
    # Relations, threshold (800 + 800) / 8 = 200 px between first instances' centres: ship (125,110)
    # to harbor (680,680) 795 px far; ship to car (790,710) 896 px far; harbor to car 114 px near.
    assert multi[0] == (
        question,
        "In this SAR image, I can identify several objects and their locations: "
        f"There are 2 ships: one in the top left portion {BOX_SHIP_1}, one in the middle center portion {BOX_SHIP_2}. "
        f"There is 1 harbor: one in the bottom right portion {BOX_HARBOR_1}. "
        f"There is 1 car: one in the bottom right portion {BOX_CAR}. "
        "The ship is far from the harbor. The ship is far from the car. The harbor is near the car.",
        "JPEGImages/test/a.jpg",
    )
    assert multi[1][1] == (
        "In this SAR image, I can identify several objects and their locations: "
        f"There are 2 tanks: one in the top left portion {BOX_TANK_1}, one in the bottom right portion {BOX_TANK_2}."
    )
    single = pairs(official / "SARChat_classify_grounding_single_test.json")
    assert [answer for _, answer, _ in single] == [
        f"In this SAR image, I can identify one object and its location: There is 1 aircraft: one in the middle center portion {BOX_AIRCRAFT}.",
        f"In this SAR image, I can identify one object and its location: There is 1 bridge: one in the middle center portion {BOX_BRIDGE}.",
        f"In this SAR image, I can identify one object and its location: There is 1 harbor: one in the middle center portion {BOX_HARBOR_2}.",
    ]  # fmt: skip


def test_identification_records(known_build):
    official, _ = known_build
    multi = pairs(official / "SARChat_classify_identify_multi_test.json")
    # Sizes by area ratio: ship 1,000/640,000 very small; harbor 25,600/640,000 = 0.04 small; car
    # 400/640,000 very small; ship 20,000/640,000 = 0.031 small; tanks 400 and 900 of 40,000 very small.
    # Shapes by w/h: 2.5 and 2.0 wide, the rest 1.0 approximately square.
    assert multi == [
        (f"[identify] What can you identify within these coordinates: {box}?", answer, image)
        for box, answer, image in [
            (BOX_SHIP_1, "Examining the top left area reveals a very small, wide ship.", "JPEGImages/test/a.jpg"),
            (BOX_HARBOR_1, "Examining the bottom right area reveals a small, approximately square harbor.",
             "JPEGImages/test/a.jpg"),
            (BOX_CAR, "Examining the bottom right area reveals a very small, approximately square car.",
             "JPEGImages/test/a.jpg"),
            (BOX_SHIP_2, "Examining the middle center area reveals a small, wide ship.", "JPEGImages/test/a.jpg"),
            (BOX_TANK_1, "Examining the top left area reveals a very small, approximately square tank.",
             "JPEGImages/test/c.jpg"),
            (BOX_TANK_2, "Examining the bottom right area reveals a very small, approximately square tank.",
             "JPEGImages/test/c.jpg"),
        ]
    ]  # fmt: skip
    single = [answer for _, answer, _ in pairs(official / "SARChat_classify_identify_single_test.json")]
    # aircraft 12,544/262,144 = 0.048 small; bridge 25,600/307,200 = 0.083 small, 16:1 wide;
    # harbor 90,000/160,000 = 0.56 very large.
    assert single == [
        "Examining the middle center area reveals a small, approximately square aircraft.",
        "Examining the middle center area reveals a small, wide bridge.",
        "Examining the middle center area reveals a very large, approximately square harbor.",
    ]


def test_referring_records(known_build):
    official, _ = known_build
    assert pairs(official / "SARChat_classify_refer_multi_test.json") == [
        ("[refer] Identify 2 ship.", f"{BOX_SHIP_1} (top left){BOX_SHIP_2} (middle center)", "JPEGImages/test/a.jpg"),
        ("[refer] Identify 2 tank.", f"{BOX_TANK_1} (top left){BOX_TANK_2} (bottom right)", "JPEGImages/test/c.jpg"),
    ]
    single = pairs(official / "SARChat_classify_refer_single_test.json")
    assert [(q, a) for q, a, _ in single] == [
        ("[refer] Identify 1 harbor.", f"{BOX_HARBOR_1} (bottom right)"),
        ("[refer] Identify 1 car.", f"{BOX_CAR} (bottom right)"),
        ("[refer] Identify 1 aircraft.", f"{BOX_AIRCRAFT} (middle center)"),
        ("[refer] Identify 1 bridge.", f"{BOX_BRIDGE} (middle center)"),
        ("[refer] Identify 1 harbor.", f"{BOX_HARBOR_2} (middle center)"),
    ]


def test_description_records(known_build):
    official, _ = known_build
    # Image 1: the first ship (0.16 % of the image) and the car (crossed the border) are left out;
    # harbor 4 % and ship 3.1 % are small (< 5 %). Image 2: aircraft 4.8 % small. Image 5: harbor
    # 56 % large (> 30 %).
    intro = "In this satellite image, we can observe the following:"
    assert pairs(official / "SARChat_describe_test.json") == [
        ("What do you observe in this satellite imagery?",
         f"{intro} A small harbor is visible in the bottom right portion of the image "
         "A small ship is visible in the central region of the image.", "JPEGImages/test/a.jpg"),
        ("What do you observe in this satellite imagery?",
         f"{intro} A small aircraft is visible in the central region of the image.", "JPEGImages/test/b.jpg"),
        ("What do you observe in this satellite imagery?",
         f"{intro} A large harbor is visible in the central region of the image.", "JPEGImages/test/e.jpg"),
    ]  # fmt: skip


def test_second_object_of_a_category_uses_the_more_phrasing(tmp_path):
    annotations = [(1, SHIP, [0, 0, 100, 100]), (1, SHIP, [700, 700, 100, 100]), (1, HARBOR, [350, 350, 100, 100])]
    root = write_sardet(tmp_path / "sardet", data=coco(images=KNOWN_IMAGES[:1], annotations=annotations))
    build(
        root, tmp_path / "out", splits=["test"], templates=mini_bank(tmp_path), prepare_layout=False, log=lambda m: None
    )
    [(_, answer, _)] = pairs(tmp_path / "out" / "official" / "SARChat_describe_test.json")
    assert answer == (
        "In this satellite image, we can observe the following: "
        "A small ship is visible in the top left portion of the image "
        "There is one more small ship in the bottom right portion of the image "
        "A small harbor is visible in the central region of the image."
    )


# --- record format -----------------------------------------------------------------------------


def test_files_are_json_arrays_one_record_per_line(known_build):
    official, _ = known_build
    for name in TEST_FILES.values():
        text = (official / name).read_bytes().decode("utf-8")
        lines = text.split("\n")
        assert lines[0] == "[" and lines[-2] == "]" and lines[-1] == ""
        for line in lines[1:-2]:
            record = json.loads(line.removesuffix(","))
            assert set(record) == {"messages", "images"}
            assert line.removesuffix(",") == json.dumps(record, ensure_ascii=False)
            assert not any(turn["content"] != turn["content"].strip(" ") for turn in record["messages"])


def test_record_line_matches_json_dumps():
    line = record_line('a "quoted" question\twith ünïcode', "answer\\", '"JPEGImages/test/x.jpg"')
    expected = {
        "messages": [
            {"role": "user", "content": '<image>\na "quoted" question\twith ünïcode'},
            {"role": "assistant", "content": "answer\\"},
        ],
        "images": ["JPEGImages/test/x.jpg"],
    }
    assert line == json.dumps(expected, ensure_ascii=False)


def test_empty_files_are_empty_arrays(tmp_path):
    # One image, one object: no multi records at all.
    root = write_sardet(tmp_path / "sardet", data=coco(images=KNOWN_IMAGES[1:2], annotations=[KNOWN_ANNOTATIONS[4]]))
    build(root, tmp_path / "out", splits=["test"], prepare_layout=False, log=lambda m: None)
    assert (tmp_path / "out" / "official" / "SARChat_classify_grounding_multi_test.json").read_text() == "[]\n"


# --- determinism -------------------------------------------------------------------------------


def _official_bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "official").iterdir())}


def test_same_input_and_seed_give_identical_files(tmp_path):
    root = write_sardet(tmp_path / "sardet", splits=("test", "train"))
    build(root, tmp_path / "a", seed=7, prepare_layout=False, log=lambda m: None)
    build(root, tmp_path / "b", seed=7, prepare_layout=False, log=lambda m: None)
    build(root, tmp_path / "c", seed=8, prepare_layout=False, log=lambda m: None)
    build(root, tmp_path / "d", seed=7, splits=["test"], prepare_layout=False, log=lambda m: None)
    a, b, c, d = (_official_bytes(tmp_path / x) for x in "abcd")
    assert a == b
    assert a != c  # another seed draws other templates
    assert {k: v for k, v in a.items() if k != "SARChat_train.json"} == d  # splits do not share draws
    assert (tmp_path / "a" / REPORT).read_bytes() == (tmp_path / "b" / REPORT).read_bytes()


def test_identification_questions_per_object_average_the_papers_ratio():
    bank = load_templates()
    renderer = RecordRenderer(bank, 0, "test")
    from sarchat_tasks.build.coco import Instance

    image = SourceImage(
        1, "x.jpg", 800, 800, tuple(Instance("ship", (i % 700, 10, i % 700 + 50, 60), False, i) for i in range(2000))
    )
    objects = [(inst, f"{{box {i}}}", "top left") for i, inst in enumerate(image.instances)]
    per_object: dict[str, list[str]] = {}
    for _, _, question, _ in renderer.identification(image, objects):
        box = question[question.index("{box") : question.index("}") + 1]
        per_object.setdefault(box, []).append(question)
    counts = [len(questions) for questions in per_object.values()]
    assert set(counts) == {7, 8}
    assert sum(counts) / len(counts) == pytest.approx(7.308, abs=0.03)
    assert all(len(set(questions)) == len(questions) for questions in per_object.values())  # distinct templates


# --- round trip: build -> prepare -> oracle score = 100 ----------------------------------------


def _oracle_files(records_by_file: dict[str, list[dict]], folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for name, records in records_by_file.items():
        for record in records:
            record["response"] = record["messages"][1]["content"]
            record["labels"] = record["messages"][1]["content"]
        (folder / name).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        paths.append(folder / name)
    return paths


def _assert_all_100(metrics: dict) -> None:
    for task, columns in ((t, s.columns) for t, s in TASKS.items()):
        assert metrics[task]["samples"] > 0, task
        for column in columns:
            assert metrics[task][column.name] == 100.0, (task, column.name)
        assert metrics[task]["avg_score"] == 100.0 and metrics[task]["parse_failure_rate"] == 0.0
    assert metrics["avg_score"] == 100.0


def test_round_trip_build_prepare_oracle_scores_100(tmp_path, capsys):
    from sarchat_tasks.prepared import PreparedSet

    root = write_sardet(tmp_path / "sardet", splits=("test", "train"))
    out = tmp_path / "out"
    report = build(root, out, seed=3, log=lambda m: None)
    # The prepared set holds every test record, and its rows read back.
    manifest = PreparedSet(out).manifest
    assert manifest["records"] == report["split_details"]["test"]["records"]
    assert report["prepared"]["records"] == manifest["records"]
    assert (out / "tasks").is_dir() and (out / "images").is_dir()
    assert not list(out.glob(".partial-*"))

    test_files = {name: load(out / "official" / name) for name in TEST_FILES.values()}
    assert main(["score", *map(str, _oracle_files(test_files, tmp_path / "oracle_test")), "--images", str(root)]) == 0
    _assert_all_100(json.loads(capsys.readouterr().out))

    # The mixed train file, split by task; identification by the number of objects in its image,
    # read from the image's grounding record (the file name carries the subset for the scorer).
    names = {"classification": "train_classify.json", "description": "train_describe.json",
             "counting": "train_classify_count.json", "grounding": "train_grounding.json",
             "referring": "train_refer.json"}  # fmt: skip
    train = load(out / "official" / "SARChat_train.json")
    tasks = [task_of_question(r["messages"][0]["content"].removeprefix("<image>\n")) for r in train]
    objects = {
        r["images"][0]: r["messages"][1]["content"].count("{<") for r, t in zip(train, tasks) if t == "grounding"
    }
    by_task: dict[str, list[dict]] = {}
    for record, task in zip(train, tasks):
        if task == "identification":
            name = f"train_identify_{'multi' if objects[record['images'][0]] > 1 else 'single'}.json"
        else:
            name = names[task]
        by_task.setdefault(name, []).append(record)
    assert len(by_task) == 7
    assert main(["score", *map(str, _oracle_files(by_task, tmp_path / "oracle_train")), "--images", str(root)]) == 0
    _assert_all_100(json.loads(capsys.readouterr().out))


def test_prepare_reads_the_official_files_back(tmp_path):
    from sarchat_tasks.prepare import prepare

    root = write_sardet(tmp_path / "sardet")
    build(root, tmp_path / "out", prepare_layout=False, splits=["test"], log=lambda m: None)
    manifest = prepare(sorted((tmp_path / "out" / "official").glob("*.json")), root, tmp_path / "prepared")
    assert manifest["tasks"]["grounding"]["subsets"] == {"multi": 2, "single": 3}
    assert manifest["tasks"]["referring"]["subsets"] == {"multi": 2, "single": 5}
    assert manifest["images"] == 5


# --- images and file names ---------------------------------------------------------------------


def test_file_names_with_and_without_the_split_folder(tmp_path):
    images = [
        {"id": 1, "file_name": "a.jpg", "width": 300, "height": 300},
        {"id": 2, "file_name": "test/b.jpg", "width": 300, "height": 300},
        {"id": 3, "file_name": "JPEGImages/test/c.jpg", "width": 300, "height": 300},
        {"id": 4, "file_name": ".\\test\\d.jpg", "width": 300, "height": 300},
    ]
    annotations = [(i, SHIP, [10, 10, 50, 50]) for i in range(1, 5)]
    root = write_sardet(tmp_path / "sardet", data=coco(images=images, annotations=annotations))
    source = read_split(root, "test")
    assert [image.path for image in source.images] == [
        "JPEGImages/test/a.jpg", "JPEGImages/test/b.jpg", "JPEGImages/test/c.jpg", "JPEGImages/test/d.jpg",
    ]  # fmt: skip


def test_image_candidates():
    assert image_candidates("x.jpg", "test") == ["JPEGImages/test/x.jpg", "JPEGImages/x.jpg", "x.jpg"]
    assert image_candidates("test/x.jpg", "test")[1] == "JPEGImages/test/x.jpg"
    for bad in ("../x.jpg", "/abs/x.jpg", "a/../../x.jpg", "C:/x.jpg", ""):
        with pytest.raises(ValueError, match="relative path inside"):
            image_candidates(bad, "test")


def test_build_never_opens_an_image(tmp_path, monkeypatch):
    import PIL.Image

    root = write_sardet(tmp_path / "sardet")

    def refuse(*args, **kwargs):
        raise AssertionError("the builder opened an image")

    monkeypatch.setattr(PIL.Image, "open", refuse)
    report = build(root, tmp_path / "out", splits=["test"], prepare_layout=False, log=lambda m: None)
    assert report["split_details"]["test"]["records"] > 0


# --- bad input ---------------------------------------------------------------------------------


def _fixture_with(edit) -> dict:
    data = coco()
    edit(data)
    return data


def _tree_snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            stat = path.lstat()
            found[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("annotations"), "missing or non-list field 'annotations'"),
        (lambda d: d["images"][0].pop("width"), "image #0 (id 1): missing field 'width'"),
        (lambda d: d["images"][2].update(height=0), "image 3 ('c.jpg'): width and height must be positive integers"),
        (lambda d: d["images"][1].update(id=1), "image 1 ('test/b.jpg'): image id listed twice"),
        (lambda d: d["images"][0].update(file_name="../a.jpg"), "must be a relative path inside the dataset root"),
        (lambda d: d["annotations"][3].pop("bbox"), "annotation 4 (#3): missing field 'bbox'"),
        (lambda d: d["annotations"][0].pop("category_id"), "annotation 1 (#0): missing field 'category_id'"),
        (lambda d: d["annotations"][0].update(bbox=[1, 2, 3]), "annotation 1 (#0): 'bbox' must be four finite numbers"),
        (lambda d: d["annotations"][0].update(bbox=[1, 2, "3", 4]), "'bbox' must be four finite numbers"),
        (
            lambda d: d["categories"].append({"id": 9, "name": "person"}),
            "category id 9 named 'person' is not a SARChat",
        ),
        (lambda d: d["categories"].append({"id": 1, "name": "ship"}), "category id 1 is listed twice"),
        (lambda d: d["categories"][0].pop("name"), "category #0 needs an 'id' and a string 'name'"),
    ],
)
def test_malformed_coco_stops_the_build_and_writes_nothing(tmp_path, edit, message):
    root = write_sardet(tmp_path / "sardet", data=_fixture_with(edit))
    before = _tree_snapshot(tmp_path)
    with pytest.raises(BuildError) as caught:
        build(root, tmp_path / "out", splits=["test"], log=lambda m: None)
    assert message in str(caught.value)
    assert str(root / "Annotations" / "test.json") in str(caught.value)
    assert _tree_snapshot(tmp_path) == before  # not even an empty DIR is left behind


def test_not_json_at_all(tmp_path):
    root = write_sardet(tmp_path / "sardet")
    (root / "Annotations" / "test.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(BuildError, match="not a readable COCO JSON file"):
        build(root, tmp_path / "out", splits=["test"], log=lambda m: None)


def test_missing_annotation_file_names_it(tmp_path):
    root = write_sardet(tmp_path / "sardet")
    with pytest.raises(BuildError, match=r"annotation file\(s\) not found: .*train\.json"):
        build(root, tmp_path / "out", splits=["test", "train"], log=lambda m: None)
    assert not (tmp_path / "out").exists()


BAD_ENTRIES = {
    # reason: (annotations added to the known fixture, count, words the message must hold)
    "outside_image": ([(1, SHIP, [900, 100, 20, 20])], 1, "annotation 10 (#9) of image 1 ('a.jpg'): box [900, 100, 20, 20] lies outside the 800x800 image"),
    "zero_area": ([(1, SHIP, [10, 10, 0, 20]), (2, SHIP, [5, 5, 20, 0])], 2, "annotation 10 (#9) of image 1 ('a.jpg'): box [10, 10, 0, 20] has zero area"),
    "unknown_category": ([(1, 42, [10, 10, 20, 20])], 1, "annotation 10 (#9) of image 1 ('a.jpg'): category id 42 is not in the categories list"),
    "unknown_image": ([(77, SHIP, [10, 10, 20, 20])], 1, "annotation 10 (#9): image id 77 is not in the images list"),
}  # fmt: skip


@pytest.mark.parametrize("reason", sorted(BAD_ENTRIES))
def test_bad_annotations_are_skipped_counted_and_named(tmp_path, reason, capsys):
    added, count, message = BAD_ENTRIES[reason]
    root = write_sardet(tmp_path / "sardet", data=coco(annotations=KNOWN_ANNOTATIONS + added))
    report = build(root, tmp_path / "out", splits=["test"], prepare_layout=False, log=lambda m: None)
    issues = report["split_details"]["test"]["issues"]
    assert issues[reason]["count"] == count
    assert message in issues[reason]["examples"][0]
    assert report["split_details"]["test"]["skipped"] == count
    assert report["split_details"]["test"]["instances_used"] == len(KNOWN_ANNOTATIONS)  # the good ones all kept
    written = json.loads((tmp_path / "out" / REPORT).read_text())
    assert written["split_details"]["test"]["issues"][reason]["count"] == count


@pytest.mark.parametrize("reason", sorted(BAD_ENTRIES))
def test_strict_stops_at_a_bad_annotation(tmp_path, reason):
    added, _, message = BAD_ENTRIES[reason]
    root = write_sardet(tmp_path / "sardet", data=coco(annotations=KNOWN_ANNOTATIONS + added))
    with pytest.raises(BuildError) as caught:
        build(root, tmp_path / "out", splits=["test"], strict=True, log=lambda m: None)
    assert message in str(caught.value) and "--strict" in str(caught.value)
    assert not (tmp_path / "out").exists()


def test_images_missing_on_disk_are_skipped_with_their_annotations(tmp_path):
    root = write_sardet(tmp_path / "sardet", skip_files=("c.jpg",))
    report = build(root, tmp_path / "out", splits=["test"], log=lambda m: None)
    detail = report["split_details"]["test"]
    assert detail["issues"]["missing_image_file"]["count"] == 1
    assert (
        "image 3 ('c.jpg'): no file at JPEGImages/test/c.jpg" in detail["issues"]["missing_image_file"]["examples"][0]
    )
    assert detail["issues"]["annotations_of_missing_images"]["count"] == 2
    assert detail["images_used"] == 4 and detail["instances_used"] == 7
    assert detail["skipped"] == 3
    assert all(
        "c.jpg" not in image for _, _, image in pairs(tmp_path / "out" / "official" / "SARChat_classify_test.json")
    )


def test_no_image_on_disk_at_all_is_an_error(tmp_path):
    root = write_sardet(tmp_path / "sardet", skip_files=tuple(f"{c}.jpg" for c in "abcde"))
    with pytest.raises(BuildError, match=r"none of the 5 images it lists exist under .*is .* the SARDet-100K root"):
        build(root, tmp_path / "out", splits=["test"], log=lambda m: None)


def test_clipped_boxes_are_reported_as_a_note(tmp_path):
    root = write_sardet(tmp_path / "sardet")
    report = build(root, tmp_path / "out", splits=["test"], prepare_layout=False, log=lambda m: None)
    issues = report["split_details"]["test"]["issues"]
    assert issues["clipped"]["count"] == 1 and "annotation 3 (#2)" in issues["clipped"]["examples"][0]
    assert report["split_details"]["test"]["skipped"] == 0


def test_existing_build_needs_force(tmp_path):
    root = write_sardet(tmp_path / "sardet")
    out = tmp_path / "out"
    build(root, out, splits=["test"], log=lambda m: None)
    (out / "unrelated.txt").write_text("mine", encoding="utf-8")
    before = _official_bytes(out)
    with pytest.raises(BuildError, match=r"already holds official, build_report\.json, manifest\.json"):
        build(root, out, splits=["test"], seed=5, log=lambda m: None)
    assert _official_bytes(out) == before
    build(root, out, splits=["test"], seed=5, force=True, log=lambda m: None)
    assert _official_bytes(out) != before
    assert (out / "unrelated.txt").read_text() == "mine"  # only the build's own entries are replaced
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_nothing_is_written_outside_dir(tmp_path):
    root = write_sardet(tmp_path / "sardet", splits=("test", "train"))
    before = _tree_snapshot(tmp_path)
    build(root, tmp_path / "out", log=lambda m: None)
    after = _tree_snapshot(tmp_path)
    outside = {k: v for k, v in after.items() if not k.startswith("out")}
    assert outside == before


def test_failed_prepare_leaves_dir_untouched(tmp_path, monkeypatch):
    import sarchat_tasks.prepare as prepare_module

    root = write_sardet(tmp_path / "sardet")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x", encoding="utf-8")

    def broken(*args, **kwargs):
        raise prepare_module.PrepareError("simulated")

    monkeypatch.setattr(prepare_module, "prepare", broken)
    with pytest.raises(BuildError, match="not empty and not a set written by sarchat; pass --force"):
        build(root, out, splits=["test"], log=lambda m: None)
    with pytest.raises(BuildError, match="preparing the built test files failed: simulated"):
        build(root, out, splits=["test"], force=True, log=lambda m: None)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


# --- command line ------------------------------------------------------------------------------


def test_cli_build(tmp_path, capsys):
    root = write_sardet(tmp_path / "sardet", splits=("test", "train"))
    assert main(["build", str(root), "--out", str(tmp_path / "out"), "--seed", "2", "--official-only"]) == 0
    printed = capsys.readouterr().out
    assert "test: 5 of 5 images, 9 objects" in printed
    assert "train: 5 of 5 images, 9 objects" in printed
    assert "official/SARChat_train.json" in printed
    assert "note: 1 boxes clipped to the image border" in printed
    # the release's own nine names (SARCHAT.md, VERBATIM), so its inference script finds its inputs
    assert sorted(p.name for p in (tmp_path / "out" / "official").iterdir()) == sorted(
        [*VERBATIM_TEST_FILES, "SARChat_train.json"]
    )
    assert not (tmp_path / "out" / "manifest.json").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--splits", "test,dev"], "--splits must list distinct names from test, train, val"),
        (["--splits", "test,test"], "--splits must list distinct names"),
        (["--splits", "test", "--templates", "nowhere.yaml"], "cannot read the template bank"),
    ],
)
def test_cli_build_errors(tmp_path, capsys, args, message):
    root = write_sardet(tmp_path / "sardet")
    assert main(["build", str(root), "--out", str(tmp_path / "out"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_build_missing_root(tmp_path, capsys):
    assert main(["build", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_cli_reports_every_skip_with_a_first_example(tmp_path, capsys):
    added, _, message = BAD_ENTRIES["outside_image"]
    root = write_sardet(tmp_path / "sardet", data=coco(annotations=KNOWN_ANNOTATIONS + added))
    assert main(["build", str(root), "--out", str(tmp_path / "out"), "--splits", "test", "--official-only"]) == 0
    printed = capsys.readouterr().out
    assert (
        f"skipped 1 annotations with a box entirely outside its image; first: {root}/Annotations/test.json: {message}"
        in printed
    )
