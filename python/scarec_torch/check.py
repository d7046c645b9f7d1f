"""Run plans for k steps on 1..W workers (gloo on CPU) and compare with the single-device reference.

    python3 -m scarec_torch check SCENARIO --plan P [--plan P2 ...] --steps 3 [--ranks W]

Prints one JSON object: per plan, the largest absolute difference of the pooled outputs and of the tables
(after k steps) against the reference, and the size of the values (so a relative tolerance can be stated).
"""
from __future__ import annotations

import os
import tempfile
from typing import List

import torch

from .formats import PlanSpec, ScenarioSpec
from .reference import reference_run
from .stage import Comm, PlanStage


def worker_run(rank: int, world: int, scenario: ScenarioSpec, plans: List[PlanSpec], steps: int, seed: int, tmp: str, init: str) -> None:
    torch.set_num_threads(1)
    dist = None
    if world > 1:
        import torch.distributed as dist  # type: ignore[no-redef]
        dist.init_process_group("gloo", init_method="file://" + init, rank=rank, world_size=world)
    comm = Comm(rank, world, dist, None)
    for j, plan in enumerate(plans):
        host_dir = os.path.join(tmp, f"host{j}")
        os.makedirs(host_dir, exist_ok=True)
        st = PlanStage(scenario, plan, comm, torch.device("cpu"), host_dir)
        outs = []
        for step in range(steps):
            _, _, o = st.iteration(seed, step, keep=True)
            outs.append(o)
        if dist is not None:
            dist.barrier()
        torch.save({"outs": outs, "tables": [ts.table_rows() for ts in st.tables], "batches": st.batches}, os.path.join(tmp, f"p{j}r{rank}.pt"))
    if dist is not None:
        dist.barrier()
        dist.destroy_process_group()


def check(scenario: ScenarioSpec, plans: List[PlanSpec], world: int, steps: int, seed: int = 1) -> List[dict]:
    with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as tmp:
        if world == 1:
            worker_run(0, 1, scenario, plans, steps, seed, tmp, "")
        else:
            import torch.multiprocessing as mp
            # fork: CPU workers need no fresh interpreter (no second import of torch: seconds on a loaded machine)
            mp.start_processes(worker_run, args=(world, scenario, plans, steps, seed, tmp, os.path.join(tmp, "init")), nprocs=world, start_method="fork")
        report = []
        for j, plan in enumerate(plans):
            ref = reference_run(scenario, plan, world, steps, seed)
            parts = [torch.load(os.path.join(tmp, f"p{j}r{r}.pt")) for r in range(world)]
            out_err = table_err = scale = 0.0
            covered = True
            for t, (ref_outs, ref_table) in enumerate(ref):
                for step in range(steps):
                    got = torch.cat([p["outs"][step][t] for p in parts])
                    out_err = max(out_err, float((got - ref_outs[step]).abs().max()))
                    scale = max(scale, float(ref_outs[step].abs().max()))
                seen = torch.zeros(ref_table.shape[0], dtype=torch.bool)
                for p in parts:
                    ids, rows = p["tables"][t]
                    table_err = max(table_err, float((rows - ref_table[ids]).abs().max()) if ids.numel() else 0.0)
                    seen[ids] = True
                covered = covered and bool(seen.all())
            report.append({"plan": plan.name, "ranks": world, "steps": steps, "coalesce": plan.coalesce,
                           "pooledMaxAbsError": out_err, "pooledMaxAbs": scale, "tableMaxAbsError": table_err, "everyRowHeld": covered})
        return report
