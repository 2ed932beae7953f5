/**
 * Bounded Nelder–Mead minimiser for the models' likelihoods.
 *
 * Nelder & Mead (1965), "A simplex method for function minimization",
 * Computer Journal 7(4); with the dimension-adaptive coefficients of Gao & Han
 * (2012), "Implementing the Nelder-Mead simplex algorithm with adaptive
 * parameters", Computational Optimization and Applications 51(1), which keep
 * the simplex from collapsing in the 10–17 dimensions of a seasonal ETS.
 * Points are clamped into [lower, upper] as in statsforecast's nelder_mead.
 *
 * Why our own: npm's `fmin` (last published 2017) allocates arrays on every
 * step; the models call this thousands of times per item, so the simplex
 * lives in one preallocated Float64Array and nothing is allocated per step.
 */

export interface NelderMeadOptions {
  lower: Float64Array;
  upper: Float64Array;
  /** Initial simplex step per coordinate (absolute). */
  step: Float64Array;
  maxEvaluations?: number;
  /** Stop when the spread of the simplex's values falls below this (relative to |best|+tol). */
  tolerance?: number;
}

export interface NelderMeadResult {
  x: Float64Array;
  value: number;
  evaluations: number;
}

export function nelderMead(f: (x: Float64Array) => number, x0: Float64Array, options: NelderMeadOptions): NelderMeadResult {
  const n = x0.length;
  const { lower, upper, step } = options;
  const maxEval = options.maxEvaluations ?? 200 * n;
  const tol = options.tolerance ?? 1e-8;
  const alpha = 1;
  const gamma = n > 2 ? 1 + 2 / n : 2;
  const rho = n > 2 ? 0.75 - 1 / (2 * n) : 0.5;
  const sigma = n > 2 ? 1 - 1 / n : 0.5;

  const simplex = new Float64Array((n + 1) * n);
  const values = new Float64Array(n + 1);
  const centroid = new Float64Array(n);
  const xr = new Float64Array(n);
  const xe = new Float64Array(n);
  const xc = new Float64Array(n);
  const order = new Int32Array(n + 1);
  let evaluations = 0;

  const clamp = (x: Float64Array) => {
    for (let j = 0; j < n; j++) {
      if (x[j]! < lower[j]!) x[j] = lower[j]!;
      else if (x[j]! > upper[j]!) x[j] = upper[j]!;
    }
  };
  const evaluate = (x: Float64Array) => {
    evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Infinity : v;
  };
  const vertex = (i: number) => simplex.subarray(i * n, (i + 1) * n);

  for (let i = 0; i <= n; i++) {
    const v = vertex(i);
    v.set(x0);
    if (i > 0) {
      const j = i - 1;
      v[j] = v[j]! + step[j]!;
      if (v[j]! > upper[j]!) v[j] = x0[j]! - step[j]!;
    }
    clamp(v);
    values[i] = evaluate(v);
  }

  for (let i = 0; i <= n; i++) order[i] = i;
  while (evaluations < maxEval) {
    // Insertion sort of the vertex order by value (n is small).
    for (let i = 1; i <= n; i++) {
      const k = order[i]!;
      const vk = values[k]!;
      let j = i - 1;
      while (j >= 0 && values[order[j]!]! > vk) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = k;
    }
    const best = order[0]!;
    const worst = order[n]!;
    const secondWorst = order[n - 1]!;
    const fBest = values[best]!;
    const fWorst = values[worst]!;
    if (Number.isFinite(fWorst) && Math.abs(fWorst - fBest) <= tol * (Math.abs(fBest) + tol)) break;

    centroid.fill(0);
    for (let i = 0; i < n; i++) {
      const v = vertex(order[i]!);
      for (let j = 0; j < n; j++) centroid[j] = centroid[j]! + v[j]! / n;
    }
    const w = vertex(worst);
    for (let j = 0; j < n; j++) xr[j] = centroid[j]! + alpha * (centroid[j]! - w[j]!);
    clamp(xr);
    const fr = evaluate(xr);
    if (fr < fBest) {
      for (let j = 0; j < n; j++) xe[j] = centroid[j]! + gamma * (xr[j]! - centroid[j]!);
      clamp(xe);
      const fe = evaluate(xe);
      if (fe < fr) {
        w.set(xe);
        values[worst] = fe;
      } else {
        w.set(xr);
        values[worst] = fr;
      }
      continue;
    }
    if (fr < values[secondWorst]!) {
      w.set(xr);
      values[worst] = fr;
      continue;
    }
    // Contraction: outside when the reflected point beats the worst, inside otherwise.
    const outside = fr < fWorst;
    for (let j = 0; j < n; j++) xc[j] = outside ? centroid[j]! + rho * (xr[j]! - centroid[j]!) : centroid[j]! + rho * (w[j]! - centroid[j]!);
    clamp(xc);
    const fc = evaluate(xc);
    if (fc < (outside ? fr : fWorst)) {
      w.set(xc);
      values[worst] = fc;
      continue;
    }
    // Shrink towards the best vertex.
    const b = vertex(best);
    for (let i = 0; i <= n; i++) {
      if (i === best) continue;
      const v = vertex(i);
      for (let j = 0; j < n; j++) v[j] = b[j]! + sigma * (v[j]! - b[j]!);
      values[i] = evaluate(v);
    }
  }
  let bi = 0;
  for (let i = 1; i <= n; i++) if (values[i]! < values[bi]!) bi = i;
  return { x: vertex(bi).slice(), value: values[bi]!, evaluations };
}
