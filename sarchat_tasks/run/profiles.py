"""``sarchat profiles``: the model profiles, each with the instruction it adds to a question, the
box conventions and frame its answers are read in, the lmms-eval backends that get it by
``--model`` name, and the public source of its format (docs/MODELS.md has the full table)."""

from __future__ import annotations

import argparse
import json
import sys

from sarchat_tasks.registry import DEFAULT_PROFILE, PROFILES
from sarchat_tasks.utils.boxes import DEFAULT_CONVENTIONS


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the profiles as JSON")


def describe() -> list[dict]:
    """Every profile as data: what ``--json`` prints."""
    return [
        {
            "name": p.name,
            "summary": p.summary,
            "instruction_example": p.instruction("referring", 800, 600),
            "conventions": {s: c for s, c in p.conventions.items() if DEFAULT_CONVENTIONS.get(s) != c},
            "frame": p.frame,
            "backends": list(p.backends) or (["any other backend"] if p.name == DEFAULT_PROFILE else []),
            "source": p.source,
        }
        for p in PROFILES.values()
    ]


def run(args: argparse.Namespace) -> int:
    profiles = describe()
    if args.json:
        json.dump(profiles, sys.stdout, indent=2)
        print()
        return 0
    for p in profiles:
        print(f"{p['name']}: {p['summary']}")
        print(f"  backends:    {', '.join(p['backends']) or '- (choose it with --profile)'}")
        changed = ", ".join(f"{s}={c}" for s, c in p["conventions"].items()) or "the defaults"
        print(f"  boxes:       {changed}; frame {p['frame']}")
        print(f"  instruction: {p['instruction_example'] or '- (the SARChat question as published)'}")
        print(f"  source:      {p['source']}")
    print(
        "\nsarchat eval --profile NAME (or SARCHAT_PROFILE=NAME for plain lmms-eval) overrides the choice by --model;"
    )
    print("sarchat score and rescore take --profile too.")
    return 0
