"""The provenance record: what produced a results file, written with every results file the suite
writes (``sarchat eval``, each shard, ``merge``, ``rescore``, ``score``) and read back, through
this module only, by every stage that consumes one.

The record lies in the results file under ``sarchat_provenance`` (docs/RUNNING.md, "The provenance
record", lists the fields). A number is only worth citing if it is certain which data, model,
model arguments, profile, frame and generation budget produced it and that every record was scored
once; so the record holds the data set's fingerprint (the SHA-256 of every rows file, the manifest
version, the records per task), the lmms-eval model and ``model_args``, the profile and frame the
answers were read in, each task's generation settings, the lmms-eval and suite versions, each sample
log's SHA-256 and line count, and a run id. Stages derived from other runs (a merge of shards, a
rescore) name their parents' run ids.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sarchat_tasks.errors import SarchatError
from sarchat_tasks.outputs import file_sha256

KEY = "sarchat_provenance"
FORMAT = "sarchat-provenance"
VERSION = 1
KINDS = ("eval", "shard", "merge", "rescore", "score")
# the fields that decide a number: two records that differ in one of them give different numbers
DECIDING = ("data", "model", "profile", "frame", "generation")


class ProvenanceError(SarchatError):
    """A provenance record that is missing where it must be, malformed, or contradicts its files."""


def new_run_id() -> str:
    """A run id: random, so that no other run can carry it."""
    return uuid.uuid4().hex


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    from sarchat_tasks import __version__

    try:
        lmms = version("lmms_eval")
    except PackageNotFoundError:
        lmms = None
    return {"lmms_eval": lmms, "sarchat_bench": __version__}


_ROWS_HASHES: dict[tuple[str, int, int], str] = {}


def rows_sha256(path: Path) -> str:
    """The SHA-256 of a rows file, once per file version per process."""
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _ROWS_HASHES:
        _ROWS_HASHES[key] = file_sha256(path)
    return _ROWS_HASHES[key]


def data_record(root: Path) -> dict[str, Any]:
    """The fingerprint of a prepared set: the SHA-256 of each rows file (full and lite), the
    manifest's format version, the records per task, and one ``fingerprint`` over all rows files,
    which is what two runs must share to be on the same data."""
    from sarchat_tasks.prepared import ROWS_DIR, PreparedSet

    prepared = PreparedSet(root)
    manifest = prepared.manifest
    hashes = {path.stem: rows_sha256(path) for path in sorted((prepared.root / ROWS_DIR).glob("*.parquet"))}
    digest = hashlib.sha256("".join(f"{name}:{value}\n" for name, value in sorted(hashes.items())).encode())
    return {
        "root": str(prepared.root),
        "fingerprint": digest.hexdigest(),
        "manifest_format_version": manifest.get("format_version"),
        "records": {task: info.get("rows") for task, info in (manifest.get("tasks") or {}).items()},
        "rows_sha256": hashes,
    }


def frame_text(model_args: str | None) -> str:
    """The resized frame ``model_args`` asks for (``min_pixels=..,max_pixels=..``), "" for none."""
    from sarchat_tasks.registry import FRAME_KEYS

    pairs = dict(p.split("=", 1) for p in (model_args or "").split(",") if "=" in p)
    return ",".join(f"{key}={pairs[key].strip()}" for key in FRAME_KEYS if key in pairs)


def count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def samples_record(logs: Mapping[str, Path]) -> dict[str, Any]:
    """Per task: the sample log's file name, SHA-256 and number of samples."""
    return {
        task: {"file": Path(path).name, "sha256": file_sha256(path), "samples": count_lines(path)}
        for task, path in logs.items()
    }


def generation_record(results: Mapping[str, Any]) -> dict[str, Any]:
    """Each task's generation settings, as lmms-eval recorded them in the results' ``configs``."""
    configs = results.get("configs") or {}
    return {task: (config or {}).get("generation_kwargs") for task, config in configs.items()}


def make_record(
    kind: str,
    *,
    data: dict[str, Any] | None,
    model: str | None,
    model_args: str | None,
    profile: str,
    frame: str,
    generation: Mapping[str, Any],
    samples: Mapping[str, Any],
    run_id: str | None = None,
    parents: Iterable[str] = (),
    **extra: Any,
) -> dict[str, Any]:
    """A complete record; ``extra`` adds fields of one kind of stage (e.g. a merge's plan hash)."""
    if kind not in KINDS:
        raise ValueError(f"unknown provenance kind {kind!r}")
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "run_id": run_id or new_run_id(),
        "parents": list(parents),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data": data,
        "model": {"name": model, "model_args": model_args or ""},
        "profile": profile,
        "frame": frame,
        "generation": dict(generation),
        "samples": dict(samples),
        "versions": _versions(),
        **extra,
    }


def attach(raw: dict[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """Put the record into a results file's contents (and the profile where older readers look)."""
    raw[KEY] = dict(record)
    raw.setdefault("sarchat", {})["profile"] = record["profile"]
    return raw


def write_results(path: Path, raw: Mapping[str, Any]) -> None:
    """Write a results file whole or not at all (a temporary file renamed over it)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.write_text(json.dumps(raw, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(partial, path)


def read(raw: Mapping[str, Any], where: Path | str) -> dict[str, Any] | None:
    """The record of a results file's contents, checked for shape; None for a file that has none
    (plain lmms-eval runs, older versions of the suite)."""
    record = raw.get(KEY)
    if record is None:
        return None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ProvenanceError(f"{where}: {KEY} is not a sarchat provenance record")
    if record.get("version") != VERSION:
        raise ProvenanceError(f"{where}: provenance record version {record.get('version')}; this suite reads {VERSION}")
    missing = [key for key in ("kind", "run_id", *DECIDING, "samples") if key not in record]
    if missing:
        raise ProvenanceError(f"{where}: the provenance record lacks {', '.join(missing)}")
    return record


def require(raw: Mapping[str, Any], where: Path | str) -> dict[str, Any]:
    """The record, which must be there."""
    record = read(raw, where)
    if record is None:
        raise ProvenanceError(f"{where}: no provenance record ({KEY}); it was not written by this suite")
    return record


def data_fingerprint(record: Mapping[str, Any] | None) -> str | None:
    data = (record or {}).get("data") or {}
    return data.get("fingerprint")


def differences(a: Mapping[str, Any], b: Mapping[str, Any], keys: Iterable[str] = DECIDING) -> list[str]:
    """The deciding fields two records disagree on (the data by its fingerprint)."""
    found = []
    for key in keys:
        left, right = a.get(key), b.get(key)
        if key == "data":
            left, right = data_fingerprint(a), data_fingerprint(b)
        if left != right:
            found.append(key)
    return found


def check_samples(record: Mapping[str, Any], folder: Path, where: Path | str) -> None:
    """Raise unless each sample log the record lists is in ``folder`` with its recorded hash."""
    for task, entry in (record.get("samples") or {}).items():
        path = Path(folder) / entry["file"]
        if not path.is_file():
            raise ProvenanceError(f"{where}: the sample log of {task} ({path}) is missing")
        if file_sha256(path) != entry["sha256"]:
            raise ProvenanceError(f"{where}: {path} is not the sample log this run wrote (its SHA-256 differs)")


def summary(record: Mapping[str, Any] | None) -> dict[str, str]:
    """The record's fields as short texts, for a report's provenance section."""
    if record is None:
        return {"run": "— (no provenance record)", "data": "—", "model": "—", "profile": "—", "frame": "—",
                "budgets": "—", "versions": "—"}  # fmt: skip
    data = record.get("data") or {}
    budgets = sorted(
        {str((g or {}).get("max_new_tokens")) for g in (record.get("generation") or {}).values() if isinstance(g, dict)}
    )
    model = record.get("model") or {}
    versions = record.get("versions") or {}
    return {
        "run": f"{record['kind']} {record['run_id'][:12]}",
        "data": f"{(data.get('fingerprint') or '?')[:12]} ({data.get('root', '?')})",
        "model": f"{model.get('name')} {model.get('model_args') or ''}".strip(),
        "profile": str(record.get("profile")),
        "frame": record.get("frame") or "native",
        "budgets": "max_new_tokens " + "/".join(budgets) if budgets else "—",
        "versions": f"lmms-eval {versions.get('lmms_eval')}, sarchat-bench {versions.get('sarchat_bench')}",
    }
