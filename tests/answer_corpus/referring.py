"""Referring answers (referring_<subset>_iou25 / _iou50, [tp, fp, fn]): class-agnostic one-to-one
box matching. Boxes drafted inside a reasoning block are not the answer's."""

from answer_corpus import SOURCES as S
from answer_corpus import E

RECORDS = {
    "harbour_ship": dict(task="referring", subset="multi", width=512, height=512, question="[refer] Identify 3 ship.",
                         reference="{<294><358><329><427>} (bottom center){<61><448><122><503>} (bottom left)"
                         "{<27><199><78><261>} (middle left)"),
    "depot_tank": dict(task="referring", subset="multi", width=320, height=256, question="[refer] Identify 2 tank.",
                       reference="{<20><30><60><70>} (top left){<200><150><240><190>} (bottom right)"),
    "depot_car": dict(task="referring", subset="single", width=320, height=256, question="[refer] Locate 1 car.",
                      reference="{<150><20><170><34>} (top center)"),
    "airport": dict(task="referring", subset="single", width=600, height=400, question="[refer] Locate 1 aircraft.",
                    reference="{<393><326><470><394>} (bottom right)"),
    "apron": dict(task="referring", subset="multi", width=560, height=560,
                  question="[refer] Find 2 aircraft in this image.",
                  reference="{<56><84><140><168>} (top left){<420><392><504><476>} (bottom right)"),
    "river": dict(task="referring", subset="single", width=560, height=560, question="[refer] Locate 1 bridge.",
                  reference="{<196><210><364><350>} (middle center)"),
    "sea": dict(task="referring", subset="multi", width=800, height=600, question="[refer] Point out 2 ship.",
                reference="{<200><150><400><450>} (middle center){<480><330><640><420>} (middle right)"),
    "fleet": dict(task="referring", subset="multi", width=480, height=480,
                  question="[refer] Detect 4 ship in this scene.",
                  reference="{<228><171><259><242>} (middle center){<91><379><130><437>} (bottom left)"
                  "{<359><43><400><122>} (top right){<45><270><66><333>} (middle left)"),
}  # fmt: skip


def _m(iou25, iou50=None):
    return {"referring_multi_iou25": iou25, "referring_multi_iou50": iou25 if iou50 is None else iou50}


def _s(iou25, iou50=None):
    return {"referring_single_iou25": iou25, "referring_single_iou50": iou25 if iou50 is None else iou50}


_FLEET_PIXELS = "[228, 171, 259, 242], [91, 379, 130, 437], [359, 43, 400, 122], [45, 270, 66, 333]"

# fmt: off
ENTRIES = [
    E("refer-001", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "harbour_ship",
      "{<294><358><329><427>} (bottom center){<61><448><122><503>} (bottom left){<27><199><78><261>} (middle left)",
      _m([3, 0, 0]), "the reference itself"),
    E("refer-002", "SARChat-Qwen2-VL-2B", S["sarchat"], "sarchat", "plain", "harbour_ship",
      "{<294><358><329><427>} (bottom center){<61><448><122><503>} (bottom left)", _m([2, 0, 1]), "one ship missed"),
    E("refer-003", "SARChat-LLaVA-1.5-7B", S["sarchat"], "sarchat", "plain", "depot_tank",
      "{<20><30><60><70>} (top left){<200><150><240><190>} (bottom right)", _m([2, 0, 0]), "exact"),
    E("refer-004", "SARChat-DeepSeekVL-7B", S["sarchat"], "sarchat", "plain", "airport",
      "{<393><326><470><394>} (bottom right)", _s([1, 0, 0]), "exact"),
    E("refer-005", "SARChat-Yi-VL-6B", S["sarchat"], "sarchat", "plain", "airport",
      "{<413><336><490><404>} (bottom right)", _s([1, 0, 0], [0, 1, 1]),
      "shifted (+20, +10): IoU 3306 / 7166 = 0.461"),
    E("refer-006", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "apron",
      "<|object_ref_start|>aircraft<|object_ref_end|><|box_start|>(100,150),(250,300)<|box_end|>"
      "<|box_start|>(750,700),(900,850)<|box_end|>", _m([2, 0, 0]), "0-1000 x 0.56, exact"),
    E("refer-007", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "apron",
      "aircraft(150,200),(300,350)(750,700),(900,850)", _m([2, 0, 0], [1, 1, 1]),
      "first box (84,112,168,196) vs (56,84,140,168): 56 x 56 = 3136 / (2 x 7056 - 3136) = 0.286"),
    E("refer-008", "Qwen2-VL-2B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "apron",
      "aircraft(125,175),(275,325)(750,700),(900,850)", _m([2, 0, 0]),
      "first box (70,98,154,182): 70 x 70 = 4900 / (14112 - 4900) = 0.532"),
    E("refer-009", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "iou_threshold", "river",
      "<|box_start|>(200,375),(800,625)<|box_end|>", _s([1, 0, 0]),
      "(112,210,448,350) holds the bridge (168 x 140) and is twice its width: IoU exactly 0.5, which reaches 0.5"),
    E("refer-010", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl_cookbook"], "qwen2_5_vl", "native_boxes_json", "apron",
      '```json\n[\n\t{"bbox_2d": [56, 84, 140, 168], "label": "aircraft"},\n'
      '\t{"bbox_2d": [420, 392, 504, 476], "label": "aircraft"}\n]\n```', _m([2, 0, 0]), "exact"),
    E("refer-011", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "native_boxes_json", "sea",
      '```json\n[\n\t{"bbox_2d": [203, 147, 406, 441], "label": "ship"},\n'
      '\t{"bbox_2d": [487, 323, 650, 412], "label": "ship"}\n]\n```', _m([2, 0, 0]), "812 x 588 input; within 0.5 px"),
    E("refer-012", "Qwen2.5-VL-3B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "native_boxes_json", "river",
      '[{"bbox_2d": [196, 210, 364, 350], "label": "bridge"}]', _s([1, 0, 0]), "exact"),
    E("refer-013", "Qwen3-VL-8B-Instruct", S["qwen3_vl"], "qwen3_vl", "native_boxes_json", "apron",
      '```json\n[\n  {"bbox_2d": [100, 150, 250, 300], "label": "aircraft"},\n'
      '  {"bbox_2d": [750, 700, 900, 850], "label": "aircraft"}\n]\n```', _m([2, 0, 0]), "exact"),
    E("refer-014", "Qwen3-VL-8B-Instruct", S["qwen3_vl"], "qwen3_vl", "native_boxes_json", "depot_car",
      '{"bbox_2d": [469, 78, 531, 133], "label": "car"}', _s([1, 0, 0]), "(150.1, 20.0, 169.9, 34.0)"),
    E("refer-015", "Qwen3-VL-8B-Thinking", S["qwen3_vl_thinking"], "qwen3_vl", "reasoning_block", "depot_car",
      "<think>\nThe car seems to be near the top center, roughly [400, 50, 600, 200]. Let me refine: the bright "
      "spot spans x 469-531 and y 78-133.\n</think>\n\n```json\n[{\"bbox_2d\": [469, 78, 531, 133], \"label\": "
      "\"car\"}]\n```", _s([1, 0, 0]), "the final JSON box is the answer; the draft inside <think> is not"),
    E("refer-016", "InternVL2.5-8B", S["internvl"], "internvl2_5", "native_boxes_internvl", "apron",
      "<ref>aircraft</ref><box>[[100, 150, 250, 300], [750, 700, 900, 850]]</box>", _m([2, 0, 0]), "exact"),
    E("refer-017", "InternVL3-8B-hf", S["internvl"], "internvl2_5", "native_boxes_internvl", "harbour_ship",
      "ship[[574, 699, 643, 834], [119, 875, 238, 982], [53, 389, 152, 510]]", _m([3, 0, 0]),
      "tags decoded away; x 0.512 within 0.5 px"),
    E("refer-018", "InternVL2.5-8B", S["internvl"], "internvl2_5", "native_boxes_internvl", "depot_tank",
      "<ref>tank</ref><box>[[62, 117, 188, 273], [625, 586, 750, 742], [469, 78, 531, 133]]</box>", _m([2, 1, 0]),
      "two tanks right; the third box is the car: FP"),
    E("refer-019", "llava-1.5-7b-hf", S["llava_1_5"], "llava_1_5", "native_boxes_list", "apron",
      "[0.1, 0.15, 0.25, 0.3], [0.75, 0.7, 0.9, 0.85]", _m([2, 0, 0]), "square: fractions x 560, exact"),
    E("refer-020", "llava-1.5-7b-hf", S["llava_1_5"], "llava_1_5", "native_boxes_list", "sea",
      "[0.17, 0.25, 0.5, 0.75], [0.63, 0.55, 0.9, 0.7]", _m([2, 0, 0]),
      "centre 600 x 600 square: (202,150,400,450), (478,330,640,420) (tests/native_answers.py)"),
    E("refer-021", "llava-v1.5-7b (own code)", S["llava_1_5"], "llava_1_5", "profile_frame", "sea",
      "[0.25, 0.31, 0.5, 0.69], [0.6, 0.54, 0.8, 0.65]", _m([2, 0, 0], [1, 1, 1]),
      "padded-square fractions read in the profile's centre square: (250,186,400,414) inside A, IoU 34200/60000 "
      "= 0.57; (460,324,580,390) vs B: 100 x 60 = 6000 / (7920 + 14400 - 6000) = 0.368"),
    E("refer-022", "llava-1.5-13b-hf", S["llava_1_5"], "llava_1_5", "prose", "sea",
      "The ships are in the middle of the image.", _m([0, 0, 2]), "no box"),
    E("refer-023", "deepseek-vl2-small", S["deepseek_vl2"], "deepseek_vl2", "native_boxes_deepseek", "apron",
      "<|ref|>aircraft<|/ref|><|det|>[[100, 150, 250, 300], [749, 699, 899, 849]]<|/det|>", _m([2, 0, 0]),
      "0-999 within 0.5 px"),
    E("refer-024", "deepseek-vl2", S["deepseek_vl2"], "deepseek_vl2", "native_boxes_deepseek", "river",
      "<|ref|>bridge<|/ref|><|det|>[[350, 375, 649, 624]]<|/det|>", _s([1, 0, 0]), "within 0.5 px"),
    E("refer-025", "GeoChat-7B", S["geochat"], "geochat", "native_boxes_rotated", "harbour_ship",
      "{<57><70><64><83>|0}{<12><88><24><98>|0}{<5><39><15><51>|0}", _m([3, 0, 0]), "IoUs 0.876, 0.912, 0.938"),
    E("refer-026", "GeoChat-7B", S["geochat"], "geochat", "native_boxes_rotated", "depot_car",
      "{<47><8><53><13>|0}", _s([1, 0, 0]), "(150.4,20.5,169.6,33.3) inside the car: 245.8 / 280 = 0.878"),
    E("refer-027", "GeoChat-7B", S["geochat"], "geochat", "native_boxes_native", "fleet",
      "{<48><36><54><50>}{<19><79><27><91>}{<75><9><83><25>}{<9><56><14><69>}", _m([4, 0, 0]),
      "x 4.8: IoUs 0.868, 0.96, 0.91, 0.837"),
    E("refer-028", "Florence-2-large", S["florence2"], "florence2", "native_boxes_florence", "apron",
      "<loc_100><loc_150><loc_250><loc_300><loc_750><loc_700><loc_900><loc_850>", _m([2, 0, 0]), "two boxes of bins"),
    E("refer-029", "Florence-2-base", S["florence2"], "florence2", "native_boxes_florence", "sea",
      "ship<loc_250><loc_250><loc_500><loc_750>ship<loc_600><loc_550><loc_800><loc_700>", _m([2, 0, 0]), "within 0.4 px"),
    E("refer-030", "Florence-2-large", S["florence2"], "florence2", "native_boxes_florence", "depot_car",
      "<loc_468><loc_78><loc_531><loc_132>", _s([1, 0, 0]), "(149.9, 20.1, 170.1, 33.9)"),
    E("refer-031", "GPT-4o", S["gpt4o"], "generic", "markdown", "depot_tank",
      "Here are the 2 tanks:\n1. [20, 30, 60, 70]\n2. [200, 150, 240, 190]", _m([2, 0, 0]),
      "a numbered list of pixel boxes"),
    E("refer-032", "GPT-4o", S["gpt4o"], "generic", "markdown", "depot_tank",
      "```\n[20, 30, 60, 70]\n[200, 150, 240, 190]\n```", _m([2, 0, 0]), "a fenced block of boxes"),
    E("refer-033", "Claude 3.5 Sonnet", S["claude"], "generic", "iou_threshold", "sea",
      "Ship 1: [200, 150, 300, 300]; Ship 2: [480, 330, 640, 420]", _m([2, 0, 0], [1, 1, 1]),
      "ship 1 is a quarter of A: IoU 0.25, reaches 0.25 only"),
    E("refer-034", "Gemini 1.5 Pro", S["gemini"], "generic", "iou_threshold", "sea",
      "[200, 150, 400, 300], [480, 330, 640, 420]", _m([2, 0, 0]), "the upper half of A: IoU exactly 0.5"),
    E("refer-035", "Claude 3 Haiku", S["claude"], "generic", "prose", "depot_tank",
      "The tanks are at the top left and bottom right of the image.", _m([0, 0, 2]), "no box"),
    E("refer-036", "QVQ-72B-Preview", S["qvq"], "generic", "reasoning_block", "depot_car",
      "<think>The car is the small bright rectangle at the top; its corners are around (150, 20) and (170, 34)."
      "</think>\n[150, 20, 170, 34]", _s([1, 0, 0]), "the final box, exact"),
    E("refer-037", "GPT-4o", S["gpt4o"], "generic", "native_boxes_list", "fleet",
      _FLEET_PIXELS, _m([4, 0, 0]), "exact"),
    E("refer-038", "GPT-4o mini", S["gpt4o"], "generic", "native_boxes_list", "fleet",
      _FLEET_PIXELS + ", [228, 171, 259, 242]", _m([4, 1, 0]), "the first ship twice: the copy is an FP"),
    E("refer-039", "Gemini 1.5 Flash", S["gemini"], "generic", "profile_mismatch", "apron",
      "[100, 150, 250, 300], [750, 700, 900, 850]", _m([0, 2, 2]),
      "0-1000 numbers read as pixels (generic): (100,150,250,300) vs A: 40 x 18 = 720 / 28836 = 0.025; the other "
      "lies outside the image: no pair"),
    E("refer-040", "gemma-3-4b-it", S["gemma3"], "generic", "native_boxes_list", "apron",
      "The aircraft are located at [56, 84, 140, 168] and [420, 392, 504, 476].", _m([2, 0, 0]), "exact"),
    E("refer-041", "Claude 3.5 Sonnet", S["claude"], "generic", "native_boxes_list", "river",
      "[196.0, 210.0, 364.0, 350.0]", _s([1, 0, 0]), "decimals, exact"),
    E("refer-042", "QVQ-72B-Preview", S["qvq"], "generic", "reasoning_block", "river",
      "<think>Let me locate the bridge. A first guess is [100, 100, 300, 300]; that covers the river bank, not the "
      "deck. The deck spans x 196 to 364, y 210 to 350.</think>\nThe bridge is at [196, 210, 364, 350].",
      _s([1, 0, 0]), "the final box is exact; the rejected guess inside <think> is not an answer"),
    E("refer-043", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "fleet",
      "{<228><171><259><242>} (middle center){<91><379><130><437>} (bottom left){<359><43><400><122>} (top right)"
      "{<45><270><66><333>} (middle left)", _m([4, 0, 0]), "the reference itself"),
    E("refer-044", "SARChat-Qwen2-VL-2B", S["sarchat"], "sarchat", "plain", "fleet",
      "{<228><171><259><242>} (middle center){<359><43><400><122>} (top right)", _m([2, 0, 2]), "two missed"),
    E("refer-045", "SARChat-LLaVA-1.5-7B", S["sarchat"], "sarchat", "plain", "depot_car",
      "{<20><30><60><70>} (top left)", _s([0, 1, 1]), "a tank's box for the car"),
    E("refer-046", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "native_boxes_json", "harbour_ship",
      '[{"bbox_2d": [289, 352, 324, 420], "label": "ship"}, {"bbox_2d": [60, 441, 120, 495], "label": "ship"}, '
      '{"bbox_2d": [27, 196, 77, 257], "label": "ship"}]', _m([3, 0, 0]), "504 x 504 input, x 512/504: within 1 px"),
    E("refer-047", "InternVL3-8B", S["internvl3"], "internvl2_5", "native_boxes_internvl", "airport",
      "<ref>aircraft</ref><box>[[655, 815, 783, 985]]</box>", _s([1, 0, 0]), "(393, 326, 469.8, 394)"),
    E("refer-048", "deepseek-vl2-tiny", S["deepseek_vl2"], "deepseek_vl2", "native_boxes_deepseek", "fleet",
      "<|ref|>ship<|/ref|><|det|>[[475, 356, 539, 504], [189, 789, 271, 910], [747, 89, 832, 254], "
      "[94, 562, 137, 693]]<|/det|>", _m([4, 0, 0]), "x 480/999: within 1 px"),
    E("refer-049", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "depot_tank",
      "tank(62,117),(188,273)", _m([1, 0, 1]), "one tank right, one missed"),
    E("refer-050", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "iou_threshold", "apron",
      "aircraft(175,225),(325,375)(750,700),(900,850)", _m([1, 1, 1]),
      "first box (98,126,182,210): 42 x 42 = 1764 / (14112 - 1764) = 0.143, below 0.25"),
]
# fmt: on
