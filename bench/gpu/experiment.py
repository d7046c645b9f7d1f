#!/usr/bin/env python3
"""The paper's experiment, measured: calibrate, then run the embedding stage of the plans B0, B1, B3, greedy and
exact of a Criteo-Terabyte-shaped scenario scaled to the card, and write one JSON with measured and predicted
samples per second and the speedups over B0. Needs PyTorch only (no Node, no network): the scenario, the plans
and the model's prediction coefficients were made beforehand by scarec (bench/gpu/make-inputs.ts).

    python3 bench/gpu/experiment.py                                   # CUDA, bench/gpu/inputs/h200
    python3 bench/gpu/experiment.py --device cpu --inputs bench/gpu/inputs/cpu-tiny --table-mb 16 --out r.json

Steps: (1) bench/calibrate_torch.py --quick on the device -> profile.json (next to --out); (2) the plans, one at
a time (their tables do not fit side by side), warm-up then --iterations timed iterations each, phase by phase
(CUDA events), and the model's prediction for each plan with the constants just calibrated. Prints the table and
writes --out; exits 1 if the whole run took longer than --budget-s (8 minutes by default).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(root, "python"))

PLANS = ["B0", "B1", "B3", "greedy", "exact"]
#: HBM peak bandwidth of cards by name (datasheets), for the gather efficiency
HBM_PEAK = {"H200": 4.8e12, "H100": 3.35e12, "A100": 2.0e12}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--inputs", default=os.path.join(here, "inputs", "h200"))
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--table-mb", type=float, help="passed to calibrate_torch.py (device-tier table size)")
    p.add_argument("--profile", help="use this profile instead of calibrating")
    p.add_argument("--budget-s", type=float, default=480)
    p.add_argument("--out")
    args = p.parse_args(argv)
    try:
        import torch
    except ImportError:
        print(f"error: PyTorch is not installed for {sys.executable}", file=sys.stderr)
        return 4
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: no CUDA device (torch.cuda.is_available() is False)", file=sys.stderr)
        return 4
    from scarec_torch.formats import load_plan, load_scenario, read_json
    from scarec_torch.measure import run_plans

    t0 = time.perf_counter()
    stamp = datetime.datetime.now(datetime.timezone.utc)
    card = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    out = args.out or os.path.join(here, f"results-{card.replace(' ', '_')}-{stamp.strftime('%Y-%m-%d')}.json")
    profile_path = args.profile or os.path.join(os.path.dirname(os.path.abspath(out)), os.path.basename(out).replace(".json", "") + ".profile.json")
    if not args.profile:
        cmd = [sys.executable, os.path.join(root, "bench", "calibrate_torch.py"), "--quick", "--device", args.device, "--out", profile_path]
        if args.table_mb:
            cmd += ["--table-mb", str(args.table_mb)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"error: calibration failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}", file=sys.stderr)
            return r.returncode if r.returncode in (2, 4) else 1
    calibrate_s = time.perf_counter() - t0
    profile = read_json(profile_path, "device profile")
    scenario = load_scenario(os.path.join(args.inputs, "scenario.json"))
    plans = [load_plan(os.path.join(args.inputs, "plans", f"{k}.json"), scenario) for k in PLANS]
    predictions = read_json(os.path.join(args.inputs, "predictions.json"), "predictions")
    names = [e["name"] for e in predictions["plans"]]
    if names != PLANS:
        print(f"error: {args.inputs}/predictions.json: plans are {names}, expected {PLANS}", file=sys.stderr)
        return 2
    t1 = time.perf_counter()
    results = run_plans(scenario, plans, args.device, args.iterations, args.warmup, args.seed, predictions, profile["constants"], sequential=True)
    stage_s = time.perf_counter() - t1
    base = results[0]
    rows = []
    for r in results:
        ms_, ps_ = r["measuredSamplesPerSec"], r["predictedSamplesPerSec"]
        msu = ms_ / base["measuredSamplesPerSec"]
        psu = ps_ / base["predictedSamplesPerSec"]
        rows.append({"plan": r["plan"], "batch": r["batch"], "measuredSamplesPerSec": ms_, "predictedSamplesPerSec": ps_,
                     "throughputError": (ps_ - ms_) / ms_, "measuredSpeedupOverB0": msu, "predictedSpeedupOverB0": psu,
                     "speedupError": (psu - msu) / msu, "measuredSec": r["measuredSec"], "predictedSec": r["predictedSec"],
                     "measuredTerms": r["measuredTerms"], "predictedTerms": r["predictedTerms"], "phases": r["phases"], "counts": r["counts"]})
    c = profile["constants"]
    peak = next((v for k, v in HBM_PEAK.items() if k in card), None)
    total_s = time.perf_counter() - t0
    doc = {
        "kind": "scarec-gpu-experiment", "version": 1, "date": stamp.isoformat(), "device": card, "torch": torch.__version__,
        "inputs": os.path.relpath(args.inputs, root), "scenario": scenario.name, "iterations": args.iterations,
        "profile": os.path.relpath(profile_path, os.path.dirname(os.path.abspath(out))),
        "gpuGatherBytesPerSec": c.get("gpuGatherBytesPerSec"),
        # fitted gather law over the card's HBM peak (datasheet), and the profile's own (over measured copies)
        "gatherEfficiencyVsPeak": (c["gpuGatherBytesPerSec"] / peak) if peak else None,
        "gatherEfficiency": profile.get("gatherEfficiency"), "forwardGatherEfficiency": profile.get("forwardGatherEfficiency"),
        "seconds": {"calibrate": calibrate_s, "stage": stage_s, "total": total_s, "budget": args.budget_s},
        "plans": rows,
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
    print(f"{card}, torch {torch.__version__}: {scenario.name}, {args.iterations} iterations per plan")
    print(f"{'plan':<8} {'measured/s':>12} {'predicted/s':>12} {'error':>8} {'speedup meas':>13} {'pred':>7} {'error':>8}")
    for r in rows:
        print(f"{r['plan']:<8} {r['measuredSamplesPerSec']:>12.4g} {r['predictedSamplesPerSec']:>12.4g} {r['throughputError'] * 100:>7.1f}% "
              f"{r['measuredSpeedupOverB0']:>12.2f}x {r['predictedSpeedupOverB0']:>6.2f}x {r['speedupError'] * 100:>7.1f}%")
    print(f"calibrate {calibrate_s:.1f} s, stage {stage_s:.1f} s, total {total_s:.1f} s; written to {out}")
    if total_s > args.budget_s:
        print(f"error: the run took {total_s:.0f} s, over the budget of {args.budget_s:.0f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
