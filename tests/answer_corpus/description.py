"""Description answers (description, pooled [tp, fp, fn] over (category, cell) objects). A careful
grader counts each object the answer describes once, with the cell it gives it: a later sentence
that places objects already counted places them, it does not add objects; negated lists name
nothing; markdown is structure; an object without a cell matches nothing (an FP)."""

from answer_corpus import SOURCES as S
from answer_corpus import E

_OBS = "In this satellite image, we can observe the following: "
_Q = "What do you observe in this satellite imagery?"

RECORDS = {
    "harbour": dict(task="description", subset="", width=512, height=512, question=_Q,
                    reference=_OBS + "A small ship is visible in the bottom center portion of the image There is one "
                    "more small ship in the bottom left portion of the image Also, we can observe another small ship "
                    "on the left side of the image A small harbor is visible in the central region of the image"),
    "depot": dict(task="description", subset="", width=320, height=256, question="Describe what you see in this SAR image.",
                  reference=_OBS + "A small tank is visible in the top left portion of the image There is one more small "
                  "tank in the bottom right portion of the image A small car appears at the top of the image."),
    "airport": dict(task="description", subset="", width=600, height=400, question=_Q,
                    reference=_OBS + "A small aircraft is visible in the bottom right portion of the image."),
    "sea": dict(task="description", subset="", width=800, height=600,
                question="Describe the objects in this image and where they are.",
                reference=_OBS + "A large ship is visible in the center of the image There is one more medium ship on "
                "the right side of the image."),
    "apron": dict(task="description", subset="", width=560, height=560, question="Give a detailed description of this SAR image.",
                  reference=_OBS + "A medium aircraft is visible in the top left portion of the image Another medium "
                  "aircraft is located in the bottom right portion of the image A large bridge can be found in the "
                  "central region of the image."),
    "fleet": dict(task="description", subset="", width=480, height=480, question="What does this SAR scene contain?",
                  reference=_OBS + "A small ship is visible in the center of the image There is one more small ship in "
                  "the bottom left portion of the image Also, we can observe another small ship at the top right corner "
                  "of the image Another small ship is located on the left side of the image."),
}  # fmt: skip


def _d(tp, fp, fn):
    return {"description": [tp, fp, fn]}


# fmt: off
ENTRIES = [
    # --- harbour: ship@bottom center, ship@bottom left, ship@middle left, harbor@middle center ---
    E("desc-001", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "harbour",
      RECORDS["harbour"]["reference"], _d(4, 0, 0), "the reference itself"),
    E("desc-002", "SARChat-Qwen2-VL-7B", S["sarchat"], "sarchat", "plain", "harbour",
      _OBS + "A small ship is visible in the bottom center portion of the image There is one more small ship in the "
      "bottom left portion of the image Also, we can observe another small ship on the left side of the image A small "
      "harbor is visible in the top center portion of the image", _d(3, 1, 1), "harbor in the wrong cell"),
    E("desc-003", "GPT-4o", S["gpt4o"], "generic", "markdown", "harbour",
      "In this SAR image:\n\n- **3 small ships**: one in the bottom center, one in the bottom left, and one on the "
      "left side.\n- **1 harbor** in the center of the image.", _d(4, 0, 0),
      "the bold count is 3 ships, placed BC, BL, ML (left side); the harbor MC"),
    E("desc-004", "GPT-4o", S["gpt4o"], "generic", "coreference", "harbour",
      "This SAR image shows a harbor in the center of the image with three ships. One ship is at the bottom center, "
      "one ship is at the bottom left, and one ship is on the left side.", _d(4, 0, 0),
      "the second sentence places the three ships already counted (no new ones): BC, BL, ML; harbor MC"),
    E("desc-005", "Claude 3.5 Sonnet", S["claude"], "generic", "negation", "harbour",
      "There is a ship in the bottom center, a ship in the bottom left, a ship in the middle left and a harbor in "
      "the middle center. No aircraft, cars, tanks or bridges are present.", _d(4, 0, 0),
      "the negation covers the whole list: nothing named there"),
    E("desc-006", "Gemini 1.5 Pro", S["gemini"], "generic", "coreference", "harbour",
      "There are three ships and a harbor. The ships are in the bottom center, the bottom left and the middle left; "
      "the harbor is in the middle center.", _d(4, 0, 0), "the second sentence places the objects of the first"),
    E("desc-007", "Gemini 1.5 Flash", S["gemini"], "generic", "position_vocabulary", "harbour",
      "A harbor lies near the center of the image. Three ships are moored at the bottom center, the bottom left and "
      "the middle left.", _d(4, 0, 0), "'near the center' = middle center; three ships BC, BL, ML"),
    E("desc-008", "Qwen2-VL-7B-Instruct", S["qwen2_vl_paper"], "qwen2_vl", "prose", "harbour",
      "The image shows a harbor and a ship.", _d(0, 2, 4), "two objects without a cell: 2 FP; 4 FN"),
    E("desc-009", "llava-1.5-7b-hf", S["llava_1_5"], "llava_1_5", "prose", "harbour",
      "The image shows a boat near a harbor.", _d(0, 2, 4), "near is a relation, not a cell: 2 FP, 4 FN"),
    E("desc-010", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "plain", "harbour",
      "In the image, there are three ships located in the bottom center, bottom left and middle left, and a harbor "
      "in the middle center.", _d(4, 0, 0), "three ships take the three cells in order; harbor MC"),
    E("desc-011", "InternVL2.5-8B", S["internvl"], "internvl2_5", "plain", "harbour",
      "There are 3 ships in the lower part of the image and a harbor in the center.", _d(2, 2, 2),
      "'lower part of the image' = bottom center for all 3 ships: 1 TP, 2 FP; harbor MC TP; BL, ML ships FN"),
    E("desc-012", "Claude 3.5 Sonnet", S["claude"], "generic", "coreference", "harbour",
      "I can see a harbor structure in the middle of the image, with one vessel at the bottom center, another at the "
      "bottom left, and a third on the left side.", _d(4, 0, 0),
      "harbor MC; 'another' and 'a third' are more vessels: BL, ML"),
    E("desc-013", "Gemini 1.5 Pro", S["gemini"], "generic", "markdown", "harbour",
      "- Ship — bottom center\n- Ship — bottom left\n- Ship — middle left\n- Harbor — center", _d(4, 0, 0),
      "a bullet per object; '— center' = middle center"),
    E("desc-014", "GeoChat-7B", S["geochat"], "geochat", "plain", "harbour",
      "The image shows a harbor in the middle center and three ships: one at the bottom center, one at the bottom "
      "left, one at the middle left.", _d(4, 0, 0), "all four placed right"),
    E("desc-015", "Qwen3-VL-8B-Thinking", S["qwen3_vl_thinking"], "qwen3_vl", "reasoning_block", "harbour",
      "<think>I see a bright structure in the middle, probably a harbor. There might be a ship at the top right "
      "too, but it looks like noise.</think>\nA harbor is in the middle center. There are three ships: at the bottom "
      "center, the bottom left and the middle left.", _d(4, 0, 0),
      "the final answer only: the ship the reasoning considered at the top right is not described"),
    # --- depot: tank@top left, tank@bottom right, car@top center ---
    E("desc-016", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "depot",
      RECORDS["depot"]["reference"], _d(3, 0, 0), "the reference itself"),
    E("desc-017", "GPT-4o mini", S["gpt4o"], "generic", "plain", "depot",
      "There are two tanks, one in the top left and one in the bottom right, and a car at the top center.",
      _d(3, 0, 0), "all placed"),
    E("desc-018", "Claude 3 Haiku", S["claude"], "generic", "prose", "depot",
      "Two storage tanks sit at the top left and bottom right corners; a small vehicle is parked at the top center.",
      _d(3, 0, 0), "two tanks TL, BR; vehicle = car TC"),
    E("desc-019", "GPT-4o", S["gpt4o"], "generic", "table", "depot",
      "| Object | Position |\n|---|---|\n| Tank | top left |\n| Tank | bottom right |\n| Car | top center |",
      _d(3, 0, 0), "one table row per object"),
    E("desc-020", "Gemini 1.5 Flash", S["gemini"], "generic", "negation", "depot",
      "There are no ships or aircraft. Two tanks are at the top left and bottom right, and a car is at the top center.",
      _d(3, 0, 0), "ships and aircraft negated"),
    E("desc-021", "gemma-3-4b-it", S["gemma3"], "generic", "position_vocabulary", "depot",
      "A tank in the top left, another tank on the right, and a car at the top.", _d(2, 1, 1),
      "'on the right' is middle right (or no cell): either way the bottom-right tank is not matched: FP + FN; "
      "'at the top' = top center for the car"),
    E("desc-022", "Claude 3.5 Sonnet", S["claude"], "generic", "list_positions", "depot",
      "Tanks: top left, bottom right. Car: top center.", _d(3, 0, 0), "a label then its positions: 2 tanks, 1 car"),
    E("desc-023", "Florence-2-large", S["florence2"], "florence2", "prose", "depot",
      "The image shows two round tanks and a small car on a dark background.", _d(0, 3, 3),
      "Florence-2's detailed caption: three objects, no cell"),
    E("desc-024", "DeepSeek-VL2", S["deepseek_vl2"], "deepseek_vl2", "plain", "depot",
      "There is a tank in the top left and a car in the top center.", _d(2, 0, 1), "the bottom-right tank missed"),
    # --- airport: aircraft@bottom right ---
    E("desc-025", "SARChat-Qwen2-VL-7B", S["sarchat"], "sarchat", "plain", "airport",
      RECORDS["airport"]["reference"], _d(1, 0, 0), "the reference itself"),
    E("desc-026", "InternVL3-8B", S["internvl3"], "internvl2_5", "plain", "airport",
      "A small aircraft is parked in the lower right area of the image.", _d(1, 0, 0), "lower right = bottom right"),
    E("desc-027", "GPT-4o", S["gpt4o"], "generic", "prose", "airport",
      "There is an airplane near the bottom-right corner.", _d(1, 0, 0), "airplane, bottom right"),
    E("desc-028", "Claude 3.5 Sonnet", S["claude"], "generic", "negation", "airport",
      "No ships, cars, tanks, bridges or harbors are visible; there is one aircraft in the bottom right.",
      _d(1, 0, 0), "the negated list names nothing"),
    E("desc-029", "llava-onevision-qwen2-7b-ov", S["llava_onevision"], "generic", "prose", "airport",
      "An aircraft is visible in the image.", _d(0, 1, 1), "no cell"),
    E("desc-030", "DeepSeek-R1 style (Qwen3-VL-Thinking)", S["deepseek_r1"], "qwen3_vl", "reasoning_block", "airport",
      "<think>Is this a ship or an aircraft? The shape has wings, so an aircraft. There is also something at the top "
      "left, but it is just noise.</think>\nOne aircraft in the bottom right corner.", _d(1, 0, 0),
      "the final answer: one aircraft BR"),
    E("desc-031", "GeoChat-7B", S["geochat"], "geochat", "plain", "airport",
      "A small aircraft in the bottom right. It is the only object.", _d(1, 0, 0), "one aircraft BR"),
    # --- sea: ship@middle center, ship@middle right ---
    E("desc-032", "SARChat-LLaVA-1.5-7B", S["sarchat"], "sarchat", "plain", "sea",
      RECORDS["sea"]["reference"], _d(2, 0, 0), "the reference itself"),
    E("desc-033", "GPT-4o", S["gpt4o"], "generic", "coreference", "sea",
      "This SAR image shows two ships. One ship is located in the center of the image, while the other is on the "
      "right side.", _d(2, 0, 0), "the second sentence places the two ships: MC, MR"),
    E("desc-034", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "coreference", "sea",
      "There are two ships. One ship is in the center. One ship is on the right side.", _d(2, 0, 0),
      "each 'one ship' places one of the two: MC, MR"),
    E("desc-035", "Gemini 1.5 Pro", S["gemini"], "generic", "position_vocabulary", "sea",
      "A large ship near the center and a smaller ship on the right side.", _d(2, 0, 0),
      "near the center = MC; right side = MR"),
    E("desc-036", "gemma-3-12b-it", S["gemma3"], "generic", "markdown", "sea",
      "**Objects:**\n* **Ship 1:** Large, center of the image.\n* **Ship 2:** Medium, right side of the image.",
      _d(2, 0, 0), "two ships (numbered labels, not counts): MC, MR"),
    E("desc-037", "Qwen2-VL-2B-Instruct", S["qwen2_vl"], "qwen2_vl", "plain", "sea",
      "Two ships in the top left.", _d(0, 2, 2), "both placed top left"),
    E("desc-038", "InternVL2-8B", S["internvl2"], "internvl2_5", "plain", "sea",
      "Two ships: one in the middle center, one in the middle right.", _d(2, 0, 0), "both right"),
    # --- apron: aircraft@top left, aircraft@bottom right, bridge@middle center ---
    E("desc-039", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "apron",
      RECORDS["apron"]["reference"], _d(3, 0, 0), "the reference itself"),
    E("desc-040", "GPT-4o", S["gpt4o"], "generic", "markdown", "apron",
      "- **2 aircraft**: top left and bottom right\n- **1 bridge**: center", _d(3, 0, 0),
      "bold counts with their positions; 'center' = MC"),
    E("desc-041", "Claude 3.5 Sonnet", S["claude"], "generic", "coreference", "apron",
      "The scene contains two aircraft and a bridge. One aircraft is at the top left, the other at the bottom right, "
      "and the bridge crosses the center of the image.", _d(3, 0, 0),
      "the second sentence places the objects of the first"),
    E("desc-042", "Qwen3-VL-8B-Instruct", S["qwen3_vl"], "qwen3_vl", "negation", "apron",
      "Two aircraft (top left, bottom right) and a bridge (middle center). No ships, cars, tanks or harbors.",
      _d(3, 0, 0), "the negated list names nothing"),
    E("desc-043", "Gemini 1.5 Pro", S["gemini"], "generic", "coreference", "apron",
      "A bridge spans the middle of the image, with an airplane on the upper left and another on the lower right.",
      _d(3, 0, 0), "bridge MC; airplane TL; 'another' airplane BR"),
    E("desc-044", "GPT-4o", S["gpt4o"], "generic", "position_vocabulary", "apron",
      "There are 2 aircraft in the upper half. There is also a bridge in the middle.", _d(1, 2, 2),
      "'upper half' is no cell of the grid (nor is it right for the bottom-right one): 2 FP, 2 FN; bridge MC"),
    E("desc-045", "llava-1.5-7b-hf", S["llava_1_5"], "llava_1_5", "prose", "apron",
      "The image shows an airport with two airplanes and a bridge.", _d(0, 3, 3),
      "airport is no category; three objects without a cell"),
    # --- fleet: ship@middle center, bottom left, top right, middle left ---
    E("desc-046", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "fleet",
      RECORDS["fleet"]["reference"], _d(4, 0, 0), "the reference itself"),
    E("desc-047", "GPT-4o", S["gpt4o"], "generic", "coreference", "fleet",
      "The image shows four ships. One ship is at the top right, one ship is in the center, one ship is on the left "
      "side, and one ship is at the bottom left.", _d(4, 0, 0), "four ships, each 'one ship' places one: TR, MC, ML, BL"),
    E("desc-048", "Claude 3.5 Sonnet", S["claude"], "generic", "list_positions", "fleet",
      "Ships: top right, center, middle left, bottom left.", _d(4, 0, 0), "a label with four positions: four ships"),
    E("desc-049", "Qwen2-VL-7B-Instruct", S["qwen2_vl_paper"], "qwen2_vl", "prose", "fleet",
      "There are 4 small ships scattered across the image.", _d(0, 4, 4), "four ships, no cell"),
    E("desc-050", "GPT-4o", S["gpt4o"], "generic", "markdown", "fleet",
      "- **4 small ships**: one at the top right, one in the center, one on the left side and one at the bottom left.",
      _d(4, 0, 0), "bold count 4 with four positions"),
    E("desc-051", "Gemini 1.5 Flash", S["gemini"], "generic", "plain", "fleet",
      "There are three ships: one at the top right, one in the middle center and one at the bottom left.",
      _d(3, 0, 1), "the middle-left ship missed"),
    E("desc-052", "deepseek-vl2-small", S["deepseek_vl2"], "deepseek_vl2", "plain", "fleet",
      "There is a ship at the top right and a ship at the bottom left.", _d(2, 0, 2), "two of four"),
    E("desc-053", "InternVL2.5-8B", S["internvl"], "internvl2_5", "plain", "fleet",
      "A small ship in the middle center. Another small ship in the bottom left. Another small ship in the top right. "
      "Another small ship in the middle left.", _d(4, 0, 0), "one sentence per ship"),
    E("desc-054", "Florence-2-large", S["florence2"], "florence2", "plain", "fleet",
      "Four ships on the sea: one in the top right, one in the center, one on the left side and one in the bottom left.",
      _d(4, 0, 0), "four ships placed"),
]
# fmt: on
