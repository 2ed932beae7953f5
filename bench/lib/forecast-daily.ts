/**
 * The speed test's data: daily demand series with a weekly pattern, a trend
 * and noise, a share of them intermittent. Deterministic (xorshift seed per
 * series), so Sluice and statsforecast see the very same numbers.
 */
import { random } from '../../test/helpers/random.js';

export const DAILY_START = '2023-01-02';

/** Series i of the generated set (length `days`). */
export function dailySeries(i: number, days: number, intermittentShare = 0.2): Float64Array {
  const rnd = random(1_000_003 * (i + 1));
  const normal = () => {
    // Box–Muller.
    const u = Math.max(rnd(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
  const y = new Float64Array(days);
  if (rnd() < intermittentShare) {
    const p = 0.1 + 0.3 * rnd();
    const size = 2 + 10 * rnd();
    for (let t = 0; t < days; t++) y[t] = rnd() < p ? Math.max(1, Math.round(size * (1 + 0.5 * normal()))) : 0;
    return y;
  }
  const level = 20 + 200 * rnd();
  const trend = (rnd() - 0.3) * level * 0.001;
  const weekly = Array.from({ length: 7 }, (_, d) => 1 + (d >= 5 ? 0.4 : 0) * rnd() + 0.15 * (rnd() - 0.5));
  const noise = 0.05 + 0.2 * rnd();
  for (let t = 0; t < days; t++) y[t] = Math.max(0, Math.round((level + trend * t) * weekly[t % 7]! * (1 + noise * normal())));
  return y;
}
