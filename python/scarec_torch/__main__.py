"""python3 -m scarec_torch validate|check ... (run from the repository with PYTHONPATH=python, or installed).

    validate SCENARIO --plan P [--plan P2 ...] [--predictions PRED.json] [--profile PROF.json]
             [--device cpu|cuda] [--iterations N] [--warmup N] [--seed S] [--json] [--out FILE]
    check    SCENARIO --plan P [--plan P2 ...] [--steps K] [--ranks W]

Exit codes as scarec's: 0 ok, 2 bad input (file and field named), 4 torch or the device missing, 1 internal.
Under torchrun (WORLD_SIZE set) every process is one worker; otherwise a scenario with several GPUs starts one
process per GPU itself (gloo on CPU, NCCL on CUDA).
"""
from __future__ import annotations

import argparse
import json
import sys


def fmt_ms(x):
    return "-" if x is None else f"{x * 1e3:.3f} ms"


def pct(x):
    return "-" if x is None else f"{'+' if x >= 0 else ''}{x * 100:.1f}%"


def format_result(r: dict) -> str:
    from .predict import TERMS, term_phases
    phases_of = term_phases(bool(r.get('coalesce')))
    lines = [f"plan {r['plan']}: measured {fmt_ms(r['measuredSec'])}/iteration (median of {r['iterations']}, {r['ranks']} worker(s), batch {r['batch']})"
             + (f", predicted {fmt_ms(r['predictedSec'])}, error {pct(r['relativeError'])}" if "predictedSec" in r else "")]
    c = r["counts"]
    lines.append(f"  per iteration: {c['lookups']:.0f} lookups, {c['distinct']:.0f} distinct, {c['hostRows']:.0f} host rows, {c['peerRows']:.0f} peer rows")
    lines.append(f"  {'model term (measured phases)':<52} {'measured':>11} {'predicted':>11} {'error':>8}")
    for t in TERMS:
        pred = r.get("predictedTerms", {}).get(t)
        err = r.get("termErrors", {}).get(t[: -len("Sec")])
        lines.append(f"  {t + ' (' + ' + '.join(phases_of[t]) + ')':<52} {fmt_ms(r['measuredTerms'][t]):>11} {fmt_ms(pred):>11} {pct(err):>8}")
        if len(phases_of[t]) > 1:
            for p in phases_of[t]:
                lines.append(f"    {p:<50} {fmt_ms(r['phases'][p]):>11}")
    if not r.get("coalesce"):
        lines.append(f"  {'bookkeeping (not modelled)':<52} {fmt_ms(r['bookkeepingSec']):>11}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m scarec_torch", description="run scarec plans' embedding stage in PyTorch")
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("validate", help="measure plans phase by phase next to the calibrated model")
    v.add_argument("scenario")
    v.add_argument("--plan", action="append", required=True)
    v.add_argument("--predictions", help="coefficients written by scarec (validate --backend torch, bench/gpu/make-inputs.ts)")
    v.add_argument("--profile", help="device profile whose constants the prediction uses (default: the predictions file's)")
    v.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    v.add_argument("--iterations", type=int, default=20)
    v.add_argument("--warmup", type=int, default=3)
    v.add_argument("--seed", type=int, default=7)
    v.add_argument("--sequential", action="store_true", help="one plan at a time (default: interleaved iteration by iteration)")
    v.add_argument("--json", action="store_true")
    v.add_argument("--out")
    c = sub.add_parser("check", help="compare plans after k steps with the nn.EmbeddingBag reference (gloo on CPU)")
    c.add_argument("scenario")
    c.add_argument("--plan", action="append", required=True)
    c.add_argument("--steps", type=int, default=3)
    c.add_argument("--ranks", type=int)
    c.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    try:
        import torch
    except ImportError:
        print(f"error: PyTorch is not installed for {sys.executable} (Debian: apt-get install python3-torch)", file=sys.stderr)
        return 4
    from .formats import InputError, load_plan, load_scenario, read_json
    try:
        scenario = load_scenario(args.scenario)
        plans = [load_plan(f, scenario) for f in args.plan]
        if args.cmd == "check":
            from .check import check
            res = check(scenario, plans, args.ranks or scenario.gpus, args.steps, args.seed)
            print(json.dumps({"scenario": scenario.name, "results": res}))
            return 0
        if args.device == "cuda" and not torch.cuda.is_available():
            print("error: torch: no CUDA device (torch.cuda.is_available() is False)", file=sys.stderr)
            return 4
        predictions = read_json(args.predictions, "predictions") if args.predictions else None
        if predictions is not None and len(predictions.get("plans", [])) != len(plans):
            raise InputError(f"{args.predictions}: plans: {len(predictions.get('plans', []))} predictions for {len(plans)} plans")
        prof = read_json(args.profile, "device profile").get("constants") if args.profile else None
        from .measure import run_plans
        results = run_plans(scenario, plans, args.device, args.iterations, args.warmup, args.seed, predictions, prof, args.sequential)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not results:
        return 0  # a torchrun worker other than rank 0
    dev = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    doc = {"scenario": scenario.name, "device": dev, "torch": torch.__version__, "results": results}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(doc, f, indent=2)
    if args.json:
        print(json.dumps(doc))
    else:
        print(f"embedding stage in PyTorch {torch.__version__} on {dev}\n")
        print("\n\n".join(format_result(r) for r in results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
