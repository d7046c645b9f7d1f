"""The plain single-device reference: one nn.EmbeddingBag per table over the whole table (row id order), the
same ids and pooled gradients as the workers' (all workers' samples, in worker order), the same optimizer:
torch.optim.SGD, torch.optim.Adagrad (element-wise), or row-wise Adagrad written out on the dense gradient
(state += mean(g^2) per row; w -= lr g / (sqrt(state) + eps)).
"""
from __future__ import annotations

from typing import List

import torch

from .formats import PlanSpec, ScenarioSpec
from .stage import EPS, init_rows, seed_of, worker_batches
from .samplers import sampler_for


def reference_run(scenario: ScenarioSpec, plan: PlanSpec, world: int, steps: int, seed: int, lr: float = 0.05):
    """Per table: (pooled outputs per step [global batch, dim], final table [rows, dim])."""
    batches = worker_batches(scenario, plan, world)
    results = []
    for i, t in enumerate(scenario.tables):
        sampler, rmap = sampler_for(t)
        bag = torch.nn.EmbeddingBag(t.rows, t.dim, mode="sum")
        with torch.no_grad():
            init_rows(torch.arange(t.rows), t.dim, bag.weight)
        opt = t.optimizer
        if opt == "sgd":
            o = torch.optim.SGD(bag.parameters(), lr=lr)
        elif opt == "adagrad":
            o = torch.optim.Adagrad(bag.parameters(), lr=lr, eps=EPS)
        else:
            o = None
            state = torch.zeros(t.rows)
        outs: List[torch.Tensor] = []
        for step in range(steps):
            ids, offs, grads = [], [], []
            start = 0
            for w, b in enumerate(batches):
                k = max(1, round(b * t.pooling))
                g = torch.Generator().manual_seed(seed_of(seed, i, w, step))
                ids.append(rmap.ids(sampler.sample(k, g)))
                offs.append(start + torch.div(torch.arange(b) * k, b, rounding_mode="floor"))
                start += k
                gg = torch.Generator().manual_seed(seed_of(seed, i, w, step) ^ 0x5DEECE66D)
                grads.append(torch.randn(b, t.dim, generator=gg) * 0.1)
            out = bag(torch.cat(ids), torch.cat(offs))
            outs.append(out.detach().clone())
            bag.zero_grad()
            (out * torch.cat(grads)).sum().backward()
            if o is not None:
                o.step()
            else:
                with torch.no_grad():
                    gr = bag.weight.grad
                    state += (gr * gr).mean(1)
                    bag.weight.addcdiv_(gr, (state.sqrt() + EPS)[:, None], value=-lr)
        results.append((outs, bag.weight.detach().clone()))
    return results
