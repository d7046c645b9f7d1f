"""Measure plans' embedding stages phase by phase and put the calibrated model's prediction next to them.

Each plan runs on its own (its tables leave memory before the next is built), warm-up iterations first, then
`iterations` timed ones; medians per phase and of the per-iteration total. With several workers every worker
measures its own phases; the slowest worker's median total is the plan's time (the model's makespan).
"""
from __future__ import annotations

import os
import statistics
import tempfile
from typing import List, Optional

import torch

from .formats import PlanSpec, ScenarioSpec
from .predict import TERMS, constants_of, predict_plan, term_phases
from .stage import PHASES, Comm, PlanStage


class PlanRun:
    """One plan's stage on this worker and what its timed iterations measured."""

    def __init__(self, scenario: ScenarioSpec, plan: PlanSpec, comm: Comm, device: torch.device, host_dir: Optional[str]):
        self.stage = PlanStage(scenario, plan, comm, device, host_dir, init="fast")
        self.per_iter: List[dict] = []
        self.counts = {"distinct": 0.0, "hostRows": 0.0, "peerRows": 0.0, "lookups": 0.0}
        self.checksum = 0.0

    def iteration(self, comm: Comm, it: int, warmup: int, iterations: int, seed: int) -> None:
        if comm.world > 1:
            comm.dist.barrier()  # every worker starts the iteration together (the model's makespan)
        times, stats, outs = self.stage.iteration(seed, it, keep=it == warmup + iterations - 1)
        if it >= warmup:
            self.per_iter.append(times)
            for k in self.counts:
                self.counts[k] += stats[k] / iterations
        if outs:
            self.checksum = float(sum(float(o.sum()) for o in outs))

    def result(self, rank: int) -> dict:
        med = {p: statistics.median(t[p] for t in self.per_iter) for p in PHASES}
        total = statistics.median(sum(t.values()) for t in self.per_iter)
        # the fastest iteration too: on a shared machine the one least disturbed by other processes
        fastest = min(sum(t.values()) for t in self.per_iter)
        return {"rank": rank, "measuredSec": total, "fastestSec": fastest, "phases": med, "counts": self.counts, "checksum": self.checksum}


def measure_plans(scenario: ScenarioSpec, plans: List[PlanSpec], comm: Comm, device: torch.device, iterations: int, warmup: int, seed: int,
                  tmp: str, sequential: bool) -> List[dict]:
    """Interleaved (default): every plan's stage built, then iteration by iteration each plan in turn, so drift
    from other processes on the machine hits every plan alike. Sequential: one plan at a time, its memory
    freed before the next (plans whose tables do not fit side by side, bench/gpu)."""
    def host_dir(j):
        d = os.path.join(tmp, f"host{j}")
        os.makedirs(d, exist_ok=True)
        return d
    out: List[Optional[dict]] = [None] * len(plans)
    if sequential:
        for j, plan in enumerate(plans):
            run = PlanRun(scenario, plan, comm, device, host_dir(j))
            for it in range(warmup + iterations):
                run.iteration(comm, it, warmup, iterations, seed)
            out[j] = run.result(comm.rank)
            del run
            if device.type == "cuda":
                torch.cuda.empty_cache()
        return out  # type: ignore[return-value]
    runs = [PlanRun(scenario, plan, comm, device, host_dir(j)) for j, plan in enumerate(plans)]
    for it in range(warmup + iterations):
        for run in runs:
            run.iteration(comm, it, warmup, iterations, seed)
    return [r.result(comm.rank) for r in runs]


def summarise(plan: PlanSpec, scenario: ScenarioSpec, ranks: List[dict], prediction: Optional[dict], constants: Optional[dict], iterations: int, batch: int) -> dict:
    slow = max(ranks, key=lambda r: r["measuredSec"])
    phases_of = term_phases(plan.coalesce)
    model_measured = {t: sum(slow["phases"][p] for p in phases_of[t]) for t in TERMS}
    out = {"plan": plan.name, "coalesce": plan.coalesce, "batch": batch, "iterations": iterations, "ranks": len(ranks),
           "measuredSec": slow["measuredSec"], "fastestSec": slow["fastestSec"], "slowestRank": slow["rank"], "phases": slow["phases"],
           "measuredTerms": model_measured, "bookkeepingSec": 0.0 if plan.coalesce else slow["phases"]["bookkeeping"], "counts": slow["counts"],
           "measuredSamplesPerSec": batch / slow["measuredSec"] if slow["measuredSec"] > 0 else 0.0,
           "checksum": sum(r["checksum"] for r in ranks), "perRank": ranks}
    if prediction is not None and constants is not None:
        terms = predict_plan(prediction, constants)
        sec = [sum(t.values()) for t in terms]
        g = max(range(len(sec)), key=lambda i: sec[i])
        out.update({
            "predictedSec": sec[g], "predictedTerms": terms[g], "predictedGpu": g,
            "predictedSamplesPerSec": batch / sec[g] if sec[g] > 0 else 0.0,
            "relativeError": (sec[g] - slow["measuredSec"]) / slow["measuredSec"],
            # keyed by the term without "Sec": relative errors, not times (they may be negative)
            "termErrors": {t[: -len("Sec")]: ((terms[g][t] - model_measured[t]) / model_measured[t] if model_measured[t] > 0 else None) for t in TERMS},
        })
        if "evaluateSec" in prediction:
            out["evaluateSec"] = prediction["evaluateSec"]
    return out


def worker(rank: int, world: int, scenario: ScenarioSpec, plans: List[PlanSpec], device_kind: str, iterations: int, warmup: int, seed: int, tmp: str, sequential: bool = False) -> Optional[list]:
    """One worker: under torchrun (env), forked/spawned by run_plans, or alone (world 1)."""
    if device_kind == "cpu" or "SCAREC_TORCH_THREADS" in os.environ:
        # on the CPU one thread per worker unless told: steady timings on a shared machine (on a GPU machine the
        # host gather uses torch's default, every core)
        torch.set_num_threads(int(os.environ.get("SCAREC_TORCH_THREADS", "1")))
    dist = None
    cpu_group = None
    if world > 1:
        import torch.distributed as dist  # type: ignore[no-redef]
        if not dist.is_initialized():
            backend = "nccl" if device_kind == "cuda" else "gloo"
            if "MASTER_ADDR" in os.environ:
                dist.init_process_group(backend)
            else:
                dist.init_process_group(backend, init_method="file://" + os.path.join(tmp, "init"), rank=rank, world_size=world)
        cpu_group = dist.new_group(backend="gloo") if device_kind == "cuda" else None
    if device_kind == "cuda":
        torch.cuda.set_device(rank % torch.cuda.device_count())
        device = torch.device("cuda", rank % torch.cuda.device_count())
    else:
        device = torch.device("cpu")
    comm = Comm(rank, world, dist, cpu_group)
    mine = measure_plans(scenario, plans, comm, device, iterations, warmup, seed, tmp, sequential)
    if world > 1:
        gathered = [None] * world
        dist.all_gather_object(gathered, mine)
        if rank == 0:
            torch.save(gathered, os.path.join(tmp, "results.pt"))
        dist.barrier()
        dist.destroy_process_group()
        return gathered
    return [mine]


def run_plans(scenario: ScenarioSpec, plans: List[PlanSpec], device_kind: str, iterations: int, warmup: int, seed: int,
              predictions: Optional[dict] = None, profile_constants: Optional[dict] = None, sequential: bool = False) -> List[dict]:
    """Measure every plan; returns one summary per plan (the caller prints; under torchrun only rank 0 gets them)."""
    env_world = int(os.environ.get("WORLD_SIZE", "0"))
    world = env_world or scenario.gpus
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
        if env_world:
            # torchrun: every worker of the machine maps the same host-memory files
            run_id = os.environ.get("TORCHELASTIC_RUN_ID", os.environ.get("MASTER_PORT", "0"))
            shared = os.environ.get("SCAREC_HOST_DIR", os.path.join(os.path.dirname(tmp), f"scarec-torch-{run_id}"))
            os.makedirs(shared, exist_ok=True)
            gathered = worker(int(os.environ["RANK"]), world, scenario, plans, device_kind, iterations, warmup, seed, shared, sequential)
            if int(os.environ["RANK"]) != 0:
                return []
        elif world == 1:
            gathered = worker(0, 1, scenario, plans, device_kind, iterations, warmup, seed, tmp, sequential)
        else:
            import torch.multiprocessing as mp
            method = "spawn" if device_kind == "cuda" else "fork"
            mp.start_processes(worker, args=(world, scenario, plans, device_kind, iterations, warmup, seed, tmp, sequential), nprocs=world, start_method=method)
            gathered = torch.load(os.path.join(tmp, "results.pt"))
    constants = None
    if predictions is not None:
        constants = constants_of(profile_constants if profile_constants is not None else predictions.get("constants", {}), predictions.get("scenarioConstants"))
    out = []
    from .stage import worker_batches
    for j, plan in enumerate(plans):
        entry = None
        if predictions is not None:
            entry = predictions["plans"][j]
        ranks = [gathered[r][j] for r in range(world)]
        out.append(summarise(plan, scenario, ranks, entry, constants, iterations, sum(worker_batches(scenario, plan, world))))
    return out
