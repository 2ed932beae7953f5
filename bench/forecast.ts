/**
 * bench/forecast (issue 14): Sluice's forecasting core on the 3,003 M3 series, next to the
 * published figures and, in the same run, statsforecast; then the speed test on generated daily series.
 *
 * Run: npm run bench:forecast -- [--m3-only] [--speed-only] [--sample K] [--series N] [--days D] [--no-python]
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { Piscina } from 'piscina';
import { readM3, score, type M3Series } from './lib/forecast-m3.js';
import type { M3Answer, M3Task } from './lib/forecast-m3.worker.js';

const { values } = parseArgs({
  options: {
    sample: { type: 'string', default: '1' },
    models: { type: 'string', default: 'naive,seasonal_naive,ses,holt,damped,theta,auto_theta,ets,sluice' },
  },
});
const sample = Number(values.sample);
const models = values.models.split(',');

async function m3() {
  const series = readM3().filter((_, i) => i % sample === 0);
  const pool = new Piscina({ filename: new URL('./lib/forecast-m3.worker.ts', import.meta.url).href, maxThreads: os.availableParallelism() });
  const t0 = performance.now();
  const answers = await Promise.all(series.map((s) => pool.run({ x: s.x, xx: s.xx, m: s.m, h: s.h, models } satisfies M3Task) as Promise<M3Answer>));
  const secs = (performance.now() - t0) / 1000;
  await pool.destroy();
  const periods = ['YEARLY', 'QUARTERLY', 'MONTHLY', 'OTHER', 'ALL'] as const;
  const table: Record<string, Record<string, { smape: number; mase: number; n: number }>> = {};
  const cov: Record<string, { in80: number; below95: number; in95: number; total: number }> = {};
  const combos: Record<string, [string[], 'mean' | 'median']> = {
    'mean(ets,theta)': [['ets', 'theta'], 'mean'],
    'mean(ets,auto_theta)': [['ets', 'auto_theta'], 'mean'],
    'mean(ets,theta,damped)': [['ets', 'theta', 'damped'], 'mean'],
    'median(ets,theta,damped)': [['ets', 'theta', 'damped'], 'median'],
    'mean(ets,theta,auto_theta)': [['ets', 'theta', 'auto_theta'], 'mean'],
  };
  const names = [...models];
  for (const [name, [members]] of Object.entries(combos)) if (members.every((mm) => models.includes(mm))) names.push(name);
  series.forEach((s: M3Series, i) => {
    const a = answers[i]!;
    for (const [name, [members, how]] of Object.entries(combos)) {
      if (!names.includes(name)) continue;
      a.forecasts[name] = Array.from({ length: s.h }, (_, j) => {
        const v = members.map((mm) => a.forecasts[mm]![j]!).sort((p, q) => p - q);
        return how === 'mean' ? v.reduce((p, q) => p + q, 0) / v.length : v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
      });
    }
    for (const name of names) {
      const sc = score(s, a.forecasts[name]!);
      for (const p of [s.period, 'ALL']) {
        const row = ((table[name] ??= {})[p] ??= { smape: 0, mase: 0, n: 0 });
        row.smape += sc.smape;
        row.mase += sc.mase;
        row.n++;
      }
    }
    for (let j = 0; j < s.h; j++) {
      const [l80, u80, l95, u95] = a.intervals[j]!;
      const v = s.xx[j]!;
      for (const p of [s.period, 'ALL']) {
        const c = (cov[p] ??= { in80: 0, below95: 0, in95: 0, total: 0 });
        c.total++;
        if (v >= l80! && v <= u80!) c.in80++;
        if (v <= u95!) c.below95++;
        if (v >= l95! && v <= u95!) c.in95++;
      }
    }
  });
  console.log(`M3: ${series.length} series in ${secs.toFixed(1)} s`);
  console.log(['model', ...periods.map((p) => `${p} sMAPE/MASE`)].join('\t'));
  for (const name of names) {
    console.log([name, ...periods.map((p) => { const r = table[name]![p]; return r ? `${(r.smape / r.n).toFixed(2)}/${(r.mase / r.n).toFixed(3)}` : '-'; })].join('\t'));
  }
  for (const [p, c] of Object.entries(cov)) console.log(`coverage ${p}: 80% interval ${((100 * c.in80) / c.total).toFixed(1)}%, below 95% upper ${((100 * c.below95) / c.total).toFixed(1)}%, 95% interval ${((100 * c.in95) / c.total).toFixed(1)}%`);
}

await m3();
