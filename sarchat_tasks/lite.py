"""SARChat-Bench lite: a fixed, stratified subset of every test file, chosen from record ids alone.

The full test set is 226,636 records, three quarters of them identification; most users want a
ranking in an hour, not a day. ``select_lite`` keeps at most ``LITE_FRACTION`` (5 %) of each test
file (a ``(task, subset)`` pair: the nine official files), stratified by category and object count
so that the subset has the file's mix of easy and crowded scenes, and never empties a task.

Why it is a pure function of the record ids: the subset must be the same on every machine and for
every copy of the data, whatever order the records were read in. Each record gets the key
``sha256("sarchat-lite/1/" + id)``; a stratum keeps the records with the smallest keys, and the
seats of a file are shared among its strata by largest remainder, ties broken by the stratum's own
hash. Changing ``SALT`` (or these rules) changes the subset: bump it only with a new lite version.

A column that covers only part of a file (``grounding_abstract_position``: the grounding records
whose reference states a relation) is given ``MIN_PER_COLUMN`` (200) of the file's seats when the
file has that many, else all of its records, so that the column is measured at all; the cost is a
slight over-weighting of those records in the file's other columns. docs/LITE.md measures what the
subset costs in agreement with the full set (benchmarks/lite_agreement.py).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sarchat_tasks.registry import TASKS

SALT = "sarchat-lite/1/"
LITE_FRACTION = 0.05
MIN_PER_COLUMN = 200
LITE_SUFFIX = "_lite"
# Object-count strata: the upper bound of each bucket (inclusive); larger counts share the last.
COUNT_BUCKETS: tuple[tuple[int, str], ...] = ((0, "0"), (1, "1"), (2, "2"), (5, "3-5"), (10, "6-10"))
COUNT_OVERFLOW = "11+"


def record_key(record_id: str) -> str:
    """The sort key of a record inside its stratum: a salted SHA-256 of its id (hex)."""
    return hashlib.sha256((SALT + str(record_id)).encode("utf-8")).hexdigest()


def count_bucket(count: int) -> str:
    """The object-count stratum of a record with ``count`` objects."""
    for upper, name in COUNT_BUCKETS:
        if count <= upper:
            return name
    return COUNT_OVERFLOW


def _reference(row: Mapping[str, Any]) -> dict[str, Any]:
    reference = row.get("reference")
    if isinstance(reference, str):
        try:
            reference = json.loads(reference)
        except json.JSONDecodeError:
            return {}
    return reference if isinstance(reference, dict) else {}


def stratum(row: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    """(task, subset, partial column, category, object-count bucket) of a record: the partial
    column is the one a record feeds beyond its file's columns (``TaskSpec.partial_column``: the
    grounding records whose reference states a relation are the only ones scored for abstract
    position), the bucket that of ``TaskSpec.object_count``."""
    task = str(row.get("task", ""))
    reference = _reference(row)
    spec = TASKS.get(task)
    return (
        task,
        str(row.get("subset", "") or ""),
        spec.partial_column(reference) if spec else "",
        str(row.get("category", "") or ""),
        count_bucket(spec.object_count(reference) if spec else 1),
    )


def lite_size(n: int) -> int:
    """Seats of a file of ``n`` records: 5 % rounded down, but at least one (an empty task cannot
    run) and never more than the file holds."""
    if n <= 0:
        return 0
    return min(n, max(1, math.floor(LITE_FRACTION * n)))


def _largest_remainder(seats: int, sizes: Mapping[Any, int]) -> dict[Any, int]:
    """Share ``seats`` among groups in proportion to ``sizes`` (Hamilton's method); equal
    remainders go by the group's hash, so the result depends on nothing but the sizes."""
    total = sum(sizes.values())
    if seats <= 0 or total == 0:
        return dict.fromkeys(sizes, 0)
    exact = {key: seats * size / total for key, size in sizes.items()}
    quota = {key: min(sizes[key], math.floor(value)) for key, value in exact.items()}
    order = sorted(sizes, key=lambda key: (-(exact[key] - math.floor(exact[key])), record_key(repr(key))))
    left = seats - sum(quota.values())
    while left > 0:
        progressed = False
        for key in order:
            if left == 0:
                break
            if quota[key] < sizes[key]:
                quota[key] += 1
                left -= 1
                progressed = True
        if not progressed:
            break
    return quota


def _file_quotas(strata: Mapping[tuple, int], seats: int) -> dict[tuple, int]:
    """Seats per stratum of one file: partial columns first get ``MIN_PER_COLUMN`` seats (or all
    their records, or all seats, whichever is least), the rest is shared in proportion."""
    by_column: dict[str, dict[tuple, int]] = defaultdict(dict)
    for key, size in strata.items():
        by_column[key[2]][key] = size
    column_sizes = {column: sum(group.values()) for column, group in by_column.items()}
    column_seats = _largest_remainder(seats, column_sizes)
    partial = [column for column in column_seats if column]
    for column in partial:
        floor = min(MIN_PER_COLUMN, column_sizes[column], seats)
        column_seats[column] = max(column_seats[column], floor)
    taken = sum(column_seats[c] for c in partial)
    if "" in column_seats:
        column_seats[""] = min(column_sizes[""], max(0, seats - taken))
    quotas: dict[tuple, int] = {}
    for column, group in by_column.items():
        quotas.update(_largest_remainder(column_seats[column], group))
    return quotas


def select_lite(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The lite subset of ``rows`` (prepared rows of one or more tasks), in the input order.

    Each ``(task, subset)`` file keeps ``lite_size`` of its records, shared among its strata (see
    ``stratum``); inside a stratum the records with the smallest ``record_key`` are kept. Depends
    only on the set of (id, stratum) pairs, not on the order of ``rows``.
    """
    strata: dict[tuple, list[tuple[str, int]]] = defaultdict(list)
    for index, row in enumerate(rows):
        strata[stratum(row)].append((record_key(row["id"]), index))
    files: dict[tuple[str, str], dict[tuple, int]] = defaultdict(dict)
    for key, members in strata.items():
        files[key[:2]][key] = len(members)
    chosen: list[int] = []
    for file_strata in files.values():
        quotas = _file_quotas(file_strata, lite_size(sum(file_strata.values())))
        for key, seats in quotas.items():
            chosen.extend(index for _, index in sorted(strata[key])[:seats])
    return [rows[index] for index in sorted(chosen)]
