"""Counting answers (columns counting_only, counting_iou25, counting_iou50). Scenes: see the
package docstring. An answer without boxes scores [0, 0, n] on both IoU columns (n reference boxes);
with no count stated, the number of boxes is the count."""

from answer_corpus import SOURCES as S
from answer_corpus import E

_HARBOUR_SHIPS = "{<294><358><329><427>}{<61><448><122><503>}{<27><199><78><261>}"
_FLEET = "{<228><171><259><242>}{<91><379><130><437>}{<359><43><400><122>}{<45><270><66><333>}"
_MARINA = "{<20><20><50><40>}{<100><30><130><50>}{<200><40><230><60>}{<300><50><330><70>}{<400><60><430><80>}{<500><300><530><320>}{<560><580><590><600>}"

RECORDS = {
    "harbour_ship": dict(task="counting", subset="", width=512, height=512,
                         question="[count] How many ships are there in this SAR image?",
                         reference="There are 3 instances. " + _HARBOUR_SHIPS),
    "harbour_harbor": dict(task="counting", subset="", width=512, height=512,
                           question="[count] Count the harbor in this satellite image.",
                           reference="There is 1 instance. {<193><157><245><306>}"),
    "depot_tank": dict(task="counting", subset="", width=320, height=256,
                       question="[count] How many tanks are there in this SAR image?",
                       reference="There are 2 instances. {<20><30><60><70>}{<200><150><240><190>}"),
    "depot_car": dict(task="counting", subset="", width=320, height=256,
                      question="[count] Count the car in this satellite image.",
                      reference="There is 1 instance. {<150><20><170><34>}"),
    "airport_aircraft": dict(task="counting", subset="", width=600, height=400,
                             question="[count] Count the aircraft in this satellite image.",
                             reference="There is 1 instance. {<393><326><470><394>}"),
    "sea_ship": dict(task="counting", subset="", width=800, height=600,
                     question="[count] How many ships are visible in this radar image?",
                     reference="There are 2 instances. {<200><150><400><450>}{<480><330><640><420>}"),
    "apron_aircraft": dict(task="counting", subset="", width=560, height=560,
                           question="[count] How many instances of aircraft can you find in this scene?",
                           reference="There are 2 instances. {<56><84><140><168>}{<420><392><504><476>}"),
    "fleet_ship": dict(task="counting", subset="", width=480, height=480,
                       question="[count] Count all ships shown in this satellite image.",
                       reference="There are 4 instances. " + _FLEET),
    # marina 640 x 640: seven small ships, for answers that state a count without boxes
    "marina_ship": dict(task="counting", subset="", width=640, height=640,
                        question="[count] Tell me how many ships appear in this image.",
                        reference="There are 7 instances. " + _MARINA),
}  # fmt: skip


def _c(only, iou25, iou50=None):
    return {"counting_only": only, "counting_iou25": iou25, "counting_iou50": iou25 if iou50 is None else iou50}


# fmt: off
ENTRIES = [
    # --- SARChat fine-tuned models (swift output, the paper's format) ---
    E("count-001", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "harbour_ship",
      "There are 3 instances. " + _HARBOUR_SHIPS, _c(1, [3, 0, 0]), "the reference itself: 3 = 3, every box exact"),
    E("count-002", "SARChat-Qwen2-VL-7B", S["sarchat"], "sarchat", "plain", "harbour_ship",
      "There are 2 instances. {<294><358><329><427>}{<61><448><122><503>}",
      _c(0, [2, 0, 1]), "2 != 3; two exact boxes, the middle-left ship missed"),
    E("count-003", "SARChat-LLaVA-1.5-7B", S["sarchat"], "sarchat", "plain", "depot_tank",
      "There are 2 instances. {<20><30><60><70>}{<200><150><240><190>}", _c(1, [2, 0, 0]), "2 = 2, exact boxes"),
    E("count-004", "SARChat-DeepSeekVL-7B", S["sarchat"], "sarchat", "plain", "airport_aircraft",
      "There is 1 instance. {<393><326><470><394>}", _c(1, [1, 0, 0]), "1 = 1, exact box"),
    E("count-005", "SARChat-Yi-VL-6B", S["sarchat"], "sarchat", "plain", "sea_ship",
      "There are 3 instances. {<200><150><400><450>}{<480><330><640><420>}{<50><50><90><80>}",
      _c(0, [2, 1, 0]), "3 != 2; two exact boxes, the third (50,50,90,80) overlaps nothing: FP"),
    E("count-006", "SARChat-Qwen2.5-VL-7B", S["sarchat"], "sarchat", "plain", "airport_aircraft",
      "There is 1 instance. {<413><336><490><404>}",
      _c(1, [1, 0, 0], [0, 1, 1]),
      "count 1 right; box shifted (+20, +10): intersection 57 x 58 = 3306, union 2 x 77 x 68 - 3306 = 7166, "
"IoU 0.461: a match at 0.25, not at 0.5"),
    E("count-007", "SARChat-mPLUG-Owl3-7B", S["sarchat"], "sarchat", "plain", "fleet_ship",
      "There are 4 instances. " + _FLEET, _c(1, [4, 0, 0]), "4 = 4, the four boxes exact"),
    E("count-008", "SARChat-Phi3.5-Vision", S["sarchat"], "sarchat", "plain", "fleet_ship",
      "There are 5 instances. " + _FLEET + "{<10><10><30><30>}", _c(0, [4, 1, 0]), "5 != 4; an extra box on empty sea"),
    # --- Qwen2-VL: <|box_start|>(x1,y1),(x2,y2)<|box_end|> on 0-1000 ---
    E("count-009", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "apron_aircraft",
      "<|object_ref_start|>aircraft<|object_ref_end|><|box_start|>(100,150),(250,300)<|box_end|>"
      "<|box_start|>(750,700),(900,850)<|box_end|>",
      _c(1, [2, 0, 0]), "no count stated: 2 boxes = 2; x 0.56: (56,84,140,168), (420,392,504,476), exact"),
    E("count-010", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "apron_aircraft",
      "aircraft(100,150),(250,300)aircraft(750,700),(900,850)",
      _c(1, [2, 0, 0]), "the same with the special tokens decoded away: 2 boxes, exact"),
    E("count-011", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "apron_aircraft",
      "There are 2 aircraft in the image: <|box_start|>(100,150),(250,300)<|box_end|> and "
      "<|box_start|>(750,700),(900,850)<|box_end|>.",
      _c(1, [2, 0, 0]), "2 aircraft stated, boxes exact"),
    E("count-012", "Qwen2-VL-2B-Instruct", S["qwen2_vl_paper"], "qwen2_vl", "prose", "harbour_ship",
      "There are three ships in the image.", _c(1, [0, 0, 3]), "three = 3; no box: 3 FN"),
    E("count-013", "Qwen2-VL-7B-Instruct", S["qwen2_vl_paper"], "qwen2_vl", "markdown", "sea_ship",
      "I can see **2** ships in this SAR image.", _c(1, [0, 0, 2]), "bold 2 ships = 2; no box"),
    E("count-014", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "native_boxes_qwen", "depot_tank",
      "tank(62,117),(188,273)",
      _c(0, [1, 0, 1]),
      "one box only: count 1 != 2; (62,117,188,273) x (0.32, 0.256) = (19.8,30.0,60.2,69.9) = the top-left tank"),
    # --- Qwen2.5-VL: JSON bbox_2d in pixels of the resized input ---
    E("count-015", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl_cookbook"], "qwen2_5_vl",
      "native_boxes_json", "apron_aircraft",
      '```json\n[\n\t{"bbox_2d": [56, 84, 140, 168], "label": "aircraft"},\n'
      '\t{"bbox_2d": [420, 392, 504, 476], "label": "aircraft"}\n]\n```',
      _c(1, [2, 0, 0]), "560 x 560 is its own resized input; 2 boxes = 2, exact"),
    E("count-016", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "native_boxes_json", "sea_ship",
      '```json\n[\n\t{"bbox_2d": [203, 147, 406, 441], "label": "ship"},\n'
      '\t{"bbox_2d": [487, 323, 650, 412], "label": "ship"}\n]\n```',
      _c(1, [2, 0, 0]),
      "800 x 600 is read in 812 x 588 (tests/native_answers.py): (200,150,400,450) and (479.8,329.6,640.4,420.4)"),
    E("count-017", "Qwen2.5-VL-3B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "prose", "apron_aircraft",
      "There are 2 aircraft in the image.", _c(1, [0, 0, 2]), "2 = 2, no box"),
    E("count-018", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "prose", "depot_tank",
      "The image shows 3 storage tanks.", _c(0, [0, 0, 2]), "3 storage tanks: 3 != 2"),
    # --- Qwen3-VL: JSON bbox_2d on 0-1000, thinking variants ---
    E("count-019", "Qwen3-VL-8B-Instruct", S["qwen3_vl"], "qwen3_vl", "native_boxes_json", "apron_aircraft",
      '```json\n[\n  {"bbox_2d": [100, 150, 250, 300], "label": "aircraft"},\n'
      '  {"bbox_2d": [750, 700, 900, 850], "label": "aircraft"}\n]\n```',
      _c(1, [2, 0, 0]), "2 boxes, exact on 0-1000"),
    E("count-020", "Qwen3-VL-8B-Thinking", S["qwen3_vl_thinking"], "qwen3_vl", "reasoning_block", "apron_aircraft",
      "<think>\nThe user asks how many aircraft. I see a bright cross shape at the top left, maybe 1 aircraft. "
      "There is another one at the bottom right. Is there a third near the bridge? No, that is the bridge "
      "itself. So 2 aircraft.\n</think>\n\nThere are 2 aircraft in the image.",
      _c(1, [0, 0, 2]), "the final answer says 2 (the '1 aircraft' inside <think> is reasoning): 2 = 2"),
    E("count-021", "Qwen3-VL-8B-Thinking", S["qwen3_vl_thinking"], "qwen3_vl", "reasoning_block", "harbour_ship",
      "<think>\nLet me count the ships. There is 1 ship at the bottom center, 1 ship at the bottom left, and 1 ship "
      "on the left side. That makes 3 ships.\n</think>\nThere are 3 ships in this SAR image.",
      _c(1, [0, 0, 3]), "final answer 3 = 3"),
    E("count-022", "QVQ-72B-Preview", S["qvq"], "generic", "reasoning_block", "fleet_ship",
      "<think>Scanning the sea surface, I count 3 ships at first glance... wait, there is a faint one on the left "
      "edge. So 4 ships.</think>\n\n**Answer:** 4",
      _c(1, [0, 0, 4]), "the final answer is 4 = 4; 3 was a first guess"),
    E("count-023", "DeepSeek-R1 style (Qwen3-VL-Thinking)", S["deepseek_r1"], "qwen3_vl",
      "reasoning_block", "depot_tank",
      "<think>\nOkay, so I need to count the tanks. The image shows round bright objects. I think there are 3 "
      "tanks? Looking again, one of them is a car. So 2 tanks.\n</think>\n\nThe image contains 2 tanks.",
      _c(1, [0, 0, 2]), "final answer 2 = 2 (the 3 inside <think> was revised)"),
    E("count-024", "DeepSeek-R1 style (Qwen3-VL-Thinking)", S["deepseek_r1"], "qwen3_vl",
      "reasoning_block", "depot_tank",
      "<think>There appear to be 2 tanks, one top left and one bottom right.</think>\nFinal answer: 3 tanks.",
      _c(0, [0, 0, 2]), "the final answer is 3 tanks: 3 != 2, whatever the reasoning said"),
    E("count-025", "Qwen3-VL-8B-Thinking", S["qwen3_vl_thinking"], "qwen3_vl", "reasoning_block", "depot_tank",
      "<think>I look for tanks... none are obvious at first, but there are two round bright blobs at the top "
      "left and bottom right which are tanks.</think>\nThere are 2 tanks.",
      _c(1, [0, 0, 2]), "final answer 2 = 2 ('none' inside <think> is reasoning)"),
    # --- InternVL2 / 2.5 / 3 ---
    E("count-026", "InternVL2.5-8B", S["internvl"], "internvl2_5", "native_boxes_internvl", "apron_aircraft",
      "<ref>aircraft</ref><box>[[100, 150, 250, 300], [750, 700, 900, 850]]</box>",
      _c(1, [2, 0, 0]), "2 boxes on 0-1000, exact"),
    E("count-027", "InternVL3-8B-hf", S["internvl"], "internvl2_5", "native_boxes_internvl", "apron_aircraft",
      "aircraft[[100, 150, 250, 300], [750, 700, 900, 850]]",
      _c(1, [2, 0, 0]), "tags decoded away: the lists read on 0-1000, 2 boxes, exact"),
    E("count-028", "InternVL2-8B", S["internvl2"], "internvl2_5", "prose", "apron_aircraft",
      "In the image, I can see two airplanes parked on the apron.", _c(1, [0, 0, 2]), "two airplanes = 2 aircraft"),
    E("count-029", "InternVL3-8B", S["internvl3"], "internvl2_5", "prose", "harbour_harbor",
      "There is one harbor in the image.", _c(1, [0, 0, 1]), "one harbor = 1"),
    E("count-030", "InternVL2.5-8B", S["internvl"], "internvl2_5", "native_boxes_internvl", "harbour_ship",
      "There are 3 ships.<ref>ship</ref><box>[[574, 699, 643, 834], [119, 875, 238, 982], [53, 389, 152, 510]]</box>",
      _c(1, [3, 0, 0]),
      "3 = 3; x 0.512: (293.9,357.9,329.2,427.0), (60.9,448,121.9,502.8), (27.1,199.2,77.8,261.1), all IoU > 0.95"),
    # --- LLaVA-1.5 / OneVision ---
    E("count-031", "llava-1.5-7b-hf", S["llava_1_5"], "llava_1_5", "native_boxes_list", "apron_aircraft",
      "[0.1, 0.15, 0.25, 0.3], [0.75, 0.7, 0.9, 0.85]",
      _c(1, [2, 0, 0]),
      "square image: the centre square is the image; fractions x 560 = (56,84,140,168), (420,392,504,476); 2 boxes"),
    E("count-032", "llava-1.5-7b-hf", S["llava_1_5"], "llava_1_5", "prose", "harbour_ship",
      "There are two boats in the image.", _c(0, [0, 0, 3]), "two boats = 2 ships, not 3"),
    E("count-033", "llava-onevision-qwen2-7b-ov", S["llava_onevision"], "generic", "plain", "harbour_ship",
      "3", _c(1, [0, 0, 3]), "only a number: 3"),
    E("count-034", "llava-onevision-qwen2-7b-ov", S["llava_onevision"], "generic", "plain", "harbour_ship",
      "Three.", _c(1, [0, 0, 3]), "only a number word: 3"),
    # --- DeepSeek-VL2 ---
    E("count-035", "deepseek-vl2-small", S["deepseek_vl2"], "deepseek_vl2", "native_boxes_deepseek", "apron_aircraft",
      "<|ref|>aircraft<|/ref|><|det|>[[100, 150, 250, 300], [749, 699, 899, 849]]<|/det|>",
      _c(1, [2, 0, 0]), "0-999: x 560/999: (56.1,84.1,140.1,168.2), (419.9,391.8,503.9,476.0); 2 boxes"),
    E("count-036", "deepseek-vl2", S["deepseek_vl2"], "deepseek_vl2", "prose", "fleet_ship",
      "There are 4 ships in the image.", _c(1, [0, 0, 4]), "4 = 4"),
    # --- GeoChat (norm100 braces) and Florence-2 (loc bins) ---
    E("count-037", "GeoChat-7B", S["geochat"], "geochat", "native_boxes_rotated", "harbour_ship",
      "There are 3 ships. {<57><70><64><83>|0}{<12><88><24><98>|0}{<5><39><15><51>|0}",
      _c(1, [3, 0, 0]),
      "x 5.12: (291.8,358.4,327.7,425.0) IoU 0.876; (61.4,450.6,122.9,501.8) IoU 0.912; "
"(25.6,199.7,76.8,261.1) IoU 0.938"),
    E("count-038", "GeoChat-7B", S["geochat"], "geochat", "native_boxes_native", "sea_ship",
      "{<25><25><50><75>}{<60><55><80><70>}", _c(1, [2, 0, 0]), "0-100 of 800 x 600: exact; 2 boxes"),
    E("count-039", "Florence-2-large", S["florence2"], "florence2", "native_boxes_florence", "apron_aircraft",
      "aircraft<loc_100><loc_150><loc_250><loc_300>aircraft<loc_750><loc_700><loc_900><loc_850>",
      _c(1, [2, 0, 0]), "bins: (v + 0.5) x 0.56, within 0.3 px of the reference; 2 boxes"),
    E("count-040", "Florence-2-large", S["florence2"], "florence2", "native_boxes_florence", "sea_ship",
      "ship<loc_250><loc_250><loc_500><loc_750>ship<loc_600><loc_550><loc_800><loc_700>",
      _c(1, [2, 0, 0]), "bins of 800 x 600, within 0.4 px; 2 boxes"),
    # --- API models and Gemma (generic profile) ---
    E("count-041", "GPT-4o", S["gpt4o"], "generic", "markdown", "harbour_ship",
      "In this SAR image, I can identify:\n\n- **3 ships**: one near the bottom center, one at the bottom left, "
      "and one on the left side.\n- **1 harbor** structure in the center.",
      _c(1, [0, 0, 3]), "the bold '3 ships' is the count: 3"),
    E("count-042", "GPT-4o", S["gpt4o"], "generic", "table", "marina_ship",
      "| Object | Count |\n|---|---|\n| Ship | 7 |\n| Harbor | 0 |",
      _c(1, [0, 0, 7]), "the table row 'Ship | 7' states 7 ships"),
    E("count-043", "GPT-4o", S["gpt4o"], "generic", "sum_across_sentences", "fleet_ship",
      "There are 2 ships in the upper half of the image. There is also 1 ship in the middle and 1 ship at the "
      "bottom left.",
      _c(1, [0, 0, 4]), "disjoint groups: 2 + 1 + 1 = 4"),
    E("count-044", "Gemini 1.5 Pro", S["gemini"], "generic", "sum_across_sentences", "harbour_ship",
      "2 ships in the lower half. There is also 1 ship in the middle.",
      _c(1, [0, 0, 3]), "the worked example: 2 + 1 ('also': another group) = 3"),
    E("count-045", "Claude 3.5 Sonnet", S["claude"], "generic", "restatement", "fleet_ship",
      "There are 4 ships in this image. The 4 ships are scattered across the sea surface.",
      _c(1, [0, 0, 4]), "the second sentence restates the same 4 ships: 4, not 8"),
    E("count-046", "GPT-4o", S["gpt4o"], "generic", "restatement", "harbour_ship",
      "There are 3 ships in total. 2 ships are near the bottom edge and 1 ship is on the left.",
      _c(1, [0, 0, 3]), "a total then its breakdown: 3"),
    E("count-047", "Claude 3.5 Sonnet", S["claude"], "generic", "prose", "depot_tank",
      "I can see two circular storage tanks in this SAR image, one in the upper left and one in the lower right.",
      _c(1, [0, 0, 2]), "two (circular storage) tanks = 2"),
    E("count-048", "Claude 3.5 Sonnet", S["claude"], "generic", "negation", "depot_car",
      "I don't see any tanks in this image, but there is a single small car near the top.",
      _c(1, [0, 0, 1]), "the question is about cars: a single car = 1; the tanks statement is another category"),
    E("count-049", "Gemini 1.5 Pro", S["gemini"], "generic", "markdown", "airport_aircraft",
      "There is **one** aircraft visible in the bottom-right corner of the image.",
      _c(1, [0, 0, 1]), "one aircraft = 1"),
    E("count-050", "Gemini 1.5 Flash", S["gemini"], "generic", "negation", "depot_car",
      "There are no cars visible in this image.", _c(0, [0, 0, 1]), "no cars = 0 != 1"),
    E("count-051", "GPT-4o", S["gpt4o"], "generic", "hedge", "harbour_ship",
      "There appear to be 2 or 3 ships in the image.", _c(0, [0, 0, 3]), "a hedge (2 or 3) is no count"),
    E("count-052", "GPT-4o", S["gpt4o"], "generic", "echoed_question", "harbour_ship",
      "Question: How many ships are there in this SAR image?\nAnswer: 3",
      _c(1, [0, 0, 3]), "the echoed question states nothing; the answer is 3"),
    E("count-053", "GPT-4o mini", S["gpt4o"], "generic", "other_category", "harbour_ship",
      "I can see 1 harbor and 3 ships docked around it.", _c(1, [0, 0, 3]), "the ship statement: 3 (1 is the harbor)"),
    E("count-054", "Gemini 1.5 Pro", S["gemini"], "generic", "other_category", "harbour_harbor",
      "There are 3 ships and 1 harbor in the image.", _c(1, [0, 0, 1]), "the question is about harbors: 1"),
    E("count-055", "gemma-3-4b-it", S["gemma3"], "generic", "markdown", "apron_aircraft",
      "Based on the image, there are **two** aircraft parked on the tarmac.", _c(1, [0, 0, 2]), "two aircraft = 2"),
    E("count-056", "gemma-3-12b-it", S["gemma3"], "generic", "markdown", "marina_ship",
      "Okay, let's analyze the image.\n\nI count **7** ships in the image.", _c(1, [0, 0, 7]), "7 ships"),
    E("count-057", "GPT-4o", S["gpt4o"], "generic", "native_boxes_list", "depot_tank",
      "There are 2 tanks: [20, 30, 60, 70] and [200, 150, 240, 190].", _c(1, [2, 0, 0]), "pixel boxes, exact"),
    E("count-058", "GPT-4o", S["gpt4o"], "generic", "native_boxes_list", "sea_ship",
      "I count 2 ships. Bounding boxes: [200, 150, 400, 450], [100, 400, 200, 500].",
      _c(1, [1, 1, 1]), "2 = 2; the first box exact, the second (100,400,200,500) misses B (480,330,640,420): FP + FN"),
    E("count-059", "Claude 3 Opus", S["claude"], "generic", "native_boxes_list", "apron_aircraft",
      "There are 2 aircraft, at [0.1, 0.15, 0.25, 0.3] and [0.75, 0.7, 0.9, 0.85].",
      _c(1, [0, 2, 2]),
      "2 = 2; the generic profile reads pixels (never chosen by comparing with the truth): two sub-pixel boxes, "
"IoU 0: 2 FP, 2 FN"),
    E("count-060", "Claude 3.5 Sonnet", S["claude"], "generic", "reasoning_steps", "harbour_ship",
      "Let me think through this step by step.\n1. The image shows a harbor structure in the center.\n"
      "2. Around it there are bright elongated returns: 1 at the bottom center, 1 at the bottom left, and 1 on "
      "the middle left.\n3. Each is consistent with a ship.\n\nAnswer: 3 ships.",
      _c(1, [0, 0, 3]), "numbered reasoning, then 'Answer: 3 ships'"),
    E("count-061", "Gemini 1.5 Pro", S["gemini"], "generic", "prose", "depot_car",
      "There is a car at the top of the image.", _c(1, [0, 0, 1]), "there is a car = 1"),
    E("count-062", "GPT-4o", S["gpt4o"], "generic", "negation", "harbour_harbor",
      "There is no harbor in this image; only ships are visible.", _c(0, [0, 0, 1]), "no harbor = 0 != 1"),
    E("count-063", "Gemini 1.5 Pro", S["gemini"], "generic", "markdown", "fleet_ship",
      "Ships detected:\n- Top right: 1 ship\n- Center: 1 ship\n- Left: 1 ship\n- Bottom left: 1 ship\n\nTotal: 4 ships.",
      _c(1, [0, 0, 4]), "a list of 1 + 1 + 1 + 1 and 'Total: 4 ships': 4"),
    E("count-064", "GPT-4o", S["gpt4o"], "generic", "table", "fleet_ship",
      "| Location | Ships |\n|---|---|\n| top right | 1 |\n| center | 1 |\n| middle left | 1 |\n| bottom left | 1 |\n"
      "| **Total** | **4** |",
      _c(1, [0, 0, 4]), "the table's total row: 4"),
    E("count-065", "GPT-4o", S["gpt4o"], "generic", "prose", "marina_ship",
      "I count approximately 7 vessels in the image.", _c(1, [0, 0, 7]), "approximately 7 vessels: 7"),
]
# fmt: on
