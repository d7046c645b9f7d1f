"""Seeded samplers of ranks (0 = hottest), with the semantics of `scarec simulate` (src/sim/sampler.ts,
proofs/simulator.md §1): the same distributions, not the same random streams (torch's generator, not scarec's).

- uniform: floor(u N);
- zipf(alpha): P(rank k - 1) proportional to k^-alpha, k = 1..N, by rejection-inversion (Hörmann & Derflinger
  1996) with the same hat H(x) = (x^(1-alpha) - 1) / (1 - alpha), squeeze and acceptance test as ZipfSampler,
  vectorised: a round draws every missing rank at once and keeps the accepted ones;
- counts: the runs of equal probability weighted by their mass (p_j n_j), then a uniform rank within the run
  (the alias method's law, drawn here by inverting the runs' CDF): P(rank i) = p_i.
Ranks map to row ids through `RankMap` (identity for zipf and uniform; for counts the id order of the counts).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch

from .formats import TableSpec


def _expm1_over_x(x: torch.Tensor) -> torch.Tensor:
    small = x.abs() <= 1e-8
    safe = torch.where(small, torch.ones_like(x), x)
    return torch.where(small, 1 + x * 0.5 * (1 + x / 3), torch.expm1(safe) / safe)


def _log1p_over_x(x: torch.Tensor) -> torch.Tensor:
    small = x.abs() <= 1e-8
    safe = torch.where(small, torch.ones_like(x), x)
    return torch.where(small, 1 - x * (0.5 - x / 3), torch.log1p(safe) / safe)


class ZipfSampler:
    def __init__(self, alpha: float, rows: int):
        if not alpha > 0 or rows < 1:
            raise ValueError("zipf sampler needs alpha > 0 and rows >= 1")
        self.alpha, self.rows = float(alpha), int(rows)
        f = lambda v: torch.tensor([v], dtype=torch.float64)  # noqa: E731
        self.hX1 = float(self._H(f(1.5))) - 1
        self.hN = float(self._H(f(rows + 0.5)))
        self.squeeze = 2 - float(self._Hinv(self._H(f(2.5)) - self._h(f(2.0))))

    def _H(self, x: torch.Tensor) -> torch.Tensor:
        lx = torch.log(x)
        return _expm1_over_x((1 - self.alpha) * lx) * lx

    def _h(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(-self.alpha * torch.log(x))

    def _Hinv(self, x: torch.Tensor) -> torch.Tensor:
        t = (x * (1 - self.alpha)).clamp(min=-1.0)
        return torch.exp(_log1p_over_x(t) * x)

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        out = torch.empty(n, dtype=torch.int64)
        missing = torch.arange(n)
        while missing.numel() > 0:
            m = missing.numel()
            u = self.hN + torch.rand(m, generator=gen, dtype=torch.float64) * (self.hX1 - self.hN)
            x = self._Hinv(u)
            k = torch.floor(x + 0.5).clamp(1, self.rows)
            ok = (k - x <= self.squeeze) | (u >= self._H(k + 0.5) - self._h(k))
            out[missing[ok]] = k[ok].to(torch.int64) - 1
            missing = missing[~ok]
        return out


class UniformSampler:
    def __init__(self, rows: int):
        self.rows = int(rows)

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        u = torch.rand(n, generator=gen, dtype=torch.float64)
        return torch.floor(u * self.rows).to(torch.int64).clamp_(max=self.rows - 1)


class CountsSampler:
    """counts_by_rank: non-increasing counts, one per rank (zero tail left out)."""

    def __init__(self, counts_by_rank: torch.Tensor):
        c = counts_by_rank.to(torch.float64)
        c = c[c > 0]
        if c.numel() == 0:
            raise ValueError("all counts are zero")
        change = torch.ones(c.numel(), dtype=torch.bool)
        change[1:] = c[1:] != c[:-1]
        self.start = torch.nonzero(change).flatten()
        ends = torch.cat([self.start[1:], torch.tensor([c.numel()])])
        self.run_rows = (ends - self.start).to(torch.float64)
        mass = c[self.start] * self.run_rows
        self.cdf = torch.cumsum(mass, 0) / mass.sum()
        self.cdf[-1] = 1.0

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        u = torch.rand(n, generator=gen, dtype=torch.float64)
        j = torch.searchsorted(self.cdf, u, right=True).clamp_(max=self.cdf.numel() - 1)
        v = torch.rand(n, generator=gen, dtype=torch.float64)
        within = torch.floor(v * self.run_rows[j]).to(torch.int64)
        return self.start[j] + torch.minimum(within, self.run_rows[j].to(torch.int64) - 1)


class RankMap:
    """Rank <-> row id of one table. None for the identity (zipf, uniform, a profile without ids)."""

    def __init__(self, rank_to_id: Optional[torch.Tensor]):
        self.rank_to_id = rank_to_id
        self.id_to_rank: Optional[torch.Tensor] = None
        if rank_to_id is not None:
            inv = torch.empty_like(rank_to_id)
            inv[rank_to_id] = torch.arange(rank_to_id.numel())
            self.id_to_rank = inv

    def ids(self, ranks: torch.Tensor) -> torch.Tensor:
        return ranks if self.rank_to_id is None else self.rank_to_id[ranks]

    def ranks(self, ids: torch.Tensor) -> torch.Tensor:
        if self.id_to_rank is None:
            return ids
        if self.id_to_rank.device != ids.device:
            self.id_to_rank = self.id_to_rank.to(ids.device)
        return self.id_to_rank[ids]


def counts_by_rank_and_map(t: TableSpec) -> Tuple[torch.Tensor, RankMap]:
    """Counts in rank order and the rank -> id map: ids ranked by decreasing count, ties by id (any order of
    equal counts is a rank order of the same distribution); ids past the counts array have count 0."""
    if t.counts is not None:
        c = torch.zeros(t.rows, dtype=torch.float64)
        c[: len(t.counts)] = torch.tensor(t.counts, dtype=torch.float64)
        order = torch.sort(-c, stable=True).indices
        return c[order], RankMap(order)
    assert t.histogram is not None
    runs: List[Tuple[float, int]] = sorted(((float(a), int(b)) for a, b in t.histogram), key=lambda r: -r[0])
    c = torch.cat([torch.full((n,), cnt, dtype=torch.float64) for cnt, n in runs if n > 0])
    if c.numel() < t.rows:
        c = torch.cat([c, torch.zeros(t.rows - c.numel(), dtype=torch.float64)])
    c = c[: t.rows]
    if t.rank_ids is not None and len(t.rank_ids) == t.rows:
        ids = torch.tensor(t.rank_ids, dtype=torch.int64)
        # The profile's ids are row ids only when they index the table (a permutation of [0, rows)); raw tokens
        # (Criteo's 32-bit hashes) are not, and the table's row r is then rank r (README, "PyTorch executor").
        if ids.numel() == 0 or (int(ids.min()) >= 0 and int(ids.max()) < t.rows and torch.unique(ids).numel() == ids.numel()):
            return c, RankMap(ids)
    return c, RankMap(None)


def sampler_for(t: TableSpec):
    """The sampler of a table's ranks and its rank -> id map."""
    if t.kind == "uniform":
        return UniformSampler(t.rows), RankMap(None)
    if t.kind == "zipf":
        return ZipfSampler(t.alpha, t.rows), RankMap(None)
    c, m = counts_by_rank_and_map(t)
    return CountsSampler(c), m


def rank_probabilities(t: TableSpec) -> torch.Tensor:
    """Exact P(rank) of a small table (for the tests): the law every sampler must follow."""
    if t.kind == "uniform":
        return torch.full((t.rows,), 1.0 / t.rows, dtype=torch.float64)
    if t.kind == "zipf":
        w = torch.arange(1, t.rows + 1, dtype=torch.float64).pow(-t.alpha)
        return w / w.sum()
    c, _ = counts_by_rank_and_map(t)
    return c / c.sum()
