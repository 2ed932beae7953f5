/**
 * M3 for bench/forecast: reads the series and scores forecasts with the
 * competition's measures (sMAPE as in Makridakis & Hibon 2000; MASE of
 * Hyndman & Koehler 2006, scaled by the in-sample seasonal naive error).
 */
import { readFileSync } from 'node:fs';
import { naiveScale } from '../../src/forecast/stats.js';

export interface M3Series {
  id: string;
  period: 'YEARLY' | 'QUARTERLY' | 'MONTHLY' | 'OTHER';
  m: number;
  h: number;
  x: number[];
  xx: number[];
}

export const M3_PATH = process.env.SLUICE_M3_PATH ?? new URL('../../../shared/data/forecast/m3.json', import.meta.url).pathname;
const FREQ = { YEARLY: 1, QUARTERLY: 4, MONTHLY: 12, OTHER: 1 } as const;

export function readM3(path = M3_PATH): M3Series[] {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, { period: [M3Series['period']]; h: [number]; x: number[]; xx: number[] }>;
  return Object.entries(raw).map(([id, s]) => ({ id, period: s.period[0], m: FREQ[s.period[0]], h: s.h[0], x: s.x, xx: s.xx }));
}

export interface Score {
  smape: number;
  mase: number;
}

export function score(s: M3Series, f: ArrayLike<number>): Score {
  const scale = naiveScale(s.x, s.m);
  let sm = 0;
  let ae = 0;
  for (let j = 0; j < s.h; j++) {
    const a = s.xx[j]!;
    const p = f[j]!;
    sm += (200 * Math.abs(a - p)) / (Math.abs(a) + Math.abs(p));
    ae += Math.abs(a - p);
  }
  return { smape: sm / s.h, mase: ae / s.h / scale };
}
