"""Grounding answers (grounding_abstract_position where the reference states a relation,
grounding_<subset> and grounding_<subset>_iou25). Boxes match only boxes of their own category; a
box with no category is a false positive. An answer without boxes scores [0, 0, n]."""

from answer_corpus import SOURCES as S
from answer_corpus import E

_INTRO = "In this SAR image, I can identify several objects and their locations: "
_ONE = "In this SAR image, I can identify one object and its location: "
_HARBOUR_GROUPS = (
    "There are 3 ships: one in the bottom center portion {<294><358><329><427>}, one in the bottom left portion "
    "{<61><448><122><503>}, one in the middle left portion {<27><199><78><261>}. There is 1 harbor: one in the "
    "middle center portion {<193><157><245><306>}."
)
_DEPOT_GROUPS = (
    "There are 2 tanks: one in the top left portion {<20><30><60><70>}, one in the bottom right portion "
    "{<200><150><240><190>}. There is 1 car: one in the top center portion {<150><20><170><34>}."
)
_APRON_GROUPS = (
    "There are 2 aircraft: one in the top left portion {<56><84><140><168>}, one in the bottom right portion "
    "{<420><392><504><476>}. There is 1 bridge: one in the middle center portion {<196><210><364><350>}."
)
_Q = "[grounding] What objects can you identify in this SAR image and where are they located?"

RECORDS = {
    "harbour": dict(task="grounding", subset="multi", width=512, height=512, question=_Q,
                    reference=_INTRO + _HARBOUR_GROUPS + " The ship is far from the harbor."),
    "depot": dict(task="grounding", subset="multi", width=320, height=256, question=_Q,
                  reference=_INTRO + _DEPOT_GROUPS),
    "depot_near": dict(task="grounding", subset="multi", width=320, height=256,
                       question="[grounding] Locate all objects in this image and give their positions.",
                       reference=_INTRO + _DEPOT_GROUPS + " The tank is near the car."),
    "apron": dict(task="grounding", subset="multi", width=560, height=560,
                  question="[grounding] Detect the objects in this image and report their positions.",
                  reference=_INTRO + _APRON_GROUPS + " The aircraft is far from the bridge."),
    "sea": dict(task="grounding", subset="multi", width=800, height=600,
                question="[grounding] Which objects are in this scene, and where is each one?",
                reference=_INTRO + "There are 2 ships: one in the middle center portion {<200><150><400><450>}, "
                "one in the middle right portion {<480><330><640><420>}."),
    "airport": dict(task="grounding", subset="single", width=600, height=400, question=_Q,
                    reference=_ONE + "There is 1 aircraft: one in the bottom right portion {<393><326><470><394>}."),
    "river": dict(task="grounding", subset="single", width=560, height=560,
                  question="[grounding] Find all targets in this SAR image and describe where they are.",
                  reference=_ONE + "There is 1 bridge: one in the middle center portion {<196><210><364><350>}."),
}  # fmt: skip


def _m(tp_fp_fn, iou25=None, position=None):
    out = {"grounding_multi": tp_fp_fn, "grounding_multi_iou25": tp_fp_fn if iou25 is None else iou25}
    if position is not None:
        out["grounding_abstract_position"] = position
    return out


def _s(tp_fp_fn, iou25=None):
    return {"grounding_single": tp_fp_fn, "grounding_single_iou25": tp_fp_fn if iou25 is None else iou25}


# Qwen2.5-VL reads 512 x 512 as 504 x 504 (smart_resize: 512 / 28 = 18.3 -> 18 x 28, within its pixel
# bounds): v = x * 504 / 512, said to the nearest pixel; read back within 1 px of the reference.
_HARBOUR_QWEN25 = (
    '```json\n[\n\t{"bbox_2d": [289, 352, 324, 420], "label": "ship"},\n\t{"bbox_2d": [60, 441, 120, 495], "label": "ship"},\n'
    '\t{"bbox_2d": [27, 196, 77, 257], "label": "ship"},\n\t{"bbox_2d": [190, 155, 241, 301], "label": "harbor"}\n]\n```'
)

# fmt: off
ENTRIES = [
    # --- harbour: 3 ships + harbor, the ship is far from the harbor ---
    E("ground-001", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "harbour",
      _INTRO + _HARBOUR_GROUPS + " The ship is far from the harbor.", _m([4, 0, 0], position=1),
      "the reference itself"),
    E("ground-002", "SARChat-Qwen2-VL-7B", S["sarchat"], "sarchat", "plain", "harbour",
      _INTRO + _HARBOUR_GROUPS, _m([4, 0, 0], position=0), "every box right; no relation stated: position wrong"),
    E("ground-003", "SARChat-LLaVA-1.5-7B", S["sarchat"], "sarchat", "plain", "harbour",
      _INTRO + _HARBOUR_GROUPS + " The ship is near the harbor.", _m([4, 0, 0], position=0), "near != far"),
    E("ground-004", "GPT-4o", S["gpt4o"], "generic", "relation_phrasing", "harbour",
      "The image shows three ships and a harbor. The ships are located far away from the harbor.",
      _m([0, 0, 4], position=1), "'located far away from' = far; no box: 4 FN"),
    E("ground-005", "Gemini 1.5 Pro", S["gemini"], "generic", "relation_phrasing", "harbour",
      "A harbor occupies the center of the scene. The nearest ship lies far from the harbor.",
      _m([0, 0, 4], position=1), "'lies far from' = far"),
    E("ground-006", "Claude 3.5 Sonnet", S["claude"], "generic", "relation_phrasing", "harbour",
      "The ships are right next to the harbor.", _m([0, 0, 4], position=0), "'right next to' = near != far"),
    E("ground-007", "Gemini 1.5 Flash", S["gemini"], "generic", "negation", "harbour",
      "The harbor is not close to any of the ships.", _m([0, 0, 4], position=1), "'not close to' = far"),
    E("ground-008", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl_cookbook"], "qwen2_5_vl", "native_boxes_json", "harbour",
      _HARBOUR_QWEN25, _m([4, 0, 0], position=0),
      "labels give the categories; boxes in the 504 x 504 input, x 512/504 within 1 px; no relation"),
    E("ground-009", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "relation_phrasing", "harbour",
      _HARBOUR_QWEN25 + "\nThe ships are far from the harbor.", _m([4, 0, 0], position=1), "as above, and far"),
    E("ground-010", "Qwen3-VL-8B-Instruct", S["qwen3_vl"], "qwen3_vl", "noncategory_label", "harbour",
      '```json\n[\n  {"bbox_2d": [574, 699, 643, 834], "label": "ship"},\n  {"bbox_2d": [119, 875, 238, 982], "label": "ship"},\n'
      '  {"bbox_2d": [53, 389, 152, 510], "label": "ship"},\n  {"bbox_2d": [377, 307, 479, 598], "label": "building"}\n]\n```',
      _m([3, 1, 1], position=0), "a box labelled building names no category: FP, and the harbor is missed"),
    E("ground-011", "InternVL2.5-8B", S["internvl"], "internvl2_5", "native_boxes_internvl", "harbour",
      "<ref>ship</ref><box>[[574, 699, 643, 834], [119, 875, 238, 982], [53, 389, 152, 510]]</box>"
      "<ref>harbor</ref><box>[[377, 307, 479, 598]]</box>", _m([4, 0, 0], position=0),
      "0-1000 x 0.512: all within 0.5 px"),
    E("ground-012", "Florence-2-large", S["florence2"], "florence2", "native_boxes_florence", "harbour",
      "ship<loc_574><loc_699><loc_642><loc_833>ship<loc_119><loc_874><loc_238><loc_982>"
      "ship<loc_52><loc_388><loc_152><loc_509>harbor<loc_376><loc_306><loc_478><loc_597>", _m([4, 0, 0], position=0),
      "bins (v + 0.5) x 0.512: within 1 px"),
    E("ground-013", "Florence-2-large", S["florence2"], "florence2", "noncategory_label", "harbour",
      "ship<loc_574><loc_699><loc_642><loc_833>ship<loc_119><loc_874><loc_238><loc_982>"
      "building<loc_52><loc_388><loc_152><loc_509>harbor<loc_376><loc_306><loc_478><loc_597>",
      _m([3, 1, 1], position=0),
      "the third run is labelled building, no category: FP (it does not inherit 'ship'); the middle-left ship FN"),
    E("ground-014", "Florence-2-base", S["florence2"], "florence2", "native_boxes_florence", "harbour",
      "boat<loc_574><loc_699><loc_642><loc_833>boat<loc_119><loc_874><loc_238><loc_982>"
      "boat<loc_52><loc_388><loc_152><loc_509>port<loc_376><loc_306><loc_478><loc_597>", _m([4, 0, 0], position=0),
      "boat = ship, port = harbor"),
    E("ground-015", "GeoChat-7B", S["geochat"], "geochat", "native_boxes_rotated", "harbour",
      "There are 3 ships {<57><70><64><83>|0}{<12><88><24><98>|0}{<5><39><15><51>|0} and a harbor "
      "{<38><31><48><60>|0}. The ships are far from the harbor.", _m([4, 0, 0], position=1),
      "0-100 x 5.12: ship IoUs 0.876, 0.912, 0.938; harbor (194.6,158.7,245.8,307.2) IoU > 0.95"),
    E("ground-016", "deepseek-vl2-small", S["deepseek_vl2"], "deepseek_vl2", "native_boxes_deepseek", "harbour",
      "<|ref|>ship<|/ref|><|det|>[[574, 699, 642, 833], [119, 874, 238, 981], [53, 388, 152, 509]]<|/det|>\n"
      "<|ref|>harbor<|/ref|><|det|>[[377, 306, 478, 597]]<|/det|>", _m([4, 0, 0], position=0),
      "0-999 x 512/999: within 1 px"),
    E("ground-017", "GPT-4o", S["gpt4o"], "generic", "markdown", "harbour",
      "**Objects detected:**\n\n1. **Ship**: [294, 358, 329, 427]\n2. **Ship**: [61, 448, 122, 503]\n"
      "3. **Ship**: [27, 199, 78, 261]\n4. **Harbor**: [193, 157, 245, 306]\n\n"
      "All three ships are located far from the harbor.", _m([4, 0, 0], position=1),
      "pixel boxes after their category word; 'located far from' = far"),
    E("ground-018", "Claude 3.5 Sonnet", S["claude"], "generic", "relation_phrasing", "harbour",
      "I can identify a harbor at [193, 157, 245, 306] and three vessels: [294, 358, 329, 427], "
      "[61, 448, 122, 503] and [27, 199, 78, 261]. The vessels are close to each other but distant from the harbor.",
      _m([4, 0, 0], position=1), "ship-ship closeness is no reference pair; ship-harbor: distant = far"),
    # --- depot: 2 tanks + car, no relation ---
    E("ground-019", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "depot", _INTRO + _DEPOT_GROUPS,
      _m([3, 0, 0]), "the reference itself"),
    E("ground-020", "SARChat-Qwen2-VL-2B", S["sarchat"], "sarchat", "plain", "depot",
      _INTRO + "There are 2 cars: one in the top left portion {<20><30><60><70>}, one in the bottom right portion "
      "{<200><150><240><190>}. There is 1 tank: one in the top center portion {<150><20><170><34>}.",
      _m([0, 3, 3]), "right boxes, wrong categories: no pair of the same category"),
    E("ground-021", "GPT-4o", S["gpt4o"], "generic", "native_boxes_list", "depot",
      "Tanks: [20, 30, 60, 70], [200, 150, 240, 190]. Car: [150, 20, 170, 34].", _m([3, 0, 0]), "exact, categories right"),
    E("ground-022", "Claude 3.5 Sonnet", S["claude"], "generic", "negation", "depot",
      "This is not a car but a tank: [20, 30, 60, 70]. Another tank: [200, 150, 240, 190]. "
      "A small vehicle: [150, 20, 170, 34].", _m([3, 0, 0]), "negated car; tank, tank, vehicle = car"),
    E("ground-023", "SARChat-Qwen2-VL-7B", S["sarchat"], "sarchat", "plain", "depot",
      _INTRO + "There are 2 tanks: one in the top left portion {<20><30><60><70>}, one in the bottom right portion "
      "{<200><150><240><190>}.", _m([2, 0, 1]), "the car is missed"),
    E("ground-024", "Gemini 1.5 Pro", S["gemini"], "generic", "native_boxes_json", "depot",
      '```json\n[\n  {"label": "tank", "bbox": [20, 30, 60, 70]},\n  {"label": "tank", "bbox": [200, 150, 240, 190]},\n'
      '  {"label": "vehicle", "bbox": [150, 20, 170, 34]}\n]\n```', _m([3, 0, 0]),
      "label before bbox in each object; vehicle = car"),
    # --- depot_near: the tank is near the car ---
    E("ground-025", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "depot_near",
      _INTRO + _DEPOT_GROUPS + " The tank is near the car.", _m([3, 0, 0], position=1), "the reference itself"),
    E("ground-026", "GPT-4o", S["gpt4o"], "generic", "relation_phrasing", "depot_near",
      "Tanks at [20, 30, 60, 70] and [200, 150, 240, 190]; a car at [150, 20, 170, 34]. "
      "The car is adjacent to one of the tanks.", _m([3, 0, 0], position=1), "'adjacent to' = near"),
    E("ground-027", "Claude 3 Haiku", S["claude"], "generic", "relation_phrasing", "depot_near",
      "The car is parked right next to the tanks.", _m([0, 0, 3], position=1), "'right next to' = near"),
    E("ground-028", "gemma-3-4b-it", S["gemma3"], "generic", "relation_phrasing", "depot_near",
      "The tanks and the car are close to each other.", _m([0, 0, 3], position=1),
      "'close to each other' over tanks and car = near"),
    E("ground-029", "Gemini 1.5 Flash", S["gemini"], "generic", "relation_phrasing", "depot_near",
      "The car is located far away from the tanks.", _m([0, 0, 3], position=0), "far != near"),
    E("ground-030", "GPT-4o mini", S["gpt4o"], "generic", "negation", "depot_near",
      "The car is not far from the tanks.", _m([0, 0, 3], position=1), "'not far from' = near"),
    E("ground-031", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "depot_near",
      "<|object_ref_start|>tank<|object_ref_end|><|box_start|>(62,117),(188,273)<|box_end|>"
      "<|box_start|>(625,586),(750,742)<|box_end|><|object_ref_start|>car<|object_ref_end|>"
      "<|box_start|>(469,78),(531,133)<|box_end|> The tank is close to the car.", _m([3, 0, 0], position=1),
      "0-1000 x (0.32, 0.256): within 0.3 px; car (150.1,20.0,169.9,34.0); close to = near"),
    # --- apron: 2 aircraft + bridge, the aircraft is far from the bridge ---
    E("ground-032", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl_cookbook"], "qwen2_5_vl", "native_boxes_json", "apron",
      '```json\n[\n\t{"bbox_2d": [56, 84, 140, 168], "label": "aircraft"},\n\t{"bbox_2d": [420, 392, 504, 476], '
      '"label": "aircraft"},\n\t{"bbox_2d": [196, 210, 364, 350], "label": "bridge"}\n]\n```',
      _m([3, 0, 0], position=0), "560 x 560 is its own input: exact; no relation stated"),
    E("ground-033", "Qwen2.5-VL-72B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "relation_phrasing", "apron",
      '```json\n[\n\t{"bbox_2d": [56, 84, 140, 168], "label": "aircraft"},\n\t{"bbox_2d": [420, 392, 504, 476], '
      '"label": "aircraft"},\n\t{"bbox_2d": [196, 210, 364, 350], "label": "bridge"}\n]\n```\n'
      "The aircraft are far away from the bridge.", _m([3, 0, 0], position=1), "far away from = far"),
    E("ground-034", "Qwen3-VL-8B-Instruct", S["qwen3_vl"], "qwen3_vl", "native_boxes_json", "apron",
      '[{"bbox_2d": [100, 150, 250, 300], "label": "airplane"}, {"bbox_2d": [750, 700, 900, 850], '
      '"label": "airplane"}, {"bbox_2d": [350, 375, 650, 625], "label": "bridge"}]', _m([3, 0, 0], position=0),
      "airplane = aircraft; 0-1000 x 0.56 exact"),
    E("ground-035", "Qwen3-VL-8B-Instruct", S["qwen3_vl"], "qwen3_vl", "noncategory_label", "apron",
      '[{"bbox_2d": [100, 150, 250, 300], "label": "plane"}, {"bbox_2d": [750, 700, 900, 850], '
      '"label": "plane"}, {"bbox_2d": [350, 375, 650, 625], "label": "road"}]', _m([2, 1, 1], position=0),
      "road is no category: FP, the bridge FN"),
    E("ground-036", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "apron",
      "<|object_ref_start|>aircraft<|object_ref_end|><|box_start|>(100,150),(250,300)<|box_end|>"
      "<|box_start|>(750,700),(900,850)<|box_end|><|object_ref_start|>bridge<|object_ref_end|>"
      "<|box_start|>(350,375),(650,625)<|box_end|>", _m([3, 0, 0], position=0), "exact on 0-1000"),
    E("ground-037", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "apron",
      "aircraft(100,150),(250,300)(750,700),(900,850)bridge(350,375),(650,625)", _m([3, 0, 0], position=0),
      "the same, tags decoded away"),
    E("ground-038", "InternVL2.5-8B", S["internvl"], "internvl2_5", "relation_phrasing", "apron",
      "<ref>aircraft</ref><box>[[100, 150, 250, 300], [750, 700, 900, 850]]</box> and "
      "<ref>bridge</ref><box>[[350, 375, 650, 625]]</box>. The aircraft are located far away from the bridge.",
      _m([3, 0, 0], position=1), "exact; 'located far away from' = far"),
    E("ground-039", "llava-1.5-7b-hf", S["llava_1_5"], "llava_1_5", "native_boxes_list", "apron",
      "aircraft: [0.1, 0.15, 0.25, 0.3], aircraft: [0.75, 0.7, 0.9, 0.85], bridge: [0.35, 0.38, 0.65, 0.62]",
      _m([3, 0, 0], position=0), "fractions x 560; bridge (196,212.8,364,347.2) IoU 134.4/140 = 0.96"),
    E("ground-040", "deepseek-vl2", S["deepseek_vl2"], "deepseek_vl2", "native_boxes_deepseek", "apron",
      "<|ref|>aircraft<|/ref|><|det|>[[100, 150, 250, 300], [749, 699, 899, 849]]<|/det|>"
      "<|ref|>bridge<|/ref|><|det|>[[350, 375, 649, 624]]<|/det|>", _m([3, 0, 0], position=0),
      "0-999 x 560/999: within 0.5 px"),
    E("ground-041", "GeoChat-7B", S["geochat"], "geochat", "native_boxes_rotated", "apron",
      "There are 2 aircraft {<10><15><25><30>|0} {<75><70><90><85>|0} and a bridge {<35><38><65><62>|0}.",
      _m([3, 0, 0], position=0), "0-100 x 5.6; bridge IoU 0.96"),
    E("ground-042", "Florence-2-large", S["florence2"], "florence2", "native_boxes_florence", "apron",
      "aircraft<loc_100><loc_150><loc_250><loc_300>aircraft<loc_750><loc_700><loc_900><loc_850>"
      "bridge<loc_350><loc_374><loc_650><loc_624>", _m([3, 0, 0], position=0), "bins within 0.6 px"),
    E("ground-043", "Florence-2-large", S["florence2"], "florence2", "noncategory_label", "apron",
      "airplane<loc_100><loc_150><loc_250><loc_300>airplane<loc_750><loc_700><loc_900><loc_850>"
      "runway<loc_350><loc_374><loc_650><loc_624>", _m([2, 1, 1], position=0),
      "runway names no category: FP, the bridge FN"),
    # --- airport: one aircraft (single) ---
    E("ground-044", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "airport",
      _ONE + "There is 1 aircraft: one in the bottom right portion {<393><326><470><394>}.", _s([1, 0, 0]),
      "the reference itself"),
    E("ground-045", "GPT-4o", S["gpt4o"], "generic", "native_boxes_list", "airport",
      "There is one aircraft in the bottom right of the image at [393, 326, 470, 394].", _s([1, 0, 0]), "exact"),
    E("ground-046", "Claude 3.5 Sonnet", S["claude"], "generic", "prose", "airport",
      "I see a single airplane near the bottom-right corner.", _s([0, 0, 1]), "no box: FN"),
    E("ground-047", "GPT-4o mini", S["gpt4o"], "generic", "native_boxes_list", "airport",
      "aircraft: [413, 336, 490, 404]", _s([0, 1, 1], [1, 0, 0]),
      "shifted (+20, +10): IoU 3306 / 7166 = 0.461: matches at 0.25, not 0.5"),
    E("ground-048", "Gemini 1.5 Pro", S["gemini"], "generic", "negation", "airport",
      "This is not a ship. It is an aircraft: [393, 326, 470, 394].", _s([1, 0, 0]), "ship negated; aircraft"),
    E("ground-049", "Gemini 1.5 Flash", S["gemini"], "generic", "negation", "airport",
      "No ship is seen; the aircraft [393, 326, 470, 394] sits on the apron.", _s([1, 0, 0]), "aircraft box"),
    E("ground-050", "Qwen3-VL-8B-Instruct", S["qwen3_vl"], "qwen3_vl", "native_boxes_json", "airport",
      '[{"bbox_2d": [655, 815, 783, 985], "label": "aircraft"}]', _s([1, 0, 0]),
      "x 0.6, y 0.4: (393, 326, 469.8, 394)"),
    E("ground-051", "InternVL3-8B", S["internvl3"], "internvl2_5", "native_boxes_internvl", "airport",
      "<ref>airplane</ref><box>[[655, 815, 783, 985]]</box>", _s([1, 0, 0]), "airplane = aircraft, same box"),
    E("ground-052", "SARChat-Qwen2-VL-2B", S["sarchat"], "sarchat", "plain", "airport",
      _ONE + "There is 1 ship: one in the bottom right portion {<393><326><470><394>}.", _s([0, 1, 1]),
      "the right box as a ship: no same-category pair"),
    # --- river: one bridge (single) ---
    E("ground-053", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "native_boxes_json", "river",
      '```json\n[{"bbox_2d": [196, 210, 364, 350], "label": "bridge"}]\n```', _s([1, 0, 0]), "exact"),
    E("ground-054", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "river",
      "<|object_ref_start|>bridge<|object_ref_end|><|box_start|>(350,375),(650,625)<|box_end|>", _s([1, 0, 0]), "exact"),
    E("ground-055", "llava-1.5-13b-hf", S["llava_1_5"], "llava_1_5", "native_boxes_list", "river",
      "The bridge is at [0.35, 0.38, 0.65, 0.62].", _s([1, 0, 0]), "IoU 0.96"),
    E("ground-056", "llava-1.5-7b-hf", S["llava_1_5"], "llava_1_5", "profile_mismatch", "river",
      "The bridge is located at [196, 210, 364, 350].", _s([0, 1, 1]),
      "read as fractions (the profile): x 560 is over 10 image sizes: invalid box, FP; the bridge FN"),
    # --- sea: 2 ships ---
    E("ground-057", "GPT-4o", S["gpt4o"], "generic", "native_boxes_list", "sea",
      "There are two ships: Ship 1 at [200, 150, 400, 450] and Ship 2 at [480, 330, 640, 420].", _m([2, 0, 0]), "exact"),
    E("ground-058", "Claude 3.5 Sonnet", S["claude"], "generic", "native_boxes_list", "sea",
      "I can see two vessels. The larger one is at [200, 150, 400, 450]; the smaller one at [480, 330, 640, 420].",
      _m([2, 0, 0]), "vessel = ship; exact"),
    E("ground-059", "gemma-3-12b-it", S["gemma3"], "generic", "native_boxes_json", "sea",
      '```json\n[\n  {"bbox": [200, 150, 400, 450], "label": "ship"},\n  {"bbox": [480, 330, 640, 420], "label": "boat"}\n]\n```',
      _m([2, 0, 0]), "bbox key, pixels; boat = ship"),
    E("ground-060", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "native_boxes_json", "sea",
      '```json\n[\n\t{"bbox_2d": [203, 147, 406, 441], "label": "ship"},\n\t{"bbox_2d": [487, 323, 650, 412], "label": "ship"}\n]\n```',
      _m([2, 0, 0]), "812 x 588 input (tests/native_answers.py): within 0.5 px"),
    # --- reasoning models: the boxes and relation of the final answer ---
    E("ground-061", "Qwen3-VL-8B-Thinking", S["qwen3_vl_thinking"], "qwen3_vl", "reasoning_block", "apron",
      "<think>I see two bright cross shapes, probably aircraft, one top left and one bottom right. Are the aircraft "
      "close to the bridge? No, they are far from it.</think>\n"
      '```json\n[{"bbox_2d": [100, 150, 250, 300], "label": "aircraft"}, {"bbox_2d": [750, 700, 900, 850], '
      '"label": "aircraft"}, {"bbox_2d": [350, 375, 650, 625], "label": "bridge"}]\n```\n'
      "The aircraft are far from the bridge.", _m([3, 0, 0], position=1),
      "the final answer: exact boxes, and far (the question asked while reasoning is not a statement)"),
    E("ground-062", "DeepSeek-R1 style (generic)", S["deepseek_r1"], "generic", "reasoning_block", "harbour",
      "<think>A first guess for the harbor is [150, 100, 300, 350]; tighter: [193, 157, 245, 306].</think>\n"
      "Harbor: [193, 157, 245, 306]. Ships: [294, 358, 329, 427], [61, 448, 122, 503], [27, 199, 78, 261]. "
      "The ships are far from the harbor.", _m([4, 0, 0], position=1),
      "the final answer's four boxes, exact; the drafts inside <think> are not predictions"),
]
# fmt: on
