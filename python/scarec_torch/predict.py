"""The calibrated model's prediction for a plan, from the coefficients scarec writes (no second cost model here).

scarec's `evaluate` is linear, per GPU and per term, in the "time per unit" of each device constant (1 /
bandwidth, or seconds per row / per lookup / per call): `scarec validate --backend torch` and
bench/gpu/make-inputs.ts probe evaluate with one constant at a time and write, per plan, per GPU and per term,
the coefficient of each constant (src/calibrate/torch.ts, predictionCoefficients). The prediction for any
profile is then the dot product below, which equals evaluate() on the calibrated scenario (tested in
test/calibrate/torch-stage.test.ts), so a GPU machine without Node predicts with the profile it just measured.
"""
from __future__ import annotations

from typing import Dict, List, Optional

from .formats import InputError

#: the terms of scarec's IterationTerms that the embedding stage runs (denseSec is not run)
TERMS = ["dedupSec", "hostGatherSec", "hostLinkSec", "allToAllSec", "localGatherSec", "allReduceSec"]
#: the measured phases that make up each term; with coalescing the dedup term also takes the bookkeeping (the
#: routing of each distinct id, charged per distinct id: proofs/cost-model.md §2), without it bookkeeping is timed
#: but not modelled (term_phases)
TERM_PHASES = {
    "dedupSec": ["dedup"],
    "hostGatherSec": ["hostGather"],
    "hostLinkSec": ["hostLink"],
    "allToAllSec": ["allToAll"],
    "localGatherSec": ["deviceGather", "pooling", "backward", "update"],
    "allReduceSec": ["allReduce"],
}


def term_phases(coalesce: bool) -> Dict[str, List[str]]:
    """The measured phases of each term for a plan (TERM_PHASES, bookkeeping with the dedup when coalescing)."""
    if not coalesce:
        return TERM_PHASES
    return {**TERM_PHASES, "dedupSec": ["dedup", "bookkeeping"]}
#: constants whose absence means 0 (stageConstants in src/calibrate/stage.ts)
OPTIONAL_ZERO = {"gpuGatherSecondsPerRow", "hostGatherSecondsPerRow", "latencySec", "dedupSecondsPerLookup", "dedupLatencySec", "dedupSecondsPerDistinctRow"}


def constants_of(profile_constants: Dict[str, float], fallback: Optional[Dict[str, float]] = None) -> Dict[str, float]:
    """The constants the prediction uses: the profile's, the buffer's defaulting to the gather's, then the
    scenario's own value (fallback) for what the profile does not measure (e.g. gpuToGpuBytesPerSec on one GPU)."""
    c = dict(fallback or {})
    c.update({k: float(v) for k, v in profile_constants.items()})
    if "gpuBufferGatherBytesPerSec" not in profile_constants and "gpuGatherBytesPerSec" in profile_constants:
        c["gpuBufferGatherBytesPerSec"] = c["gpuGatherBytesPerSec"]
        c["gpuBufferGatherSecondsPerRow"] = c.get("gpuGatherSecondsPerRow", 0.0)
    return c


def time_per_unit(name: str, c: Dict[str, float]) -> float:
    if name in c:
        v = c[name]
        return 1.0 / v if name.endswith("BytesPerSec") else v
    if name in OPTIONAL_ZERO or name == "gpuBufferGatherSecondsPerRow":
        return 0.0
    raise InputError(f"profile: constants.{name} is missing and the prediction needs it")


def predict_terms(coefficients: Dict[str, Dict[str, float]], c: Dict[str, float]) -> Dict[str, float]:
    """One GPU's terms: sum over constants of coefficient x time per unit (coefficients of 0 need no constant)."""
    return {term: sum(k * time_per_unit(name, c) for name, k in coefficients.get(term, {}).items() if k != 0) for term in TERMS}


def predict_plan(entry: dict, c: Dict[str, float]) -> List[Dict[str, float]]:
    """Per GPU terms of one plan entry of a predictions file."""
    return [predict_terms(g["terms"], c) for g in entry["gpus"]]
