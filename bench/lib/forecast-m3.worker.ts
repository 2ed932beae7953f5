/** Piscina worker of bench/forecast: every model's forecast of one M3 series. */
import { forecastSeries } from '../../src/forecast/forecast.js';
import { ets, ses, holt, dampedHolt } from '../../src/forecast/models/ets.js';
import { theta, optimizedTheta, autoTheta } from '../../src/forecast/models/theta.js';
import { naive, seasonalNaive } from '../../src/forecast/models/naive.js';
import { ces } from '../../src/forecast/models/ces.js';
import { arima } from '../../src/forecast/models/arima.js';
import type { ModelSpec } from '../../src/forecast/models/model.js';

const SINGLE: Record<string, ModelSpec> = { naive, seasonal_naive: seasonalNaive, ses, holt, damped: dampedHolt, theta, otm: optimizedTheta, auto_theta: autoTheta, ets, ces, arima };

export interface M3Task {
  x: number[];
  xx: number[];
  m: number;
  h: number;
  models: string[];
}

export interface M3Answer {
  forecasts: Record<string, number[]>;
  /** Sluice's intervals: [lower80, upper80, 0.95 quantile (the 95 % upper bound)] per step. */
  intervals: number[][];
  chosen: string;
  backtestMase: number;
  ms: number;
}

export default function run(task: M3Task): M3Answer {
  const y = Float64Array.from(task.x);
  const forecasts: Record<string, number[]> = {};
  for (const name of task.models) {
    if (name === 'sluice') continue;
    const fit = SINGLE[name]!.fit(y, task.m) ?? naive.fit(y, task.m)!;
    forecasts[name] = Array.from(fit.forecast(task.h));
  }
  const t0 = performance.now();
  const f = forecastSeries(y, { horizon: task.h, seasonPeriod: task.m, levels: [0.8, 0.95] });
  const ms = performance.now() - t0;
  forecasts.sluice = Array.from(f.mean);
  const [i80] = f.intervals;
  const intervals = Array.from({ length: task.h }, (_, j) => [i80!.lower[j]!, i80!.upper[j]!, f.quantile(0.95, j)]);
  return { forecasts, intervals, chosen: f.model, backtestMase: f.backtest?.mase ?? NaN, ms };
}
