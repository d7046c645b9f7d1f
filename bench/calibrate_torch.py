#!/usr/bin/env python3
"""Calibrate scarec's cost model with PyTorch on CUDA GPUs; writes the same device profile as `scarec calibrate`.

    python3 bench/calibrate_torch.py --out profile.json [--quick]
    python3 bench/calibrate_torch.py --device cpu --quick --out cpu-torch.json    # the same sweep on the CPU
    torchrun --nproc_per_node=8 bench/calibrate_torch.py --out profile.json   # adds NCCL all-to-all / all-reduce

Measures, like src/calibrate: gather (out = table[idx]) against row bytes, table size and skew; the cost per
lookup of a training step's pooling (embedding_bag forward and the backward scatter of its gradient, as
python/scarec_torch runs it; this is the device tier's gpuGather law, proofs/calibration-fit.md §9) and the
optimizer update (accumulating index_put_ of the touched rows), fitted per tier as latency + rows x seconds-per-row +
bytes / bandwidth (the receive buffer's law on an L2-resident table); dedup
(torch.unique with return_inverse) against lookups; host-to-device and device-to-host copy bandwidth
(pinned memory) and device-to-device copy bandwidth; with several ranks, all-to-all and all-reduce bus
bandwidth through torch.distributed (NCCL). Fits latency + bytes / bandwidth by least squares (relative
weighting, latency clamped at 0: proofs/calibration-fit.md). On the CPU (`--fit stage`, the default there) the device,
buffer and host tiers' laws and the host link are then refitted on scarec_torch's stage itself, run on synthetic
all-host and all-replicated plans, with the model's loads as columns (proofs/calibration-fit.md §10): the kernels
alone, warm, under-predicted the stage's phases 1.5-4x. Importing this file needs no torch; running needs it.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple


def fit_bandwidth(points: Sequence[Tuple[float, float]]) -> Dict[str, float]:
    """Weighted least squares of seconds = latency + bytes / bandwidth (weights 1/seconds); latency >= 0."""
    if len(points) < 2:
        raise ValueError("need at least two points")

    def solve(with_intercept: bool) -> Tuple[float, float]:
        # normal equations of the 1- or 2-parameter weighted problem (small, well scaled after weighting)
        s11 = s1x = sxx = s1y = sxy = 0.0
        for x, t in points:
            w = 1.0 / t
            a0, a1, y = w, w * x, w * t
            s11 += a0 * a0; s1x += a0 * a1; sxx += a1 * a1; s1y += a0 * y; sxy += a1 * y
        if not with_intercept:
            return 0.0, sxy / sxx
        det = s11 * sxx - s1x * s1x
        return (sxx * s1y - s1x * sxy) / det, (s11 * sxy - s1x * s1y) / det

    lat, slope = solve(True)
    if lat < 0:
        lat, slope = solve(False)
    if slope <= 0:
        raise ValueError("time does not grow with bytes")
    pred = [lat + x * slope for x, _ in points]
    ts = [t for _, t in points]
    mean = sum(ts) / len(ts)
    ss_res = sum((p - t) ** 2 for p, t in zip(pred, ts))
    ss_tot = sum((t - mean) ** 2 for t in ts)
    return {
        "latencySec": lat,
        "bytesPerSec": 1.0 / slope,
        "rSquared": 1 - ss_res / ss_tot if ss_tot > 0 else 1.0,
        "worstRelativeResidual": max(abs(p - t) / t for p, t in zip(pred, ts)),
        "points": len(points),
    }


def _weighted_lstsq(cols: Sequence[Sequence[float]], ts: Sequence[float]) -> Optional[List[float]]:
    """Least squares of t ~ sum_j c_j col_j with weights 1/t (relative), columns scaled to unit max; None if singular."""
    k = len(cols)
    scale = [max(abs(v) for v in col) or 1.0 for col in cols]
    a = [[cols[j][i] / scale[j] / ts[i] for j in range(k)] for i in range(len(ts))]
    y = [1.0 for _ in ts]  # t_i / t_i
    # normal equations (k <= 3, scaled and weighted: well conditioned enough), Gaussian elimination with pivoting
    m = [[sum(r[p] * r[q] for r in a) for q in range(k)] + [sum(r[p] * yy for r, yy in zip(a, y))] for p in range(k)]
    for c in range(k):
        piv = max(range(c, k), key=lambda r: abs(m[r][c]))
        if abs(m[piv][c]) < 1e-12 * max(1.0, abs(m[0][0])):
            return None
        m[c], m[piv] = m[piv], m[c]
        for r in range(k):
            if r != c:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * z for x, z in zip(m[r], m[c])]
    return [m[j][k] / m[j][j] / scale[j] for j in range(k)]


def fit_row_cost(points: Sequence[Tuple[float, float, float]]) -> Dict[str, float]:
    """Non-negative weighted least squares of seconds = c0 + c1 rows + c2 bytes over (rows, bytes, seconds),
    by trying every column subset with rows or bytes and keeping the feasible one of least residual
    (proofs/calibration-fit.md §6; the same fit as fitRowCost in src/calibrate/fit.ts)."""
    if len(points) < 3:
        raise ValueError("need at least three points")
    ts = [t for _, _, t in points]
    columns = [[1.0] * len(points), [r for r, _, _ in points], [b for _, b, _ in points]]
    best = None
    for mask in range(1, 8):
        if mask & 6 == 0:
            continue
        use = [j for j in range(3) if mask & (1 << j)]
        sol = _weighted_lstsq([columns[j] for j in use], ts)
        if sol is None or any(c < 0 for c in sol):
            continue
        coef = [0.0, 0.0, 0.0]
        for j, c in zip(use, sol):
            coef[j] = c
        pred = [coef[0] + coef[1] * r + coef[2] * b for r, b, _ in points]
        ssr = sum(((p - t) / t) ** 2 for p, t in zip(pred, ts))
        if best is None or ssr < best[0]:
            best = (ssr, coef, pred)
    if best is None:
        raise ValueError("no non-negative fit (time does not grow with rows or bytes)")
    _, (c0, c1, c2), pred = best
    mean = sum(ts) / len(ts)
    ss_res = sum((p - t) ** 2 for p, t in zip(pred, ts))
    ss_tot = sum((t - mean) ** 2 for t in ts)
    return {
        "latencySec": c0,
        "secondsPerRow": c1,
        # a bytes term of exactly 0 is an unreachable bandwidth (the profile takes finite numbers only)
        "bytesPerSec": 1.0 / c2 if c2 > 0 else 1e15,
        "rSquared": 1 - ss_res / ss_tot if ss_tot > 0 else 1.0,
        "worstRelativeResidual": max(abs(p - t) / t for p, t in zip(pred, ts)),
        "points": len(points),
    }


def fit_dedup(points: Sequence[Tuple[float, float, float]]) -> Dict[str, float]:
    """seconds = latency + lookups x secondsPerLookup + distinct x secondsPerDistinctRow over (lookups, distinct,
    seconds), non-negative (fit_row_cost with lookups as its rows column and distinct ids as its bytes column;
    proofs/cost-model.md §2)."""
    f = fit_row_cost(points)
    return {"latencySec": f["latencySec"], "secondsPerLookup": f["secondsPerRow"],
            "secondsPerDistinctRow": 0.0 if f["bytesPerSec"] >= 1e15 else 1.0 / f["bytesPerSec"],
            "rSquared": f["rSquared"], "worstRelativeResidual": f["worstRelativeResidual"], "points": f["points"]}


#: the phases of scarec_torch's stage that make up the model's local-gather term (python/scarec_torch/predict.py)
LOCAL_PHASES = ("deviceGather", "pooling", "backward", "update")


def fit_stage(runs: Sequence[dict]) -> Dict[str, Dict[str, float]]:
    """The stage's per-tier laws fitted on the stage's own phase times (proofs/calibration-fit.md §10).

    Each run is one plan of one worker with every table at one placement, all tables of one row size:
    {"at": "host" | "replicated", "rowBytes": r, "indexBytes": 8, "phases": {phase: median seconds},
     "counts": {"lookups": K, "distinct": U, "hostRows": H}} (per iteration, summed over the tables). The columns
    are the loads the model charges (cost-model.md §1, §3, §6, one worker, coalescing, SGD: state = row):
      all-host:       localGather = K (bufferGatherSecondsPerRow) + K r / bufferGatherBytesPerSec  (pooled reads of
                      the receive area); hostGather = 2 H (hostGatherSecondsPerRow) + 3 H r / hostGatherBytesPerSec
                      (gather + update); hostLink = 2 latency + H (2 r + indexBytes) / hostToGpuBytesPerSec;
      all-replicated: localGather = (K + U) gpuGatherSecondsPerRow + (K r + 2 U r) / gpuGatherBytesPerSec
                      (pooled reads of the table + update of the distinct rows)."""
    gpu, buf, host, link = [], [], [], []
    for run in runs:
        r, ph, c = float(run["rowBytes"]), run["phases"], run["counts"]
        local = sum(ph[p] for p in LOCAL_PHASES)
        if run["at"] == "host":
            h = float(c["hostRows"])
            buf.append((c["lookups"], c["lookups"] * r, local))
            host.append((2 * h, 3 * h * r, ph["hostGather"]))
            link.append((h * (2 * r + float(run.get("indexBytes", 8))), ph["hostLink"]))
        elif run["at"] == "replicated":
            k, u = float(c["lookups"]), float(c["distinct"])
            gpu.append((k + u, k * r + 2 * u * r, local))
        else:
            raise ValueError(f"stage run at {run['at']!r}: only host and replicated runs are fitted")
    fits = {"gpuGather": fit_row_cost(gpu), "bufferGather": fit_row_cost(buf), "hostGather": fit_row_cost(host)}
    lk = fit_bandwidth(link)
    # the model pays latencySec twice per iteration on the host link (one per direction, cost-model.md §6)
    fits["hostToDevice"] = {**lk, "latencySec": lk["latencySec"] / 2, "source": "stage hostLink phase"}
    for k in ("gpuGather", "bufferGather", "hostGather"):
        fits[k]["source"] = "stage phases"
    return fits


def make_profile(device: str, fits: Dict[str, Dict[str, float]], measurements: List[dict], extra: Optional[dict] = None) -> dict:
    """The device profile (deviceProfileSchema in src/model/schema.ts) from the fitted families."""
    c: Dict[str, float] = {
        "gpuGatherBytesPerSec": fits["gpuGather"]["bytesPerSec"],
        "hostToGpuBytesPerSec": fits["hostToDevice"]["bytesPerSec"],
        "latencySec": max(0.0, fits["hostToDevice"]["latencySec"]),
        "dedupSecondsPerLookup": fits["dedup"]["secondsPerLookup"],
        # the dedup fit's intercept: a fixed cost per call (one per table and iteration)
        "dedupLatencySec": max(0.0, fits["dedup"]["latencySec"]),
        # per distinct id: unique's output and the routing (proofs/cost-model.md §2)
        "dedupSecondsPerDistinctRow": fits["dedup"]["secondsPerDistinctRow"],
    }
    if "secondsPerRow" in fits["gpuGather"]:
        c["gpuGatherSecondsPerRow"] = fits["gpuGather"]["secondsPerRow"]
    if "bufferGather" in fits:
        c["gpuBufferGatherBytesPerSec"] = fits["bufferGather"]["bytesPerSec"]
        c["gpuBufferGatherSecondsPerRow"] = fits["bufferGather"]["secondsPerRow"]
    if "hostGather" in fits:
        c["hostGatherBytesPerSec"] = fits["hostGather"]["bytesPerSec"]
        if "secondsPerRow" in fits["hostGather"]:
            c["hostGatherSecondsPerRow"] = fits["hostGather"]["secondsPerRow"]
    if "deviceToHost" in fits:
        c["gpuToHostBytesPerSec"] = fits["deviceToHost"]["bytesPerSec"]
    if "deviceToDevice" in fits:
        c["deviceCopyBytesPerSec"] = fits["deviceToDevice"]["bytesPerSec"]
    if "allToAll" in fits:
        c["gpuToGpuBytesPerSec"] = fits["allToAll"]["bytesPerSec"]
    if "allReduce" in fits:
        c["allReduceBusBytesPerSec"] = fits["allReduce"]["bytesPerSec"]
    for k, v in c.items():
        if not math.isfinite(v):
            raise ValueError(f"non-finite constant {k}")
    copy = c.get("deviceCopyBytesPerSec")
    profile = {
        "kind": "scarec-device-profile",
        "version": 1,
        "backend": "torch-cuda",
        "device": device,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "constants": c,
        # the fitted law's throughput at 1024-byte rows (per-row cost included) over the copy bandwidth
        "gatherEfficiency": 1024 / (c.get("gpuGatherSecondsPerRow", 0.0) + 1024 / c["gpuGatherBytesPerSec"]) / copy if copy else 0.0,
        "fits": fits,
        "measurements": measurements,
    }
    profile.update(extra or {})
    return profile


def stage_sweep(dev, args: argparse.Namespace, timed_iterations: int, warmup: int = 2) -> List[dict]:  # pragma: no cover - needs torch
    """Phase medians and counts of scarec_torch's stage on the calibration's synthetic plans (fit_stage's runs)."""
    import statistics

    from scarec_torch.formats import PlanSpec, Range, ScenarioSpec, TableSpec
    from scarec_torch.stage import Comm, PlanStage

    table_bytes = int(args.stage_table_mb * (1 << 20))
    batches = [1 << 10, 1 << 12, 1 << 14, 1 << 15]  # pooling 2: 2^11 to 2^16 lookups per table
    runs: List[dict] = []
    for row_bytes in (64, 256, 1024):
        dim, rows = row_bytes // 4, table_bytes // row_bytes
        tables = [TableSpec(name=f"{kind}{row_bytes}", rows=rows, dim=dim, bytes_per_element=4, pooling=2, optimizer_bytes_per_row=0,
                            kind=kind, alpha=1.05 if kind == "zipf" else 0.0) for kind in ("zipf", "uniform")]
        for batch in batches:
            sc = ScenarioSpec(name=f"calibrate-stage-{row_bytes}", file="", tables=tables, gpus=1, batch_shares=[1.0], global_batch=batch, index_bytes=8)
            plans = [PlanSpec(name=at, coalesce=True, tables={t.name: [Range(0, rows, at, 0 if at == "gpu" else -1)] for t in tables}, batch=batch)
                     for at in ("host", "replicated")]
            stages = [PlanStage(sc, p, Comm(), dev, None, init="fast") for p in plans]
            per: List[List[dict]] = [[] for _ in plans]
            counts = [{"lookups": 0.0, "distinct": 0.0, "hostRows": 0.0} for _ in plans]
            for it in range(warmup + timed_iterations):
                for j, st in enumerate(stages):
                    times, stats, _ = st.iteration(11, it)
                    if it >= warmup:
                        per[j].append(times)
                        for k in counts[j]:
                            counts[j][k] += stats[k] / timed_iterations
            for j, p in enumerate(plans):
                phases = {ph: statistics.median(t[ph] for t in per[j]) for ph in per[j][0]}
                runs.append({"at": p.name, "rowBytes": row_bytes, "indexBytes": 8, "batch": batch, "tableBytes": rows * row_bytes,
                             "phases": phases, "counts": counts[j]})
            del stages
    return runs


def run(args: argparse.Namespace) -> dict:  # pragma: no cover - needs torch (the cpu path runs in the tests)
    import time

    import torch
    import torch.nn.functional as F

    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: torch.cuda.is_available() is False")
    if not cuda:
        torch.set_num_threads(int(os.environ.get("SCAREC_TORCH_THREADS", "1")))  # as scarec_torch's workers
    dist = None
    rank, world = 0, 1
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        import torch.distributed as dist  # type: ignore[no-redef]
        dist.init_process_group("nccl" if cuda else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
    if cuda:
        torch.cuda.set_device(rank % torch.cuda.device_count())
    dev = torch.device("cuda" if cuda else "cpu")
    g = torch.Generator(device="cpu").manual_seed(1)

    def timed(fn: Callable[[], None], repeats: int) -> float:
        """Median seconds of fn: CUDA events on the device's stream, perf_counter on the CPU."""
        fn()
        if cuda:
            torch.cuda.synchronize()
        times = []
        for _ in range(repeats):
            if cuda:
                s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                s.record(); fn(); e.record(); torch.cuda.synchronize()
                times.append(s.elapsed_time(e) / 1e3)
            else:
                t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
        times.sort()
        return times[len(times) // 2]

    def timed_each(fns: Sequence[Callable[[], None]], repeats: int) -> float:
        """timed() with repetition i running fns[(i + 1) % len(fns)] (fns[0] is the warm-up): each window of
        ids its own, so the timed rows are cold as in the stage (one index list repeated would time rows the
        previous repetition left in the cache)."""
        it = iter(range(1 << 30))
        return timed(lambda: fns[(next(it)) % len(fns)](), repeats)

    repeats = 5 if args.quick else 20
    windows = repeats + 1  # fresh ids for the warm-up and every timed repetition
    ms: List[dict] = []
    fits: Dict[str, Dict[str, float]] = {}
    # the device table: several times the last-level cache (L2 50-60 MB on H100/H200; an EPYC's L3 32 MB)
    big = int(args.table_mb * (1 << 20)) if args.table_mb else ((4 << 30 if not args.quick else 1 << 30) if cuda else 256 << 20)
    lookups = ([1 << 12, 1 << 15, 1 << 18] + ([] if args.quick else [1 << 20, 1 << 22])) if cuda else [1 << 11, 1 << 13, 1 << 15, 1 << 17]
    gpu_pts, host_pts, buffer_pts, fwd_pts = [], [], [], []
    small = 8 << 20  # a receive buffer's size: L2-resident (proofs/cost-model.md §1)

    def pool_step(table, idx, offsets, gout):
        """What one lookup costs in a training step of scarec_torch's stage: the pooled read of its row
        (embedding_bag, sum) and the backward scatter of its gradient to the distinct rows (an accumulating
        index_put_ over the inverse, scarec_torch.stage.scatter_add_rows), proofs/calibration-fit.md §9."""
        def f():
            F.embedding_bag(idx, table, offsets, mode="sum")
            torch.zeros(idx.numel() // 2 + 1, table.shape[1], device=table.device).index_put_((idx.remainder(idx.numel() // 2 + 1),), gout, accumulate=True)
        return f

    def bags(k):
        b = max(1, k // 4)
        return torch.div(torch.arange(b) * k, b, rounding_mode="floor").to(dev), torch.full((k, 1), 1e-3, device=dev)

    for row_bytes in (64, 256, 1024):
        dim = row_bytes // 4
        small_rows = small // row_bytes
        small_table = torch.randn(small_rows, dim, device=dev)
        for k in lookups:
            sidx = torch.randint(0, small_rows, (k,), generator=g).to(dev)
            offs, gl = bags(k)
            t = timed(pool_step(small_table, sidx, offs, gl.expand(k, dim).contiguous()), repeats)
            ms.append({"family": "pool", "rowBytes": row_bytes, "tableBytes": small_rows * row_bytes, "skew": "uniform", "lookups": k, "bytes": k * row_bytes, "seconds": t, "correct": True})
            buffer_pts.append((k, k * row_bytes, t))
        del small_table
        rows = big // row_bytes
        table = torch.randn(rows, dim, device=dev)
        for skew in ("uniform", "zipf1.05"):
            if skew == "uniform":
                stream = torch.randint(0, rows, (max(lookups) * windows,), generator=g)
            else:
                # inverse-CDF Zipf over ranks, scattered by a permutation (as src/calibrate/rng.ts)
                w = torch.arange(1, rows + 1, dtype=torch.float64).pow_(-1.05)
                cdf = torch.cumsum(w, 0); cdf /= cdf[-1].clone()
                ranks = torch.searchsorted(cdf, torch.rand(max(lookups) * windows, generator=g, dtype=torch.float64)).clamp_(max=rows - 1)
                stream = torch.randperm(rows, generator=g)[ranks]
            stream = stream.to(dev)
            for k in lookups:
                wins = [stream[i * k:(i + 1) * k] for i in range(windows)]
                idx = wins[0]
                out = table.index_select(0, idx)
                assert torch.equal(out[:16], table[idx[:16]])  # correctness of the measured kernel
                t = timed_each([lambda w=w: table.index_select(0, w) for w in wins], repeats)
                ms.append({"family": "gather", "rowBytes": row_bytes, "tableBytes": rows * row_bytes, "skew": skew, "lookups": k, "bytes": k * row_bytes, "seconds": t, "correct": True})
                if skew != "uniform":
                    fwd_pts.append((k, k * row_bytes, t))
                    offs, gl = bags(k)
                    gk = gl.expand(k, dim).contiguous()
                    tp = timed_each([pool_step(table, w, offs, gk) for w in wins], repeats)
                    ms.append({"family": "pool", "rowBytes": row_bytes, "tableBytes": rows * row_bytes, "skew": skew, "lookups": k, "bytes": k * row_bytes, "seconds": tp, "correct": True})
                    gpu_pts.append((k, k * row_bytes, tp))
                    # the optimizer update of the touched rows: one read-modify-write of 2 r bytes per row
                    uwins = [torch.unique(w) for w in wins]
                    uidx = uwins[0]
                    grad = torch.full((max(u.numel() for u in uwins), dim), 1e-3, device=dev)
                    tu = timed_each([lambda u=u: table.index_put_((u,), grad[: u.numel()] * -0.01, accumulate=True) for u in uwins], repeats)
                    ms.append({"family": "update", "rowBytes": row_bytes, "tableBytes": rows * row_bytes, "skew": skew, "lookups": int(uidx.numel()), "bytes": 2 * int(uidx.numel()) * row_bytes, "seconds": tu, "correct": True})
                    gpu_pts.append((int(uidx.numel()), 2 * int(uidx.numel()) * row_bytes, tu))
        del table
        host_rows = min(rows, (1 << 30) // row_bytes) if cuda else rows
        host_table = torch.randn(host_rows, dim)
        hidx = torch.randint(0, host_table.shape[0], (max(lookups) * windows,), generator=g)
        for k in lookups:
            # the host tier as the stage uses it: the gather of the missed rows, then their update (distinct rows)
            hks = [torch.unique(hidx[i * k:(i + 1) * k]) for i in range(windows)]
            hk = hks[0]
            t = timed_each([lambda h=h: host_table.index_select(0, h) for h in hks], repeats)
            host_pts.append((hk.numel(), hk.numel() * row_bytes, t))
            hg = torch.full((max(h.numel() for h in hks), dim), 1e-3)
            tu = timed_each([lambda h=h: host_table.index_put_((h,), hg[: h.numel()] * -0.01, accumulate=True) for h in hks], repeats)
            host_pts.append((hk.numel(), 2 * hk.numel() * row_bytes, tu))
            ms.append({"family": "hostGather", "rowBytes": row_bytes, "lookups": int(hk.numel()), "seconds": t, "updateSeconds": tu, "correct": True})
        del host_table
    fits["gpuGather"] = fit_row_cost(gpu_pts)
    fits["gatherForward"] = fit_row_cost(fwd_pts)
    fits["hostGather"] = fit_row_cost(host_pts)
    fits["bufferGather"] = fit_row_cost(buffer_pts)

    # dedup as the stage runs it with coalescing: torch.unique(return_inverse) of a table's K ids, then the routing
    # of the distinct ids by the plan's ranges (scarec_torch.stage.route, the same function). Its cost has a part
    # per lookup and a part per distinct id (proofs/cost-model.md §2): id streams from skewed (few distinct) to
    # uniform (almost all distinct) separate the two; fresh ids every repetition (a repeated list trains caches and
    # branch predictors the stage never sees).
    from scarec_torch.stage import REP, SHARD, HOST, route  # noqa: E402 (python/ is on sys.path: main())
    dd: List[Tuple[float, float, float]] = []
    id_rows = 1 << 20
    # three ranges as a cache plan has them: replicated head, a shard of another worker, host tail
    rfrom = torch.tensor([0, id_rows // 16, id_rows // 8], dtype=torch.int64, device=dev)
    rcls = torch.tensor([REP, SHARD, HOST], dtype=torch.int64, device=dev)
    rowner = torch.tensor([-1, 1, -1], dtype=torch.int64, device=dev)
    rslot0 = torch.tensor([0, 0, id_rows // 16], dtype=torch.int64, device=dev)
    for skew in ("zipf1.2", "zipf0.9", "uniform"):
        if skew == "uniform":
            stream = torch.randint(0, id_rows, (max(lookups) * windows,), generator=g)
        else:
            zw = torch.arange(1, id_rows + 1, dtype=torch.float64).pow_(-float(skew[4:]))
            zcdf = torch.cumsum(zw, 0); zcdf /= zcdf[-1].clone()
            stream = torch.searchsorted(zcdf, torch.rand(max(lookups) * windows, generator=g, dtype=torch.float64)).clamp_(max=id_rows - 1)
        stream = stream.to(dev)
        for k in lookups:
            wins = [stream[i * k:(i + 1) * k] for i in range(windows)]

            def dedup_route(w):
                uniq, inv = torch.unique(w, return_inverse=True)
                route(rfrom, rcls, rowner, rslot0, id_rows // 16, id_rows, 0, uniq, inv)
            t = timed_each([lambda w=w: dedup_route(w) for w in wins], repeats)
            distinct = sum(int(torch.unique(w).numel()) for w in wins) / len(wins)
            dd.append((k, distinct, t))
            ms.append({"family": "dedup", "skew": skew, "lookups": k, "distinct": distinct, "seconds": t, "correct": True})
    fits["dedup"] = fit_dedup(dd)

    sizes = ([1 << 20, 1 << 24, 1 << 27] + ([] if args.quick else [1 << 29])) if cuda else [1 << 16, 1 << 20, 1 << 23]
    h2d, d2h, d2d = [], [], []
    for n in sizes:
        h = torch.empty(n, dtype=torch.uint8, pin_memory=cuda)
        d = torch.empty(n, dtype=torch.uint8, device=dev)
        d2 = torch.empty_like(d)
        h2d.append((n, timed(lambda: d.copy_(h, non_blocking=True), repeats)))
        d2h.append((n, timed(lambda: h.copy_(d, non_blocking=True), repeats)))
        d2d.append((n, timed(lambda: d2.copy_(d), repeats)))
        for dirn, pts in (("hostToDevice", h2d), ("deviceToHost", d2h), ("deviceToDevice", d2d)):
            ms.append({"family": "copy", "direction": dirn, "bytes": n, "seconds": pts[-1][1], "correct": True})
    fits["hostToDevice"] = fit_bandwidth(h2d)
    fits["deviceToHost"] = fit_bandwidth(d2h)
    fits["deviceToDevice"] = fit_bandwidth(d2d)

    if args.fit == "stage" and world == 1:
        # The tiers' laws from the stage itself (proofs/calibration-fit.md §10): the kernels above time each
        # operator alone and warm; the stage runs more operators per row (the gradient's gather to the lookups,
        # the zeroed gradient rows, the selection of each tier's rows and gradients) and each one finds its
        # inputs and outputs where the previous phases and tables left them. Synthetic scenarios, not the one
        # validated: two tables (Zipf(1.05) and uniform) of one row size, all-host and all-replicated plans run
        # interleaved as `validate` runs plans, at several batches.
        # (the kernels' fits stay in the profile, under "kernel.")
        runs = stage_sweep(dev, args, timed_iterations=repeats)
        ms.extend({"family": "stage", **r} for r in runs)
        for k, f in fit_stage(runs).items():
            fits["kernel." + k] = fits[k]
            fits[k] = f

    if dist is not None and world > 1:
        a2a, ar = [], []
        for n in sizes:
            x = torch.empty(n // 4, dtype=torch.float32, device=dev)
            y = torch.empty_like(x)
            t = timed(lambda: dist.all_to_all_single(y, x), repeats)
            a2a.append((n * (world - 1) / world, t))  # bytes each GPU sends to the others
            t = timed(lambda: dist.all_reduce(x), repeats)
            ar.append((2 * n * (world - 1) / world, t))  # ring bus bytes per GPU
        fits["allToAll"] = fit_bandwidth(a2a)
        fits["allReduce"] = fit_bandwidth(ar)
    if cuda:
        name = torch.cuda.get_device_name()
    else:
        name = f"cpu ({os.cpu_count()} cores, torch {torch.__version__})"
    prof = make_profile(f"{name} x{world}" if world > 1 else name, fits, ms, {"quick": bool(args.quick), "ranks": world})
    prof["backend"] = "torch-cuda" if cuda else "torch-cpu"
    fw = fits["gatherForward"]
    copy = prof["constants"].get("deviceCopyBytesPerSec")
    # the plain forward gather (index_select) at 1024-byte rows over the copy bandwidth
    prof["forwardGatherEfficiency"] = 1024 / (fw["secondsPerRow"] + 1024 / fw["bytesPerSec"]) / copy if copy else 0.0
    return prof


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="profile.json")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"], help="cpu: the same sweep with perf_counter (tests, CPU validation)")
    p.add_argument("--table-mb", type=float, help="size of the device-tier table (default: 1 GiB quick / 4 GiB on CUDA, 256 MiB on cpu)")
    p.add_argument("--fit", choices=["stage", "kernels"], help="fit the tiers' laws on the stage's own phases (default on cpu, "
                   "proofs/calibration-fit.md §10) or on the operators timed alone (default on cuda)")
    p.add_argument("--stage-table-mb", type=float, default=128, help="size of each table of the stage sweep (default 128 MiB)")
    args = p.parse_args(argv)
    if args.fit is None:
        args.fit = "stage" if args.device == "cpu" else "kernels"
    # scarec_torch (the stage's own routing, timed with the dedup) lives in python/ beside bench/
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    try:
        import torch
    except ImportError:
        print("error: PyTorch is not installed (Debian: apt install python3-torch)", file=sys.stderr)
        return 4
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA device (torch.cuda.is_available() is False); --device cpu runs the sweep on the CPU", file=sys.stderr)
        return 4
    profile = run(args)
    if int(os.environ.get("RANK", "0")) == 0:
        with open(args.out, "w") as f:
            json.dump(profile, f, indent=2)
        print(f"profile written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
