"""A small test set in the official SARChat format, written by hand the way the paper's figures
show records, with images to match. Used by the prepare, scoring and end-to-end tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

# image name -> (width, height, [(category, box)])
SCENES: dict[str, tuple[int, int, list[tuple[str, tuple[int, int, int, int]]]]] = {
    "harbour.png": (512, 512, [("ship", (294, 358, 329, 427)), ("ship", (61, 448, 122, 503)),
                               ("ship", (27, 199, 78, 261)), ("harbor", (193, 157, 245, 306))]),
    "airport.png": (600, 400, [("aircraft", (393, 326, 470, 394))]),
    "depot.png": (320, 256, [("tank", (20, 30, 60, 70)), ("tank", (200, 150, 240, 190)), ("car", (150, 20, 170, 34))]),
}  # fmt: skip


def _image(width: int, height: int, boxes: list[tuple[int, int, int, int]], seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = rng.gamma(4.0, 12.0, size=(height, width))
    for x1, y1, x2, y2 in boxes:
        pixels[y1:y2, x1:x2] = 230
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def _record(image: str, question: str, answer: str) -> dict:
    return {
        "messages": [{"role": "user", "content": f"<image>\n{question}"}, {"role": "assistant", "content": answer}],
        "images": [image],
    }


def _box(b: tuple[int, int, int, int]) -> str:
    return f"{{<{b[0]}><{b[1]}><{b[2]}><{b[3]}>}}"


# The nine official files of this fixture, written out as the paper's figures show them.
RECORDS: dict[str, list[tuple[str, str, str]]] = {
    "SARChat_classify_test.json": [
        ("images/airport.png", "Based on these category options (aircraft, bridge, car, harbor, ship, tank), what's visible in this scene?", "It is aircraft"),
        ("images/harbour.png", "Based on these category options (aircraft, bridge, car, harbor, ship, tank), what's visible in this scene?", "It is ship and harbor"),
    ],
    "SARChat_describe_test.json": [
        ("images/harbour.png", "What do you observe in this satellite imagery?",
         "In this satellite image, we can observe the following: A small ship is visible in the bottom center portion of the image "
         "There is one more small ship in the bottom left portion of the image Also, we can observe another small ship on the left side "
         "of the image A small harbor is visible in the central region of the image"),
    ],
    "SARChat_classify_count_test.json": [
        ("images/harbour.png", "[count] Count the ship in this satellite image.",
         "There are 3 instances. {<294><358><329><427>}{<61><448><122><503>}{<27><199><78><261>}"),
        ("images/depot.png", "[count] Count the tank in this satellite image.", "There are 2 instances. {<20><30><60><70>}{<200><150><240><190>}"),
        ("images/airport.png", "[count] Count the aircraft in this satellite image.", "There is 1 instance. {<393><326><470><394>}"),
    ],
    "SARChat_classify_grounding_multi_test.json": [
        ("images/harbour.png", "[grounding] What objects can you identify in this SAR image and where are they located?",
         "In this SAR image, I can identify several objects and their locations: There are 3 ships: one in the bottom center portion "
         "{<294><358><329><427>}, one in the bottom left portion {<61><448><122><503>}, one in the middle left portion {<27><199><78><261>}. "
         "There is 1 harbor: one in the middle center portion {<193><157><245><306>}. The ship is far from the harbor."),
        ("images/depot.png", "[grounding] What objects can you identify in this SAR image and where are they located?",
         "In this SAR image, I can identify several objects and their locations: There are 2 tanks: one in the top left portion "
         "{<20><30><60><70>}, one in the bottom right portion {<200><150><240><190>}. There is 1 car: one in the top center portion {<150><20><170><34>}."),
    ],
    "SARChat_classify_grounding_single_test.json": [
        ("images/airport.png", "[grounding] What objects can you identify in this SAR image and where are they located?",
         "In this SAR image, I can identify several objects and their locations: There is 1 aircraft: one in the bottom right portion {<393><326><470><394>}."),
    ],
    "SARChat_classify_identify_multi_test.json": [
        ("images/harbour.png", "[identify] What can you identify within these coordinates: {<294><358><329><427>}?",
         "Examining the bottom center area reveals a very small ship."),
        ("images/harbour.png", "[identify] Could you specify what appears at {<193><157><245><306>}?",
         "Present in the middle center area is a small, tall harbor."),
        ("images/depot.png", "[identify] What can you identify within these coordinates: {<150><20><170><34>}?",
         "Examining the top center area reveals a very small car."),
    ],
    "SARChat_classify_identify_single_test.json": [
        ("images/airport.png", "[identify] Could you specify what appears at {<393><326><470><394>}?",
         "Present in the bottom right area is a very small aircraft."),
    ],
    "SARChat_classify_refer_multi_test.json": [
        ("images/harbour.png", "[refer] Identify 3 ship.",
         "{<294><358><329><427>} (bottom center){<61><448><122><503>} (bottom left){<27><199><78><261>} (middle left)"),
        ("images/depot.png", "[refer] Identify 2 tank.", "{<20><30><60><70>} (top left){<200><150><240><190>} (bottom right)"),
    ],
    "SARChat_classify_refer_single_test.json": [
        ("images/airport.png", "[refer] Locate 1 aircraft.", "{<393><326><470><394>} (bottom right)"),
        ("images/depot.png", "[refer] Locate 1 car.", "{<150><20><170><34>} (top center)"),
    ],
}  # fmt: skip


def write_official_fixture(root: Path) -> tuple[list[Path], Path]:
    """Write the images and the nine official files under ``root``; return (files, images root)."""
    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
    for seed, (name, (width, height, objects)) in enumerate(SCENES.items()):
        _image(width, height, [box for _, box in objects], seed).save(root / "images" / name)
    files = []
    for name, records in RECORDS.items():
        path = root / "official" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([_record(*r) for r in records], indent=1), encoding="utf-8")
        files.append(path)
    return files, root


def oracle_predictions(files: list[Path], out: Path, transform=lambda answer: answer) -> list[Path]:
    """Prediction files in the ``swift infer`` output format whose response is the reference
    (passed through ``transform``)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in files:
        records = json.loads(path.read_text(encoding="utf-8"))
        for record in records:
            answer = record["messages"][1]["content"]
            record["response"] = transform(answer)
            record["labels"] = answer
        target = out / path.name
        target.write_text(json.dumps(records), encoding="utf-8")
        written.append(target)
    return written
