/** The benchmarks every other model must beat: naive and seasonal naive. */
import type { FittedModel, ModelSpec } from './model.js';

function seasonalNaiveFit(y: Float64Array, m: number, name: string): FittedModel {
  const lag = m > 1 && y.length >= m ? m : 1;
  const forecastFrom = (series: Float64Array, t: number, h: number, out: Float64Array, offset: number) => {
    for (let j = 0; j < h; j++) out[offset + j] = series[t - lag + (j % lag)]!;
  };
  return {
    name,
    forecast(h) {
      const out = new Float64Array(h);
      forecastFrom(y, y.length, h, out, 0);
      return out;
    },
    rolling(series, from, h, out) {
      for (let t = from; t < series.length; t++) forecastFrom(series, t, h, out, (t - from) * h);
    },
  };
}

/** The last value, repeated. */
export const naive: ModelSpec = {
  name: 'naive',
  fit: (y) => (y.length >= 1 ? seasonalNaiveFit(y, 1, 'naive') : null),
};

/** The value of the same season one cycle before (naive when the history is shorter than a season). */
export const seasonalNaive: ModelSpec = {
  name: 'seasonal_naive',
  fit: (y, m) => (y.length >= 1 ? seasonalNaiveFit(y, m, 'seasonal_naive') : null),
};
