"""The scenario and plan JSON files of scarec, read as they are (README "Formats", src/model/schema.ts).

Only what the embedding stage needs is read; scarec itself validates the files (`scarec evaluate`). Errors
name the file and the field, and raise InputError (the CLI maps it to exit 2).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence


class InputError(Exception):
    """Bad input: the message names the file and the field."""


def read_json(path: str, what: str):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: {what} is not JSON (line {e.lineno}: {e.msg})") from None


@dataclass
class TableSpec:
    name: str
    rows: int
    dim: int
    bytes_per_element: float
    pooling: float
    optimizer_bytes_per_row: float
    kind: str  # zipf | uniform | counts
    alpha: float = 0.0
    #: counts in id order (row id i has counts[i]; ids past the array have count 0), for kind == counts
    counts: Optional[List[float]] = None
    #: for a frequency profile: its count histogram [[count, rows], ...] (no ids: rank = id)
    histogram: Optional[List[List[float]]] = None
    #: optional id of each rank from a frequency profile (rank r is row id rank_ids[r])
    rank_ids: Optional[List[int]] = None

    @property
    def optimizer(self) -> str:
        return optimizer_of(self)


def optimizer_of(t: TableSpec) -> str:
    """The optimizer that optimizerBytesPerRow implies (schema.ts: 0 for SGD, 4 for row-wise Adagrad, 2 r for Adam):
    0 -> 'sgd'; one element per row (bytesPerElement, 4 for fp32) -> 'rowwise_adagrad' (one accumulator per row);
    one element per element of the row (dim x bytesPerElement) -> 'adagrad' (element-wise accumulators).
    Anything else (e.g. Adam's 2 r) is not run."""
    b = t.optimizer_bytes_per_row
    if b == 0:
        return "sgd"
    if b == t.bytes_per_element:
        return "rowwise_adagrad"
    if b == t.dim * t.bytes_per_element:
        return "adagrad"
    raise InputError(
        f'table "{t.name}": optimizerBytesPerRow {b} implies no optimizer the torch stage runs '
        f"(0: SGD, {t.bytes_per_element:g}: row-wise Adagrad, {t.dim * t.bytes_per_element:g}: Adagrad)")


@dataclass
class ScenarioSpec:
    name: str
    file: str
    tables: List[TableSpec]
    gpus: int
    batch_shares: List[float]
    global_batch: int
    index_bytes: float


def load_scenario(path: str) -> ScenarioSpec:
    s = read_json(path, "scenario")
    base = os.path.dirname(os.path.abspath(path))
    where = lambda f: f"{path}: {f}"  # noqa: E731
    if not isinstance(s, dict) or not isinstance(s.get("tables"), list) or not s["tables"]:
        raise InputError(f"{where('tables')}: a scenario needs a non-empty array of tables")
    tables = []
    for i, t in enumerate(s["tables"]):
        w = f"tables[{i}]"
        try:
            d = t["distribution"]
            spec = TableSpec(
                name=str(t["name"]), rows=int(t["rows"]), dim=int(t["dim"]),
                bytes_per_element=float(t.get("bytesPerElement", 4)), pooling=float(t.get("pooling", 1)),
                optimizer_bytes_per_row=float(t.get("optimizerBytesPerRow", 0)), kind=str(d["kind"]))
        except (KeyError, TypeError, ValueError) as e:
            raise InputError(f"{where(w)}: missing or bad field {e}") from None
        if spec.kind == "zipf":
            spec.alpha = float(d["alpha"])
        elif spec.kind == "counts":
            if "counts" in d:
                spec.counts = [float(c) for c in d["counts"]]
            else:
                f = os.path.join(base, d["file"])
                data = read_json(f, "counts file")
                if isinstance(data, list):
                    spec.counts = [float(c) for c in data]
                else:
                    feat = d.get("feature")
                    if feat is None or feat not in data.get("features", {}):
                        raise InputError(f"{where(w + '.distribution.feature')}: feature {feat!r} not in {f}")
                    fe = data["features"][feat]
                    spec.histogram = fe["countHistogram"]
                    # an id of each rank, where the profile records one: `scarec stats --out` writes the id map
                    # beside the profile (README "Formats", "Id map"; src/data/idmap.ts): one little-endian typed
                    # file per feature in rank order, the missing row (id -1 here) at `missingRank`
                    idmap = data.get("idMap")
                    entry = idmap.get("features", {}).get(feat) if isinstance(idmap, dict) else None
                    if entry is not None and entry.get("complete", False):
                        spec.rank_ids = read_id_map(os.path.join(os.path.dirname(f), idmap["dir"], entry["file"]), idmap["dtype"], entry.get("missingRank"))
            if spec.counts is not None and len(spec.counts) > spec.rows:
                raise InputError(f"{where(w + '.distribution')}: {len(spec.counts)} counts but {spec.rows} rows")
        elif spec.kind != "uniform":
            raise InputError(f"{where(w + '.distribution.kind')}: unknown kind {spec.kind!r}")
        optimizer_of(spec)
        tables.append(spec)
    dev = s.get("devices", {})
    gpus = int(dev.get("gpus", 1))
    gl = dev.get("gpuList")
    shares = [float(g.get("batchShare", 1)) for g in gl] if gl else [1.0] * gpus
    tr = s.get("training", {})
    if "globalBatch" not in tr:
        raise InputError(f"{where('training.globalBatch')}: missing")
    return ScenarioSpec(name=str(s.get("name", "scenario")), file=path, tables=tables, gpus=gpus, batch_shares=shares,
                        global_batch=int(tr["globalBatch"]), index_bytes=float(tr.get("indexBytes", 8)))


def read_id_map(path: str, dtype: str, missing_rank) -> List[int]:
    """Ids in rank order from an id-map file (uint32le or int64le); the missing row, if any, is id -1."""
    import struct
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise InputError(f"{path}: cannot read the id map ({e.strerror})") from None
    code, size = {"uint32le": ("<I", 4), "int64le": ("<q", 8)}.get(dtype, (None, 0))
    if code is None or len(raw) % size:
        raise InputError(f"{path}: not a {dtype} id map")
    ids = [v for (v,) in struct.iter_unpack(code, raw)]
    if missing_rank is not None:
        ids.insert(int(missing_rank), -1)
    return ids


def split_batch(global_batch: int, shares: Sequence[float]) -> List[int]:
    """Integer worker batches summing to the global batch (splitBatch in src/model/scenario.ts)."""
    total = sum(shares)
    exact = [global_batch * s / total for s in shares]
    out = [math.floor(x) for x in exact]
    left = global_batch - sum(out)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - math.floor(exact[i])), i))
    k = 0
    while left > 0:
        out[order[k]] += 1
        k = (k + 1) % len(order)
        left -= 1
    return out


@dataclass
class Range:
    start: int
    stop: int
    at: str  # replicated | gpu | host
    gpu: int = -1


@dataclass
class PlanSpec:
    name: str
    coalesce: bool
    tables: Dict[str, List[Range]]
    batch: Optional[int] = None
    raw: dict = field(default_factory=dict)


def parse_plan(p: dict, path: str, scenario: ScenarioSpec) -> PlanSpec:
    if not isinstance(p, dict) or not isinstance(p.get("tables"), dict):
        raise InputError(f"{path}: tables: a plan needs an object of tables")
    tables: Dict[str, List[Range]] = {}
    for t in scenario.tables:
        rs = p["tables"].get(t.name)
        if not rs:
            raise InputError(f'{path}: tables.{t.name}: the plan has no ranges for table "{t.name}"')
        ranges = sorted((Range(int(r["from"]), int(r["to"]), str(r["at"]), int(r.get("gpu", -1))) for r in rs), key=lambda r: r.start)
        pos = 0
        for j, r in enumerate(ranges):
            if r.start != pos or r.stop <= r.start:
                raise InputError(f"{path}: tables.{t.name}: the ranges do not cover [0, {t.rows}) exactly once (at {pos})")
            if r.at not in ("replicated", "gpu", "host"):
                raise InputError(f"{path}: tables.{t.name}[{j}].at: unknown placement {r.at!r}")
            if r.at == "gpu" and not (0 <= r.gpu < scenario.gpus):
                raise InputError(f"{path}: tables.{t.name}[{j}].gpu: {r.gpu} is not a GPU of the scenario (0..{scenario.gpus - 1})")
            if r.at == "gpu" and scenario.gpus == 1:
                r.gpu = 0
            pos = r.stop
        if pos != t.rows:
            raise InputError(f"{path}: tables.{t.name}: the ranges end at {pos}, the table has {t.rows} rows")
        tables[t.name] = ranges
    batch = p.get("batch")
    return PlanSpec(name=str(p.get("name") or p.get("algorithm") or os.path.basename(path)), coalesce=bool(p.get("coalesce", True)),
                    tables=tables, batch=int(batch) if batch is not None else None, raw=p)


def load_plan(path: str, scenario: ScenarioSpec) -> PlanSpec:
    return parse_plan(read_json(path, "plan"), path, scenario)
