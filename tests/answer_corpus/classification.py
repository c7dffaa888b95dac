"""Classification answers (classification, pooled [tp, fp, fn] over the set of categories named).
A careful grader takes the categories the answer states as present: not the options it echoes,
not those it marks absent (a "no" in a checklist, a negated list), not those it considered and
rejected while reasoning; naming every option is not classifying."""

from answer_corpus import SOURCES as S
from answer_corpus import E

_OPTIONS = "aircraft, bridge, car, harbor, ship, tank"
_Q1 = f"Based on these category options ({_OPTIONS}), what's visible in this scene?"
_Q2 = f"Which of the following categories ({_OPTIONS}) can be seen in this SAR image?"

RECORDS = {
    "harbour": dict(task="classification", subset="", width=512, height=512, question=_Q1,
                    reference="It is ship and harbor"),
    "airport": dict(task="classification", subset="", width=600, height=400, question=_Q1, reference="It is aircraft"),
    "depot": dict(task="classification", subset="", width=320, height=256, question=_Q2, reference="It is car and tank"),
    "apron": dict(task="classification", subset="", width=560, height=560, question=_Q2,
                  reference="It is aircraft and bridge"),
    "sea": dict(task="classification", subset="", width=800, height=600, question=_Q2, reference="It is ship"),
}  # fmt: skip


def _c(tp, fp, fn):
    return {"classification": [tp, fp, fn]}


# fmt: off
ENTRIES = [
    # --- harbour: ship, harbor ---
    E("class-001", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "harbour", "It is ship and harbor",
      _c(2, 0, 0), "the reference itself"),
    E("class-002", "SARChat-Qwen2-VL-2B", S["sarchat"], "sarchat", "plain", "harbour", "It is ship", _c(1, 0, 1),
      "harbor missed"),
    E("class-003", "GPT-4o", S["gpt4o"], "generic", "checklist", "harbour",
      "- aircraft: no\n- bridge: no\n- car: no\n- harbor: yes\n- ship: yes\n- tank: no\n\nAnswer: harbor, ship",
      _c(2, 0, 0), "the 'no' options are marked absent; the answer: harbor, ship"),
    E("class-004", "Claude 3.5 Sonnet", S["claude"], "generic", "echoed_options", "harbour",
      f"Of the listed categories ({_OPTIONS}), only harbor is present.", _c(1, 0, 1),
      "the echoed option list is not an answer: harbor only; ship missed"),
    E("class-005", "Qwen2-VL-7B-Instruct", S["qwen2_vl_paper"], "qwen2_vl", "plain", "harbour", "ship, harbor",
      _c(2, 0, 0), "both"),
    E("class-006", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "prose", "harbour",
      "The image contains ships and a harbor.", _c(2, 0, 0), "both"),
    E("class-007", "Qwen3-VL-8B-Instruct", S["qwen3_vl"], "qwen3_vl", "plain", "harbour", "Ship and harbor.",
      _c(2, 0, 0), "both"),
    E("class-008", "Qwen3-VL-8B-Thinking", S["qwen3_vl_thinking"], "qwen3_vl", "reasoning_block", "harbour",
      f"<think>The options are {_OPTIONS}. I see elongated bright targets on water: ships. There is a pier "
      "structure: a harbor. Nothing looks like a plane or a car.</think>\nship, harbor", _c(2, 0, 0),
      "the final answer: ship, harbor (the reasoning's option list and rejected options are set aside)"),
    E("class-009", "InternVL2.5-8B", S["internvl"], "internvl2_5", "plain", "harbour", "harbor, ship", _c(2, 0, 0), "both"),
    E("class-010", "InternVL2-8B", S["internvl2"], "internvl2_5", "prose", "harbour",
      "The image shows a harbor with boats.", _c(2, 0, 0), "boats = ship"),
    E("class-011", "llava-1.5-7b-hf", S["llava_1_5"], "llava_1_5", "prose", "harbour",
      "The image shows a port with several boats docked.", _c(2, 0, 0), "port = harbor, boats = ship"),
    E("class-012", "llava-1.5-13b-hf", S["llava_1_5"], "llava_1_5", "plain", "harbour", "ship", _c(1, 0, 1), "harbor missed"),
    E("class-013", "deepseek-vl2-small", S["deepseek_vl2"], "deepseek_vl2", "plain", "harbour", "harbor", _c(1, 0, 1),
      "ship missed"),
    E("class-014", "GeoChat-7B", S["geochat"], "geochat", "plain", "harbour", "It is ship and harbor", _c(2, 0, 0), "both"),
    E("class-015", "Florence-2-large", S["florence2"], "florence2", "prose", "harbour",
      "A black and white photo of a harbor with ships.", _c(2, 0, 0), "Florence-2 caption naming both"),
    E("class-016", "Gemini 1.5 Pro", S["gemini"], "generic", "markdown", "harbour",
      "**Visible categories:** ship, harbor", _c(2, 0, 0), "both"),
    E("class-017", "Claude 3.5 Sonnet", S["claude"], "generic", "negation", "harbour",
      "I can see several vessels moored alongside what appears to be a harbor or port facility. I don't see any "
      "aircraft, cars, tanks or bridges.", _c(2, 0, 0), "the negation covers its whole list"),
    E("class-018", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "json_fields", "harbour",
      '{"categories": ["ship", "harbor"]}', _c(2, 0, 0), "a JSON list of both"),
    E("class-019", "gemma-3-4b-it", S["gemma3"], "generic", "plain", "harbour", "It is a harbour.", _c(1, 0, 1),
      "harbour = harbor; ship missed"),
    E("class-020", "GPT-4o", S["gpt4o"], "generic", "negation", "harbour",
      "Both a ship and a harbor are present; there are no aircraft.", _c(2, 0, 0), "aircraft negated"),
    # --- airport: aircraft ---
    E("class-021", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "airport", "It is aircraft", _c(1, 0, 0),
      "the reference itself"),
    E("class-022", "SARChat-LLaVA-1.5-7B", S["sarchat"], "sarchat", "plain", "airport", "It is ship", _c(0, 1, 1), "wrong"),
    E("class-023", "Claude 3.5 Sonnet", S["claude"], "generic", "echoed_options", "airport",
      f"Of the listed categories ({_OPTIONS}), only aircraft is present.", _c(1, 0, 0), "aircraft only"),
    E("class-024", "Qwen2-VL-2B-Instruct", S["qwen2_vl"], "qwen2_vl", "all_options", "airport", _OPTIONS, _c(1, 5, 0),
      "listing all six is not classifying: 1 TP, 5 FP"),
    E("class-025", "DeepSeek-R1 style (Qwen3-VL-Thinking)", S["deepseek_r1"], "qwen3_vl", "reasoning_block", "airport",
      "<think>Could be a ship? No, it has wings. Could be a car? Too big. It is an aircraft.</think>\nAnswer: aircraft",
      _c(1, 0, 0), "the final answer: aircraft (ship and car were rejected while reasoning)"),
    E("class-026", "GPT-4o mini", S["gpt4o"], "generic", "negation", "airport",
      "This is not a ship; it is an aircraft.", _c(1, 0, 0), "ship negated"),
    E("class-027", "Gemini 1.5 Flash", S["gemini"], "generic", "negation", "airport",
      "There are no ships, cars, tanks, bridges or harbors; the image shows an aircraft.", _c(1, 0, 0),
      "the negation covers its whole list"),
    E("class-028", "InternVL3-8B", S["internvl3"], "internvl2_5", "plain", "airport", "airport", _c(0, 0, 1),
      "airport is no option (not aircraft, not port): nothing named"),
    E("class-029", "Gemini 1.5 Pro", S["gemini"], "generic", "prose", "airport",
      "The scene shows an aircraft on a runway next to a hangar.", _c(1, 0, 0), "aircraft"),
    E("class-030", "llava-onevision-qwen2-7b-ov", S["llava_onevision"], "generic", "negation", "airport",
      "None of the listed categories.", _c(0, 0, 1), "nothing named"),
    # --- depot: car, tank ---
    E("class-031", "SARChat-Qwen2-VL-7B", S["sarchat"], "sarchat", "plain", "depot", "It is car and tank", _c(2, 0, 0),
      "the reference itself"),
    E("class-032", "GPT-4o", S["gpt4o"], "generic", "markdown", "depot", "The image contains **tanks** and a **car**.",
      _c(2, 0, 0), "both"),
    E("class-033", "Qwen2-VL-7B-Instruct", S["qwen2_vl"], "qwen2_vl", "plain", "depot", "tank", _c(1, 0, 1), "car missed"),
    E("class-034", "Claude 3 Haiku", S["claude"], "generic", "prose", "depot", "Storage tanks and vehicles.", _c(2, 0, 0),
      "vehicles = car"),
    E("class-035", "deepseek-vl2", S["deepseek_vl2"], "deepseek_vl2", "plain", "depot", "car, tank, ship", _c(2, 1, 0),
      "ship is extra"),
    E("class-036", "GPT-4o", S["gpt4o"], "generic", "checklist", "depot",
      "aircraft - no\nbridge - no\ncar - yes\nharbor - no\nship - no\ntank - yes\nAnswer: car, tank", _c(2, 0, 0),
      "a yes/no checklist then the answer: car, tank"),
    E("class-037", "Claude 3.5 Sonnet", S["claude"], "generic", "reasoning_steps", "depot",
      "Step 1: Look for round structures: these are tanks.\nStep 2: Look for small rectangles: one car.\n"
      "Step 3: No water, so no ships or harbors.\nFinal answer: tank, car", _c(2, 0, 0),
      "the final answer: tank, car (ships and harbors ruled out)"),
    E("class-038", "GeoChat-7B", S["geochat"], "geochat", "plain", "depot", "It is car", _c(1, 0, 1), "tank missed"),
    E("class-039", "Florence-2-base", S["florence2"], "florence2", "prose", "depot",
      "An aerial view of storage tanks and a truck.", _c(2, 0, 0), "truck = car"),
    # --- apron: aircraft, bridge ---
    E("class-040", "SARChat-InternVL2.5-8B", S["sarchat"], "sarchat", "plain", "apron", "It is aircraft and bridge",
      _c(2, 0, 0), "the reference itself"),
    E("class-041", "InternVL2.5-8B", S["internvl"], "internvl2_5", "plain", "apron", "aircraft, bridge", _c(2, 0, 0), "both"),
    E("class-042", "Claude 3.5 Sonnet", S["claude"], "generic", "prose", "apron",
      "I can see two airplanes and a bridge crossing a river.", _c(2, 0, 0), "airplanes = aircraft"),
    E("class-043", "gemma-3-12b-it", S["gemma3"], "generic", "prose", "apron",
      "This image shows an airport with aircraft parked near a bridge.", _c(2, 0, 0), "airport is no option"),
    E("class-044", "llava-1.5-7b-hf", S["llava_1_5"], "llava_1_5", "plain", "apron", "aircraft", _c(1, 0, 1),
      "bridge missed"),
    E("class-045", "GPT-4o", S["gpt4o"], "generic", "table", "apron",
      "| Category | Present |\n|---|---|\n| aircraft | yes |\n| bridge | yes |\n| car | no |\n| harbor | no |\n"
      "| ship | no |\n| tank | no |", _c(2, 0, 0), "a yes/no table: aircraft and bridge present"),
    E("class-046", "Claude 3 Opus", S["claude"], "generic", "checklist", "apron",
      "Aircraft: yes. Bridge: yes. Car: no. Harbor: no. Ship: no. Tank: no.", _c(2, 0, 0),
      "the options marked no are absent"),
    # --- sea: ship ---
    E("class-047", "SARChat-LLaVA-1.5-7B", S["sarchat"], "sarchat", "plain", "sea", "It is ship", _c(1, 0, 0),
      "the reference itself"),
    E("class-048", "Qwen2.5-VL-7B-Instruct", S["qwen2_5_vl"], "qwen2_5_vl", "negation", "sea",
      "Ships (2). No harbor visible.", _c(1, 0, 0), "harbor negated"),
    E("class-049", "Gemini 1.5 Flash", S["gemini"], "generic", "prose", "sea", "Vessels.", _c(1, 0, 0), "vessel = ship"),
    E("class-050", "GPT-4o mini", S["gpt4o"], "generic", "hedge", "sea", "ship or possibly a bridge", _c(1, 1, 0),
      "a hedge names both: bridge is an FP"),
    E("class-051", "llava-onevision-qwen2-7b-ov", S["llava_onevision"], "generic", "echoed_question", "sea",
      f"Which of the following categories ({_OPTIONS}) can be seen in this SAR image?\nship", _c(1, 0, 0),
      "the echoed question is not the answer: ship"),
    E("class-052", "Qwen3-VL-8B-Instruct", S["qwen3_vl"], "qwen3_vl", "echoed_options", "sea",
      f"Options: {_OPTIONS}. Answer: ship", _c(1, 0, 0), "the answer after the echoed options: ship"),
    E("class-053", "Qwen2-VL-7B-Instruct", S["qwen2_vl_paper"], "qwen2_vl", "plain", "sea", "cargo ship", _c(1, 0, 0),
      "cargo is not car"),
    E("class-054", "GPT-4o", S["gpt4o"], "generic", "plain", "sea", "Only ships.", _c(1, 0, 0), "ship"),
]
# fmt: on
