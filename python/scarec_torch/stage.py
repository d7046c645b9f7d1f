"""The embedding stage of one plan, per worker (one process per GPU, or one process on one device).

Per table, the plan's ranges (in rank order) name where each row lives:
  replicated  rows in every worker's device memory (gradients all-reduced, every worker applies the update);
  gpu g       rows in GPU g's device memory (other workers fetch them by all-to-all, send gradients back);
  host        rows in host memory (pinned on CUDA; one shared-memory file for all workers of a machine when
              there are several), gathered on the CPU, copied to the device, updated in host memory.
Device memory of a table on worker w is one tensor: [replicated rows | w's shard | receive area], so the pooling
reads every lookup's row from one place, from the receive area for rows that came from the host or a peer
(the model's receive buffer, proofs/cost-model.md §1).

One iteration of one table, phase by phase as scarec's cost model charges it (proofs/cost-model.md §1-§7):
  dedup        torch.unique(return_inverse) of the K lookups (when the plan coalesces)
  bookkeeping  rank of each id, its range (searchsorted over range starts), class, slot (route(); with
               coalescing charged with the dedup per distinct id, proofs/cost-model.md §2; without, not modelled)
  hostGather   host rows gathered on the CPU into a staging buffer; after backward, the host update
  hostLink     ids up, staged rows down into the receive area, gradients of host rows up
  allToAll     counts, requested slots, rows (forward) and gradients (backward) by all_to_all_single
  deviceGather the owner's gather of the rows its peers asked for
  pooling      embedding_bag(sum) of every lookup's row, per sample (bags of the pooling factor's lookups)
  backward     the pooled gradient scattered to the distinct rows (accumulating index_put_ over the inverse)
  allReduce    gradients of the replicated rows the global batch touched (union of the workers' rows)
  update       the optimizer (SGD, row-wise or element-wise Adagrad) on the touched device rows
"""
from __future__ import annotations

import os
import time
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

from .formats import PlanSpec, ScenarioSpec, TableSpec, split_batch
from .samplers import sampler_for

REP, SHARD, HOST = 0, 1, 2
PHASES = ["dedup", "bookkeeping", "hostGather", "hostLink", "allToAll", "deviceGather", "pooling", "backward", "allReduce", "update"]
EPS = 1e-10  # torch.optim.Adagrad's default eps; row-wise Adagrad uses the same


def init_rows(ids: torch.Tensor, dim: int, out: torch.Tensor) -> None:
    """The initial value of row `id`, element j: ((id dim + j) mod 1021) / 1021 - 0.5, in chunks (no n x dim int64)."""
    step = max(1, (1 << 22) // dim)
    j = torch.arange(dim, device=out.device, dtype=torch.int64)
    for a in range(0, ids.numel(), step):
        v = (ids[a:a + step].to(out.device, torch.int64)[:, None] * dim + j[None, :]) % 1021
        out[a:a + step] = v.to(torch.float32) / 1021 - 0.5


def scatter_add_rows(dst: torch.Tensor, idx: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
    """dst[idx[i]] += src[i] (idx may repeat). index_put_(accumulate=True), not index_add_: on the CPU builds of
    torch measured here index_add_ took 10 ms where this takes 0.3-2 ms (16k rows of 128 B); calibrate_torch.py
    times the same kernel."""
    return dst.index_put_((idx,), src, accumulate=True)


def apply_update(weight: torch.Tensor, state: Optional[torch.Tensor], idx: torch.Tensor, grad: torch.Tensor, optimizer: str, lr: float) -> None:
    """weight[idx] -= the optimizer's step for the summed gradient of each row (idx may repeat)."""
    if idx.numel() == 0:
        return
    if optimizer == "sgd":
        scatter_add_rows(weight, idx, grad * -lr)
        return
    u, inv = torch.unique(idx, return_inverse=True)
    if u.numel() != idx.numel():
        grad = scatter_add_rows(torch.zeros(u.numel(), grad.shape[1], dtype=grad.dtype, device=grad.device), inv, grad)
    else:
        u = idx  # distinct already: keep the gradients' order
    assert state is not None
    if optimizer == "rowwise_adagrad":
        s = state[u] + (grad * grad).mean(1)
        state[u] = s
        weight[u] = weight[u].addcdiv_(grad, (s.sqrt() + EPS)[:, None], value=-lr)
    else:
        s = state[u] + grad * grad
        state[u] = s
        weight[u] = weight[u].addcdiv_(grad, s.sqrt() + EPS, value=-lr)


def route(rfrom: torch.Tensor, rcls: torch.Tensor, rowner: torch.Tensor, rslot0: torch.Tensor, nrep: int, base: int, me: int,
          rank: torch.Tensor, inv: Optional[torch.Tensor]):
    """The bookkeeping of one table's distinct ids (their ranks): range (searchsorted over range starts), class,
    owner, slot; host and peer positions (peers grouped by owner); each lookup's row in device memory, host and peer
    rows in the receive area after `base`. Per distinct id: the model charges it with the dedup
    (dedupSecondsPerDistinctRow, proofs/cost-model.md §2), and bench/calibrate_torch.py times this function."""
    k = torch.searchsorted(rfrom, rank, right=True) - 1
    c, o = rcls[k], rowner[k]
    s = rslot0[k] + (rank - rfrom[k])
    where = torch.where(c == REP, s, nrep + s)
    hpos = torch.nonzero(c == HOST).flatten()
    ppos = torch.nonzero((c == SHARD) & (o != me)).flatten()
    if ppos.numel() > 0:
        ppos = ppos[torch.sort(o[ppos], stable=True).indices]
    nh, np_ = hpos.numel(), ppos.numel()
    where[hpos] = base + torch.arange(nh, device=where.device)
    where[ppos] = base + nh + torch.arange(np_, device=where.device)
    pool_idx = where if inv is None else where[inv]
    return c, o, s, hpos, ppos, pool_idx


class Timer:
    """Phase times of one iteration: CUDA events on a CUDA device (summed after one synchronize), perf_counter on CPU."""

    def __init__(self, device: torch.device):
        self.cuda = device.type == "cuda"
        self.acc: Dict[str, float] = {p: 0.0 for p in PHASES}
        self.marks: List = []

    def start(self) -> None:
        self.marks = []
        self.acc = {p: 0.0 for p in PHASES}
        self._last = self._now()

    def _now(self):
        if self.cuda:
            e = torch.cuda.Event(enable_timing=True)
            e.record()
            return e
        return time.perf_counter()

    def lap(self, phase: str) -> None:
        t = self._now()
        self.marks.append((phase, self._last, t))
        self._last = t

    def finish(self) -> Dict[str, float]:
        if self.cuda:
            torch.cuda.synchronize()
            for p, a, b in self.marks:
                self.acc[p] += a.elapsed_time(b) / 1e3
        else:
            for p, a, b in self.marks:
                self.acc[p] += b - a
        return self.acc


class Comm:
    """The worker's place among the workers: rank, world, and the collectives (None with one worker)."""

    def __init__(self, rank: int = 0, world: int = 1, dist=None, cpu_group=None):
        self.rank, self.world, self.dist, self.cpu_group = rank, world, dist, cpu_group

    def all_gather_var(self, x: torch.Tensor, group=None) -> torch.Tensor:
        """Concatenation over the workers of tensors of varying length (padded to the longest)."""
        d = self.dist
        n = torch.tensor([x.shape[0]], dtype=torch.int64, device=x.device)
        ns = [torch.empty_like(n) for _ in range(self.world)]
        d.all_gather(ns, n, group=group)
        sizes = [int(v) for v in ns]
        m = max(sizes)
        pad = torch.zeros((m,) + tuple(x.shape[1:]), dtype=x.dtype, device=x.device)
        pad[: x.shape[0]] = x
        outs = [torch.empty_like(pad) for _ in range(self.world)]
        d.all_gather(outs, pad, group=group)
        return torch.cat([o[:s] for o, s in zip(outs, sizes)])


class TableStage:
    def __init__(self, spec: TableSpec, plan: PlanSpec, comm: Comm, device: torch.device, batch: int, host_dir: Optional[str], lr: float, tag: str, init: str = "pattern"):
        self.spec, self.comm, self.device, self.lr = spec, comm, device, lr
        self.init = init
        self.dim, self.optimizer = spec.dim, spec.optimizer
        self.coalesce = plan.coalesce
        self.batch = batch
        self.lookups = max(1, round(batch * spec.pooling))
        self.sampler, self.rmap = sampler_for(spec)
        rank, world = comm.rank, comm.world
        ranges = plan.tables[spec.name]
        n = {REP: 0, HOST: 0}
        shard_rows = [0] * world
        frm, cls, owner, slot0 = [], [], [], []
        rep_ranks, own_ranks, host_ranks = [], [], []
        for r in ranges:
            c = {"replicated": REP, "gpu": SHARD, "host": HOST}[r.at]
            frm.append(r.start); cls.append(c); owner.append(r.gpu if c == SHARD else -1)
            if c == SHARD:
                slot0.append(shard_rows[r.gpu]); shard_rows[r.gpu] += r.stop - r.start
                if r.gpu == rank:
                    own_ranks.append(torch.arange(r.start, r.stop))
            else:
                slot0.append(n[c]); n[c] += r.stop - r.start
                (rep_ranks if c == REP else host_ranks).append(torch.arange(r.start, r.stop))
        cat = lambda xs: torch.cat(xs) if xs else torch.empty(0, dtype=torch.int64)  # noqa: E731
        self.rep_ranks, self.own_ranks, self.host_ranks = cat(rep_ranks), cat(own_ranks), cat(host_ranks)
        self.nrep, self.nown, self.nhost = n[REP], shard_rows[rank], n[HOST]
        self.any_shard = any(c == SHARD for c in cls) and world > 1
        self.any_rep = n[REP] > 0
        self.any_host = n[HOST] > 0
        t = lambda xs: torch.tensor(xs, dtype=torch.int64, device=device)  # noqa: E731
        self.rfrom, self.rcls, self.rowner, self.rslot0 = t(frm), t(cls), t(owner), t(slot0)
        # device memory: replicated rows, own shard, receive area (the batch's host and peer rows)
        self.base = self.nrep + self.nown
        self.dev = torch.empty(self.base + self.lookups, self.dim, dtype=torch.float32, device=device)
        self._init(self.rep_ranks, self.dev[: self.nrep])
        self._init(self.own_ranks, self.dev[self.nrep: self.base])
        self.dev[self.base:] = 0
        self.dev_state = self._state(self.base, device)
        # host memory: pinned on CUDA; with several workers one shared file that rank 0 fills
        self.host, self.host_state = self._host_memory(host_dir, tag)
        pin = device.type == "cuda"
        self.staging = torch.empty(self.lookups, self.dim, dtype=torch.float32, pin_memory=pin)
        self.grad_staging = torch.empty(self.lookups, self.dim, dtype=torch.float32, pin_memory=pin)
        b = batch
        self.offsets = torch.div(torch.arange(b, dtype=torch.int64) * self.lookups, b, rounding_mode="floor").to(device)
        self.bag_of = (torch.searchsorted(self.offsets, torch.arange(self.lookups, device=device), right=True) - 1)

    def _init(self, ranks: torch.Tensor, out: torch.Tensor) -> None:
        """The rows' initial values: the id pattern (the reference's), or, for timing runs ("fast"), a constant
        (tens of GB of rows are filled at memset speed; the values do not change the time of any phase)."""
        if self.init == "fast":
            out.fill_(0.01)
        else:
            init_rows(self.rmap.ids(ranks), self.dim, out)

    def _state(self, rows: int, device, shared_path: Optional[str] = None, fill: bool = True):
        if self.optimizer == "sgd":
            return None
        shape = (rows,) if self.optimizer == "rowwise_adagrad" else (rows, self.dim)
        if shared_path is not None:
            numel = max(1, rows * (1 if len(shape) == 1 else self.dim))
            s = torch.from_file(shared_path, shared=True, size=numel, dtype=torch.float32)[: rows * (1 if len(shape) == 1 else self.dim)].view(shape)
            if fill:
                s.zero_()
            return s
        return torch.zeros(shape, dtype=torch.float32, device=device)

    def _host_memory(self, host_dir: Optional[str], tag: str):
        rows, dim = self.nhost, self.dim
        if self.comm.world == 1 or host_dir is None:
            h = torch.empty(rows, dim, dtype=torch.float32, pin_memory=self.device.type == "cuda")
            self._init(self.host_ranks, h)
            return h, self._state(rows, "cpu")
        path = os.path.join(host_dir, f"{tag}.rows")
        first = self.comm.rank == 0
        h = torch.from_file(path, shared=True, size=max(1, rows * dim), dtype=torch.float32)[: rows * dim].view(rows, dim)
        if first:
            self._init(self.host_ranks, h)
        st = self._state(rows, "cpu", os.path.join(host_dir, f"{tag}.state"), fill=first)
        self.comm.dist.barrier()
        return h, st

    def sample(self, seed: int, step: int) -> torch.Tensor:
        """The worker's ids of one iteration (data loading: not timed). One stream per (seed, table, worker, step)."""
        return sample_ids(self, seed, step, self.comm.rank)

    def grad_out(self, seed: int, step: int) -> torch.Tensor:
        return grad_for(self, seed, step, self.comm.rank).to(self.device)

    def step(self, ids: torch.Tensor, gout: torch.Tensor, T: Timer, stats: Dict[str, float]) -> torch.Tensor:
        comm, dev, dim = self.comm, self.dev, self.dim
        W, me = comm.world, comm.rank
        if self.coalesce:
            uniq, inv = torch.unique(ids, return_inverse=True)
            T.lap("dedup")
        else:
            uniq, inv = ids, None
        c, o, s, hpos, ppos, pool_idx = route(self.rfrom, self.rcls, self.rowner, self.rslot0, self.nrep, self.base, me, self.rmap.ranks(uniq), inv)
        nh, np_ = hpos.numel(), ppos.numel()
        T.lap("bookkeeping")
        hs = None
        if self.any_host:
            hs = s[hpos].cpu()  # ids up
            T.lap("hostLink")
            torch.index_select(self.host, 0, hs, out=self.staging[:nh])
            T.lap("hostGather")
            dev[self.base: self.base + nh].copy_(self.staging[:nh], non_blocking=True)
            T.lap("hostLink")
        if self.any_shard:
            d = comm.dist
            send_counts = torch.bincount(o[ppos], minlength=W)
            recv_counts = torch.empty_like(send_counts)
            d.all_to_all_single(recv_counts, send_counts)
            sc, rc = send_counts.tolist(), recv_counts.tolist()
            req_in = torch.empty(sum(rc), dtype=torch.int64, device=dev.device)
            d.all_to_all_single(req_in, s[ppos].contiguous(), rc, sc)
            T.lap("allToAll")
            served = dev.index_select(0, self.nrep + req_in)
            T.lap("deviceGather")
            recv = torch.empty(np_, dim, dtype=torch.float32, device=dev.device)
            d.all_to_all_single(recv, served, sc, rc)
            dev[self.base + nh: self.base + nh + np_] = recv
            T.lap("allToAll")
        pooled = F.embedding_bag(pool_idx, dev, self.offsets, mode="sum")
        T.lap("pooling")
        glook = gout.index_select(0, self.bag_of)
        ug = glook if inv is None else scatter_add_rows(torch.zeros(uniq.numel(), dim, dtype=torch.float32, device=dev.device), inv, glook)
        T.lap("backward")
        if self.any_shard:
            grecv = torch.empty(sum(rc), dim, dtype=torch.float32, device=dev.device)
            d.all_to_all_single(grecv, ug[ppos].contiguous(), rc, sc)
            T.lap("allToAll")
        rpos = torch.nonzero(c == REP).flatten()
        rs, rg = s[rpos], ug[rpos]
        if self.any_rep and W > 1:
            union = torch.unique(comm.all_gather_var(rs))
            G = torch.zeros(union.numel(), dim, dtype=torch.float32, device=dev.device)
            scatter_add_rows(G, torch.searchsorted(union, rs), rg)
            comm.dist.all_reduce(G)
            rs, rg = union, G
            T.lap("allReduce")
        apply_update(dev[: self.nrep], None if self.dev_state is None else self.dev_state[: self.nrep], rs, rg, self.optimizer, self.lr)
        opos = torch.nonzero((c == SHARD) & (o == me)).flatten()
        os_, og = s[opos], ug[opos]
        if self.any_shard:
            os_, og = torch.cat([os_, req_in]), torch.cat([og, grecv])
        apply_update(dev[self.nrep: self.base], None if self.dev_state is None else self.dev_state[self.nrep: self.base], os_, og, self.optimizer, self.lr)
        T.lap("update")
        if self.any_host:
            self.grad_staging[:nh].copy_(ug[hpos])  # gradients up
            T.lap("hostLink")
            hg = self.grad_staging[:nh]
            if W > 1:
                group = comm.cpu_group
                all_s, all_g = comm.all_gather_var(hs, group), comm.all_gather_var(hg, group)
                mine = all_s % W == me  # each worker updates its share of the rows, once, with the summed gradient
                hs, hg = all_s[mine], all_g[mine]
            apply_update(self.host, self.host_state, hs, hg, self.optimizer, self.lr)
            if W > 1:
                comm.dist.barrier(group=comm.cpu_group)  # host memory complete before the next gather
            T.lap("hostGather")
        stats["distinct"] += uniq.numel() if self.coalesce else torch.unique(ids).numel()
        stats["hostRows"] += nh
        stats["peerRows"] += np_
        return pooled

    def table_rows(self):
        """(ids, rows) of what this worker holds: replicated and own shard from device memory, host rows (rank 0)."""
        ids = [self.rmap.ids(self.rep_ranks), self.rmap.ids(self.own_ranks)]
        rows = [self.dev[: self.nrep].cpu(), self.dev[self.nrep: self.base].cpu()]
        if self.comm.rank == 0:
            ids.append(self.rmap.ids(self.host_ranks)); rows.append(self.host.clone())
        return torch.cat(ids), torch.cat(rows)


def seed_of(seed: int, table: int, worker: int, step: int) -> int:
    return (seed * 1_000_003 + table * 7_919 + worker * 104_729 + step * 15_485_863) % (1 << 62)


def worker_batches(scenario: ScenarioSpec, plan: PlanSpec, world: int) -> List[int]:
    batch = plan.batch if plan.batch is not None else scenario.global_batch
    shares = scenario.batch_shares if len(scenario.batch_shares) == world else [1.0] * world
    return split_batch(batch, shares)


def sample_ids(ts: TableStage, seed: int, step: int, worker: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed_of(seed, ts.index, worker, step))
    return ts.rmap.ids(ts.sampler.sample(ts.lookups, g))


def grad_for(ts: TableStage, seed: int, step: int, worker: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed_of(seed, ts.index, worker, step) ^ 0x5DEECE66D)
    return torch.randn(ts.batch, ts.dim, generator=g) * 0.1


class PlanStage:
    """Every table of one plan on this worker."""

    def __init__(self, scenario: ScenarioSpec, plan: PlanSpec, comm: Comm, device: torch.device, host_dir: Optional[str] = None, lr: float = 0.05, init: str = "pattern"):
        self.scenario, self.plan, self.comm, self.device = scenario, plan, comm, device
        self.batches = worker_batches(scenario, plan, comm.world)
        self.tables: List[TableStage] = []
        for i, t in enumerate(scenario.tables):
            ts = TableStage(t, plan, comm, device, self.batches[comm.rank], host_dir, lr, f"t{i}", init)
            ts.index = i
            self.tables.append(ts)
        self.timer = Timer(device)

    def iteration(self, seed: int, step: int, keep: bool = False):
        """One iteration over every table: (phase seconds, counts, pooled outputs if keep)."""
        batch = [(ts.sample(seed, step).to(self.device), ts.grad_out(seed, step)) for ts in self.tables]
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        stats = {"distinct": 0, "hostRows": 0, "peerRows": 0, "lookups": sum(ts.lookups for ts in self.tables)}
        T = self.timer
        T.start()
        outs = []
        for ts, (ids, gout) in zip(self.tables, batch):
            p = ts.step(ids, gout, T, stats)
            if keep:
                outs.append(p.detach().cpu().clone())
        return T.finish(), stats, outs
