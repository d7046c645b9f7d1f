/** Exhaustive enumeration of all K-tuples of lookups over a tiny distribution: the exact law of U. */
export function uniqueLaw(probs: readonly number[], K: number): number[] {
  const N = probs.length;
  const law = new Array<number>(N + 1).fill(0);
  const tuple = new Array<number>(K).fill(0);
  const total = N ** K;
  for (let t = 0; t < total; t++) {
    let rest = t;
    let pr = 1;
    for (let j = 0; j < K; j++) {
      tuple[j] = rest % N;
      rest = Math.floor(rest / N);
      pr *= probs[tuple[j]!]!;
    }
    law[new Set(tuple).size] += pr;
  }
  return law;
}

export const lawMean = (law: readonly number[]) => law.reduce((s, q, u) => s + q * u, 0);
export const lawVariance = (law: readonly number[]) => {
  const m = lawMean(law);
  return law.reduce((s, q, u) => s + q * (u - m) ** 2, 0);
};
