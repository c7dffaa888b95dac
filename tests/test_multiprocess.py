"""Two processes give the same metrics as one: lmms-eval shards the documents over the ranks,
gathers the per-sample metrics on rank 0 and aggregates there, so the SARChat aggregations
(pooled sums, shares, the task score) must not depend on which rank scored which record nor on
the order the gathered samples arrive in.

How the processes are made, and why not the plain CLI (docs/PERFORMANCE.md, "Multi-process"):
``ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2`` starts two CPU ranks
(``--cpu --num_processes 2`` starts one process unless MPI is set up). Under it the lmms-eval
0.7.3 CLI builds an ``Accelerator`` (a gloo group) and runs its "torchrun" path; but neither
backend asked for can then be built by the CLI: ``qwen2_vl`` puts the model on
``cuda:<local rank>`` whenever there is more than one process (models/simple/qwen2_vl.py) and
``dummy`` has no ``device``, which the evaluator reads to gather the shard sizes
(evaluator.py). So this file, run as a script under the launcher, drives the same
evaluator through its Python API (``simple_evaluate`` with a model object and a gloo process group,
``distributed_executor_backend="torchrun"``, exactly what the CLI selects there):

* the tiny random Qwen2-VL through lmms-eval's own ``Qwen2_VL`` class, built while the launcher's
  rank variables are hidden so that it stays on the CPU (afterwards the evaluator gives it its rank);
* lmms-eval's ``Dummy`` with a ``device`` attribute added, nothing else changed.

One launch runs both backends (two lmms-eval runs per process, one process group), the reference
is the same script in one process: two launches in all.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # every test here runs lmms-eval or builds a model

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
FIXED_ANSWER = "There are 3 instances. {<294><358><329><427>}"
RANK_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "ROLE_RANK")


# ---------------------------------------------------------------------------------------------
# The script side: one process of a (possibly multi-process) run
# ---------------------------------------------------------------------------------------------


def _tiny_qwen2vl(model_path: str) -> Any:
    """lmms-eval's ``Qwen2_VL`` on the CPU: built with the rank variables hidden, because with
    more than one process it would move the model to ``cuda:<local rank>``."""
    from lmms_eval.models.simple.qwen2_vl import Qwen2_VL

    saved = {name: os.environ.pop(name) for name in RANK_VARIABLES if name in os.environ}
    try:
        return Qwen2_VL(pretrained=model_path, device="cpu", device_map="cpu", max_pixels=12544, batch_size=1)
    finally:
        os.environ.update(saved)


def _cpu_dummy(response: str) -> Any:
    """lmms-eval's fixed-answer ``Dummy`` with the ``device`` its multi-process path reads."""
    import torch
    from lmms_eval.models.simple.dummy import Dummy

    class CPUDummy(Dummy):
        device = torch.device("cpu")

    return CPUDummy(response=response)


def _first(response: Any) -> Any:
    """The response of a sample log entry (a one-element list in memory, a string on disk)."""
    return response[0] if isinstance(response, list) and len(response) == 1 else response


def _count_requests(lm: Any) -> list[list[Any]]:
    """Record the (task, doc_id) of every request this rank's model is asked to answer."""
    seen: list[list[Any]] = []
    generate = lm.generate_until

    def generate_until(requests: list) -> list:
        seen.extend([request.args[4], request.args[3]] for request in requests)
        return generate(requests)

    lm.generate_until = generate_until
    return seen


def _evaluate(lm: Any, task_manager: Any, backend: str) -> dict[str, Any] | None:
    from lmms_eval.evaluator import simple_evaluate

    results = simple_evaluate(
        model=lm,
        tasks=["sarchat"],
        task_manager=task_manager,
        log_samples=True,
        distributed_executor_backend=backend,
    )
    if results is None:  # ranks other than 0
        return None
    responses = {
        task: {str(sample["doc_id"]): _first(sample["filtered_resps"]) for sample in samples}
        for task, samples in results["samples"].items()
    }
    return {"results": results["results"], "n-samples": results["n-samples"], "responses": responses}


def main(include_path: str, model_path: str, out: str) -> None:
    """Run both backends over the SARChat suite in this process; rank 0 writes ``out``."""
    os.environ.update(OFFLINE)
    import torch.distributed as dist
    from lmms_eval.tasks import TaskManager

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    qwen = _tiny_qwen2vl(model_path)  # before any process group or Accelerator state exists
    if world_size > 1:
        dist.init_process_group(backend="gloo")
    backend = "torchrun" if world_size > 1 else "accelerate"
    # One index of the tasks for both runs (building it takes seconds). Without a model name it
    # applies the `default` block of lmms_eval_specific_kwargs, the only one the SARChat YAMLs set.
    tasks = TaskManager(include_path=include_path)
    report: dict[str, Any] = {"world_size": world_size}
    for name, lm in (("qwen2_vl", qwen), ("dummy", _cpu_dummy(FIXED_ANSWER))):
        asked = _count_requests(lm)
        report[name] = _evaluate(lm, tasks, backend)
        report[f"{name}_asked"] = asked
    rank = int(os.environ.get("RANK", "0"))
    if rank == 0:
        Path(out).write_text(json.dumps(report, default=str, sort_keys=True), encoding="utf-8")
    else:
        Path(f"{out}.rank{rank}").write_text(json.dumps(report, default=str, sort_keys=True), encoding="utf-8")
    if world_size > 1:
        dist.barrier()
    if world_size > 1:
        dist.destroy_process_group()


# ---------------------------------------------------------------------------------------------
# The test side
# ---------------------------------------------------------------------------------------------


def _launch(processes: int, prepared: Path, model: Path, out: Path) -> dict[str, Any]:
    env = {**os.environ, **OFFLINE, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    script = [__file__, str(prepared / "tasks"), str(model), str(out)]
    if processes == 1:
        command = [sys.executable, *script]
    else:
        command = [
            sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "0",
            *script,
        ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and out.is_file(), done.stderr[-4000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    report["ranks"] = [report] + [
        json.loads(Path(f"{out}.rank{rank}").read_text(encoding="utf-8")) for rank in range(1, processes)
    ]
    return report


def _same(a: Any, b: Any) -> bool:
    """Exact equality, NaN equal to NaN (an empty category's score)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.fixture(scope="module")
def runs(prepared_set: Path, tmp_path_factory) -> dict[int, dict[str, Any]]:
    from tiny_qwen2vl import build_tiny_qwen2vl

    model = build_tiny_qwen2vl(tmp_path_factory.mktemp("tiny_qwen2vl"))
    out = tmp_path_factory.mktemp("multiprocess")
    return {n: _launch(n, prepared_set, model, out / f"world{n}.json") for n in (1, 2)}


@pytest.mark.parametrize("backend", ["qwen2_vl", "dummy"])
def test_two_processes_give_the_metrics_of_one(runs, backend: str):
    one, two = runs[1][backend], runs[2][backend]
    assert runs[1]["world_size"] == 1 and runs[2]["world_size"] == 2
    assert one["n-samples"] == two["n-samples"]
    assert set(one["results"]) == set(two["results"]) >= {"sarchat", "sarchat_counting", "sarchat_identification"}
    differing = [
        (task, metric, one["results"][task][metric], two["results"][task].get(metric))
        for task in one["results"]
        for metric in one["results"][task]
        if not _same(one["results"][task][metric], two["results"][task].get(metric))
    ]
    assert not differing, differing
    assert all(set(one["results"][t]) == set(two["results"][t]) for t in one["results"])


@pytest.mark.parametrize("backend", ["qwen2_vl", "dummy"])
def test_every_record_was_answered_once_and_the_same_way(runs, backend: str):
    """The shards cover the set exactly (no record lost or doubled by the padding of uneven
    shards), and each record got the same response in both runs."""
    one, two = runs[1][backend]["responses"], runs[2][backend]["responses"]
    sizes = {task: n["effective"] for task, n in runs[1][backend]["n-samples"].items()}
    assert {task: len(docs) for task, docs in two.items()} == sizes
    assert one == two
    # the work was split: each rank answered part of the records, together all of them
    asked = [{tuple(request) for request in rank[f"{backend}_asked"]} for rank in runs[2]["ranks"]]
    every = {(task, int(doc)) for task, docs in one.items() for doc in docs}
    assert len(asked) == 2 and asked[0] | asked[1] >= every
    assert all(0 < len(rank & every) < len(every) for rank in asked)
    assert {tuple(request) for request in runs[1][f"{backend}_asked"]} == every
    if backend == "dummy":
        assert {r for docs in two.values() for r in docs.values()} == {FIXED_ANSWER}
    else:  # the tiny random model answers noise, different from record to record
        assert len({r for docs in two.values() for r in docs.values()}) > 5


if __name__ == "__main__":
    main(*sys.argv[1:4])
