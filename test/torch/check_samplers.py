"""Chi-square of python/scarec_torch's samplers against the exact laws (run by samplers.test.ts), fixed seeds.

For each case: the statistic, its degrees of freedom, and the same statistic for a wrong law (the power check:
a sampler with a different alpha, or counts in the wrong id order, must be rejected). Bins with expected count
below 20 are merged into their neighbour.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from scarec_torch.formats import TableSpec  # noqa: E402
from scarec_torch.samplers import rank_probabilities, sampler_for  # noqa: E402


def chi2(observed, probs, n):
    exp = probs * n
    # merge bins in order until each expects >= 20
    bins_o, bins_e, o_acc, e_acc = [], [], 0.0, 0.0
    for o, e in zip(observed.tolist(), exp.tolist()):
        o_acc += o; e_acc += e
        if e_acc >= 20:
            bins_o.append(o_acc); bins_e.append(e_acc); o_acc = e_acc = 0.0
    if e_acc > 0:
        bins_o[-1] += o_acc; bins_e[-1] += e_acc
    s = sum((o - e) ** 2 / e for o, e in zip(bins_o, bins_e))
    return s, len(bins_o) - 1


def geometric(x, rows):
    """rank -> bin floor(log2(rank + 1)) (the head exactly, the tail in octaves)."""
    return torch.floor(torch.log2(x.to(torch.float64) + 1)).to(torch.int64)


def case(name, spec, wrong, n, seed, by_id=False, octaves=False):
    sampler, rmap = sampler_for(spec)
    draws = sampler.sample(n, torch.Generator().manual_seed(seed))
    if by_id:
        draws = rmap.ids(draws)
    p = rank_probabilities(spec) if not by_id else torch.tensor(spec.counts + [0] * (spec.rows - len(spec.counts)), dtype=torch.float64)
    p = p / p.sum()
    pw = wrong / wrong.sum()
    if octaves:
        bins = geometric(torch.arange(spec.rows), spec.rows)
        nb = int(bins.max()) + 1
        obs = torch.bincount(geometric(draws, spec.rows), minlength=nb).to(torch.float64)
        p = torch.zeros(nb, dtype=torch.float64).index_add_(0, bins, p)
        pw = torch.zeros(nb, dtype=torch.float64).index_add_(0, bins, pw)
    else:
        obs = torch.bincount(draws, minlength=spec.rows).to(torch.float64)
    assert int(draws.min()) >= 0 and int(draws.max()) < spec.rows
    s, df = chi2(obs, p, n)
    sw, dfw = chi2(obs, pw, n)
    return {"name": name, "chi2": s, "df": df, "wrongChi2": sw, "wrongDf": dfw, "draws": n}


def zipf_w(rows, a):
    return torch.arange(1, rows + 1, dtype=torch.float64).pow(-a)


if __name__ == "__main__":
    n = 200_000
    out = []
    t = TableSpec("z", 50, 4, 4, 1, 0, "zipf", alpha=0.8)
    out.append(case("zipf(0.8), 50 ranks", t, zipf_w(50, 0.85), n, 1))
    t = TableSpec("z", 1 << 20, 4, 4, 1, 0, "zipf", alpha=1.05)
    out.append(case("zipf(1.05), 2^20 ranks, octave bins", t, zipf_w(1 << 20, 1.08), n, 2, octaves=True))
    t = TableSpec("z", 1000, 4, 4, 1, 0, "zipf", alpha=2.5)
    out.append(case("zipf(2.5), 1000 ranks", t, zipf_w(1000, 2.6), n, 3))
    t = TableSpec("u", 37, 4, 4, 1, 0, "uniform")
    out.append(case("uniform, 37 ranks", t, torch.linspace(1, 1.1, 37, dtype=torch.float64), n, 4))
    counts = [float(1 + (7 * i) % 11) for i in range(45)] + [0.0] * 3
    t = TableSpec("c", 60, 4, 4, 1, 0, "counts", counts=counts)
    # by id: the sampler's ranks through the rank map must give id i its count's share (ids 45.. never drawn)
    wrong = torch.tensor(sorted(counts, reverse=True) + [0.0] * 12, dtype=torch.float64)
    out.append(case("counts with ties, by row id", t, wrong, n, 5, by_id=True))
    print(json.dumps(out))
