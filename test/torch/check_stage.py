"""Correctness cases of python/scarec_torch against the nn.EmbeddingBag reference (run by stage.test.ts).

Prints one JSON array: one entry per (world, plan) with the largest errors. Tiny sizes: the whole file runs in
a few seconds per world size on two loaded cores.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from scarec_torch.check import check  # noqa: E402
from scarec_torch.formats import TableSpec, ScenarioSpec, parse_plan  # noqa: E402


def scenario(world, opt_bytes):
    # three tables: zipf (pooling 3), uniform (pooling 1), counts (an id order that is not the rank order)
    tables = [
        TableSpec("a", 60, 4, 4, 3, opt_bytes[0], "zipf", alpha=1.1),
        TableSpec("b", 40, 8, 4, 1, opt_bytes[1], "uniform"),
        TableSpec("c", 30, 4, 4, 2.5, opt_bytes[2], "counts", counts=[1 + (7 * i) % 11 for i in range(25)]),
    ]
    return ScenarioSpec("tiny", "tiny.json", tables, world, [1.0] * world, 12 * world, 8)


def plans(world, s):
    def all_at(at, coalesce):
        return {"name": f"{at}-{'c' if coalesce else 'u'}", "coalesce": coalesce,
                "tables": {t.name: [{"from": 0, "to": t.rows, "at": at, **({"gpu": world - 1} if at == "gpu" else {})}] for t in s.tables}}

    def mixed(coalesce):
        tabs = {}
        for t in s.tables:
            cut = [0, t.rows // 5, t.rows // 2, (3 * t.rows) // 4, t.rows]
            rs = [{"from": cut[0], "to": cut[1], "at": "replicated"}]
            # sharded ranges dealt over the GPUs, then host
            rs.append({"from": cut[1], "to": cut[2], "at": "gpu", "gpu": 0})
            rs.append({"from": cut[2], "to": cut[3], "at": "gpu", "gpu": min(1, world - 1)})
            rs.append({"from": cut[3], "to": cut[4], "at": "host"})
            tabs[t.name] = rs
        return {"name": f"mixed-{'c' if coalesce else 'u'}", "coalesce": coalesce, "tables": tabs, "batch": 10 * world + 1}

    out = [all_at(at, c) for at in ("replicated", "gpu", "host") for c in (True, False)]
    out += [mixed(True), mixed(False)]
    return [parse_plan(p, p["name"], s) for p in out]


if __name__ == "__main__":
    world = int(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    res = []
    # SGD on every table; then row-wise Adagrad (4 bytes per row), element-wise Adagrad (dim x 4) and SGD mixed
    for label, ob in (("sgd", (0, 0, 0)), ("adagrad", (4, 32, 4))):
        s = scenario(world, ob)
        ps = plans(world, s)
        if label == "adagrad" and world > 1:
            ps = [p for p in ps if p.name.startswith("mixed")]
        for r in check(s, ps, world, steps):
            r["optimizers"] = [t.optimizer for t in s.tables]
            res.append(r)
    print(json.dumps(res))
