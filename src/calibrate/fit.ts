import { matrix, qr, usolve, multiply, transpose, type Matrix } from 'mathjs';

/**
 * Least-squares fit of the model's cost law, time = latency + sum_k x_k / bandwidth_k
 * (proofs/calibration-fit.md). Pure: numbers in, constants and fit quality out.
 */

export interface FitPoint {
  /** regressors, e.g. [bytes] or [bytes, lookups] */
  x: readonly number[];
  /** measured seconds */
  seconds: number;
}

export interface LinearFit {
  /** intercept (seconds) */
  latencySec: number;
  /** slope per regressor (seconds per unit, e.g. seconds per byte) */
  slopes: number[];
  /** 1 - SS_res / SS_tot on the measured seconds (unweighted), 1 when the fit is exact */
  rSquared: number;
  /** largest |predicted - measured| / measured over the points */
  worstRelativeResidual: number;
  /** index of that point */
  worstIndex: number;
  /** the points' predicted seconds */
  predicted: number[];
  points: number;
}

export interface FitOptions {
  /**
   * 'relative' (default) weights each point by 1 / seconds, so small and large measurements count alike
   * (timings span decades); 'absolute' is ordinary least squares.
   */
  weighting?: 'relative' | 'absolute';
  /** force the intercept to zero (no latency term) */
  noIntercept?: boolean;
}

/**
 * Weighted least squares by QR (mathjs): minimise sum_i w_i^2 (y_i - c0 - sum_k c_k x_ik)^2.
 * QR on the scaled design matrix, not the normal equations, keeps the conditioning of the columns
 * (bytes ~ 1e8 next to a column of ones) instead of squaring it.
 */
export function fitLinear(points: readonly FitPoint[], opts: FitOptions = {}): LinearFit {
  const m = points.length;
  if (m === 0) throw new RangeError('fitLinear: no points');
  const k = points[0]!.x.length;
  const withIntercept = !opts.noIntercept;
  const cols = k + (withIntercept ? 1 : 0);
  if (m < cols) throw new RangeError(`fitLinear: ${m} points cannot determine ${cols} coefficients`);
  for (const p of points) {
    if (p.x.length !== k) throw new RangeError('fitLinear: points have different numbers of regressors');
    if (!Number.isFinite(p.seconds) || p.x.some((v) => !Number.isFinite(v))) throw new RangeError('fitLinear: non-finite point');
  }
  // Column scaling: each column divided by its largest magnitude, so the QR sees entries of order 1.
  const scale = new Array<number>(cols).fill(0);
  const row = (p: FitPoint) => (withIntercept ? [1, ...p.x] : [...p.x]);
  for (const p of points) row(p).forEach((v, j) => (scale[j] = Math.max(scale[j]!, Math.abs(v))));
  for (let j = 0; j < cols; j++) if (scale[j] === 0) throw new RangeError(`fitLinear: regressor ${j} is zero at every point`);
  const weight = (p: FitPoint) => (opts.weighting === 'absolute' ? 1 : 1 / Math.max(Math.abs(p.seconds), 1e-300));
  const A = points.map((p) => row(p).map((v, j) => (v / scale[j]!) * weight(p)));
  const y = points.map((p) => p.seconds * weight(p));
  const { Q, R } = qr(matrix(A)) as unknown as { Q: Matrix; R: Matrix };
  const qty = multiply(transpose(Q), matrix(y)) as Matrix;
  const Rt = (R.toArray() as number[][]).slice(0, cols).map((r) => r.slice(0, cols));
  const rhs = (qty.toArray() as number[]).slice(0, cols);
  for (let j = 0; j < cols; j++)
    if (Math.abs(Rt[j]![j]!) < 1e-12 * Math.abs(Rt[0]![0]!)) throw new RangeError('fitLinear: regressors are collinear');
  const solved = (usolve(matrix(Rt), matrix(rhs)) as Matrix).toArray() as unknown as number[][] | number[];
  const coef = (solved as Array<number | number[]>).map((v, j) => (Array.isArray(v) ? v[0]! : v) / scale[j]!);
  const latencySec = withIntercept ? coef[0]! : 0;
  const slopes = withIntercept ? coef.slice(1) : coef;
  const predicted = points.map((p) => latencySec + p.x.reduce((s, v, j) => s + v * slopes[j]!, 0));
  const mean = points.reduce((s, p) => s + p.seconds, 0) / m;
  let ssRes = 0;
  let ssTot = 0;
  let worstRelativeResidual = 0;
  let worstIndex = 0;
  points.forEach((p, i) => {
    const r = predicted[i]! - p.seconds;
    ssRes += r * r;
    ssTot += (p.seconds - mean) ** 2;
    const rel = Math.abs(r) / Math.abs(p.seconds);
    if (rel > worstRelativeResidual) {
      worstRelativeResidual = rel;
      worstIndex = i;
    }
  });
  return {
    latencySec,
    slopes,
    rSquared: ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0,
    worstRelativeResidual,
    worstIndex,
    predicted,
    points: m,
  };
}

/** The common one-regressor case: seconds = latency + bytes / bytesPerSec. */
export interface BandwidthFit {
  latencySec: number;
  bytesPerSec: number;
  rSquared: number;
  worstRelativeResidual: number;
  points: number;
}

/**
 * Fit seconds = latency + bytes / bytesPerSec. A latency cannot be negative: when the free fit's intercept
 * comes out below zero (noise, or throughput rising with size), the fit is redone through the origin,
 * which is the constrained least-squares optimum in that case (proofs/calibration-fit.md §2).
 */
export function fitBandwidth(points: ReadonlyArray<{ bytes: number; seconds: number }>, opts: FitOptions = {}): BandwidthFit {
  const pts = points.map((p) => ({ x: [p.bytes], seconds: p.seconds }));
  let f = fitLinear(pts, opts);
  if (f.latencySec < 0 && !opts.noIntercept) f = fitLinear(pts, { ...opts, noIntercept: true });
  const slope = f.slopes[0]!;
  if (!(slope > 0)) throw new RangeError('fitBandwidth: time does not grow with bytes (slope <= 0); measure larger sizes');
  return {
    latencySec: f.latencySec,
    bytesPerSec: 1 / slope,
    rSquared: f.rSquared,
    worstRelativeResidual: f.worstRelativeResidual,
    points: f.points,
  };
}

/** One measurement of a random row-access kernel: `rows` accesses moving `bytes` bytes in `seconds`. */
export interface RowCostPoint {
  rows: number;
  bytes: number;
  seconds: number;
}

/** The per-tier law time = latency + rows * secondsPerRow + bytes / bytesPerSec (proofs/calibration-fit.md §6). */
export interface RowCostFit {
  /** per-call latency (intercept), seconds, >= 0 */
  latencySec: number;
  /** fixed cost of one random row access, seconds, >= 0 */
  secondsPerRow: number;
  /**
   * bandwidth, bytes per second: finite whenever `minSecondsPerByte` > 0 (at most 1 / minSecondsPerByte);
   * Infinity only when no bound was given and the bytes term is 0 at the optimum
   */
  bytesPerSec: number;
  /**
   * true when the per-byte term sits on its lower bound (`minSecondsPerByte`): the data do not identify it
   * above the bound, so `bytesPerSec` is the stated bound (the fastest the memory can move bytes), not a fit
   */
  bytesPerSecAtBound: boolean;
  rSquared: number;
  worstRelativeResidual: number;
  /** the points' predicted seconds */
  predicted: number[];
  points: number;
}

export interface RowCostOptions extends Pick<FitOptions, 'weighting'> {
  /**
   * A physical lower bound on the per-byte term, seconds per byte (e.g. 1 / the copy bandwidth: a gather
   * cannot move bytes faster than a memory copy does). The fit is then time = c0 + c1 rows + c2 bytes with
   * c0, c1 >= 0 and c2 >= minSecondsPerByte (proofs/calibration-fit.md §6, §8). Default 0.
   */
  minSecondsPerByte?: number;
  /**
   * Hold the per-byte term at `minSecondsPerByte` exactly and fit only c0, c1 >= 0: for a family whose per-byte
   * cost a separate sweep measures (the receive buffer's gathers, whose bytes cost what a copy of their output
   * costs: proofs/calibration-fit.md §7a), so that the noise of the gathers' largest rows does not set it.
   */
  fixedSecondsPerByte?: boolean;
}

/**
 * Fit time = c0 + c1 rows + c2 bytes with c0, c1 >= 0 and c2 >= minSecondsPerByte (bounded least squares),
 * relative weighting by default. With c2 = lb + c2', c2' >= 0, it is non-negative least squares on the shifted
 * times t - lb bytes with the original weights; the optimum of a least-squares problem with non-negativity
 * constraints is the unconstrained optimum on some subset of the columns (its support) with non-negative
 * coefficients (proofs/calibration-fit.md §6), so with three columns it is found by trying all seven subsets,
 * keeping the feasible one with the least weighted residual. The rows and bytes columns must both vary
 * independently (several row sizes), or the fit refuses as collinear.
 */
export function fitRowCost(points: readonly RowCostPoint[], opts: RowCostOptions = {}): RowCostFit {
  if (points.length < 3) throw new RangeError(`fitRowCost: ${points.length} points cannot determine 3 coefficients`);
  const lb = opts.minSecondsPerByte ?? 0;
  if (!(lb >= 0) || !Number.isFinite(lb)) throw new RangeError('fitRowCost: minSecondsPerByte must be a finite number >= 0');
  const weight = (p: RowCostPoint) => (opts.weighting === 'absolute' ? 1 : 1 / Math.max(Math.abs(p.seconds), 1e-300));
  // The weights go into the design (columns w, w rows, w bytes; target w (t - lb bytes)), so the shift keeps
  // each point's weight of its measured time.
  const cols = [(p: RowCostPoint) => weight(p), (p: RowCostPoint) => weight(p) * p.rows, (p: RowCostPoint) => weight(p) * p.bytes];
  const target = (p: RowCostPoint) => weight(p) * (p.seconds - lb * p.bytes);
  const scaled = (use: number[]) => points.map((p) => ({ x: use.map((j) => cols[j]!(p)), seconds: target(p) }));
  if (opts.fixedSecondsPerByte && !(lb > 0)) throw new RangeError('fitRowCost: a fixed per-byte term needs minSecondsPerByte > 0');
  // the full problem first: collinear data (one row size only) is an error, not a subset choice (with the
  // per-byte term fixed there is no bytes column to be collinear with)
  if (!opts.fixedSecondsPerByte) fitLinear(scaled([0, 1, 2]), { weighting: 'absolute', noIntercept: true });
  let best: { coef: number[]; ssr: number } | undefined;
  for (let mask = 1; mask < (opts.fixedSecondsPerByte ? 4 : 8); mask++) {
    const use = [0, 1, 2].filter((j) => mask & (1 << j));
    // a constant alone is not a row-cost law (unless the bound already charges the bytes)
    if ((mask & 6) === 0 && lb === 0) continue;
    let f: LinearFit;
    try {
      f = fitLinear(scaled(use), { weighting: 'absolute', noIntercept: true });
    } catch {
      continue; // a subset whose columns are zero or collinear
    }
    const coef = [0, 0, 0];
    use.forEach((j, i) => (coef[j] = f.slopes[i]!));
    if (coef.some((c) => c < 0)) continue;
    const ssr = points.reduce((s, p) => s + (target(p) - cols[0]!(p) * coef[0]! - cols[1]!(p) * coef[1]! - cols[2]!(p) * coef[2]!) ** 2, 0);
    if (!best || ssr < best.ssr) best = { coef, ssr };
  }
  if (!best) throw new RangeError('fitRowCost: no non-negative fit (time does not grow with rows or bytes)');
  const [c0, c1, excess] = best.coef as [number, number, number];
  const c2 = lb + excess;
  const predicted = points.map((p) => c0 + c1 * p.rows + c2 * p.bytes);
  return {
    latencySec: c0,
    secondsPerRow: c1,
    bytesPerSec: c2 > 0 ? 1 / c2 : Infinity,
    bytesPerSecAtBound: lb > 0 && excess === 0 && !opts.fixedSecondsPerByte,
    ...fitQuality(points, predicted),
    predicted,
    points: points.length,
  };
}

/** R^2 on the unweighted seconds and the worst relative residual of predicted against measured (§3). */
function fitQuality(points: ReadonlyArray<{ seconds: number }>, predicted: readonly number[]): { rSquared: number; worstRelativeResidual: number } {
  const mean = points.reduce((s, p) => s + p.seconds, 0) / points.length;
  let ssRes = 0;
  let ssTot = 0;
  let worst = 0;
  points.forEach((p, i) => {
    const r = predicted[i]! - p.seconds;
    ssRes += r * r;
    ssTot += (p.seconds - mean) ** 2;
    worst = Math.max(worst, Math.abs(r) / Math.abs(p.seconds));
  });
  return { rSquared: ssTot > 0 ? 1 - ssRes / ssTot : ssRes === 0 ? 1 : 0, worstRelativeResidual: worst };
}

/**
 * The latency of a link law t = a + bytes / B with B already fixed (fitted past the caches): the weighted
 * least-squares a = sum w^2 (t - bytes / B) / sum w^2 over the given (small) transfers, clipped at 0
 * (proofs/calibration-fit.md §4). Small transfers are where the latency matters and where it is visible.
 */
export function fitLatencyGivenBandwidth(points: ReadonlyArray<{ bytes: number; seconds: number }>, bytesPerSec: number): number {
  if (points.length === 0) throw new RangeError('fitLatencyGivenBandwidth: no points');
  let num = 0;
  let den = 0;
  for (const p of points) {
    const w2 = 1 / Math.max(p.seconds, 1e-300) ** 2;
    num += w2 * (p.seconds - p.bytes / bytesPerSec);
    den += w2;
  }
  return Math.max(0, num / den);
}

/**
 * One row-cost law for several kernel families that the model charges alike (a tier's gathers and optimizer
 * updates: proofs/calibration-fit.md §6a). Each family is fitted on its own (`fitRowCost`, same bound), then the
 * one law is the bounded relative least-squares fit to the families' fitted times at their measured points:
 * the pooled fit of the measurements with each family's noise replaced by its own law. When the families
 * follow one law it is that law; when they do not (an update's written bytes cost more than a gather's read
 * bytes), a direct pooled fit is a compromise whose split between the per-row and the per-byte term follows the
 * noise of the family that fits it worst, while this one moves only as much as the families' own fits do.
 * Fit quality (R^2, worst residual) is reported against the measured points. A family with fewer than three
 * points, or whose own fit refuses, is used as measured.
 */
export function fitPooledRowCost(families: ReadonlyArray<readonly RowCostPoint[]>, opts: RowCostOptions = {}): RowCostFit {
  const measured = families.flat();
  const smoothed: RowCostPoint[] = [];
  for (const pts of families) {
    let law: RowCostFit | undefined;
    if (pts.length >= 3)
      try {
        law = fitRowCost(pts, opts);
      } catch {
        law = undefined; // e.g. one row size only: the family enters as measured
      }
    pts.forEach((p, i) => smoothed.push(law ? { ...p, seconds: law.predicted[i]! } : p));
  }
  const f = fitRowCost(smoothed, opts);
  const c2 = Number.isFinite(f.bytesPerSec) ? 1 / f.bytesPerSec : 0;
  const predicted = measured.map((p) => f.latencySec + f.secondsPerRow * p.rows + c2 * p.bytes);
  return { ...f, ...fitQuality(measured, predicted), predicted, points: measured.length };
}
