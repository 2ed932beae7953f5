/**
 * bench/forecast (issue 14): Sluice's forecasting core (src/forecast) against the published M3
 * results and Nixtla's statsforecast, in one run on this machine.
 *
 *   (a) accuracy on the 3,003 M3 series at the competition horizons: sMAPE and MASE per period and
 *       overall, for each model and for Sluice's forecast (selection/combination), next to the
 *       published figures and statsforecast's AutoETS and AutoTheta; goal MASE ≤ 1.32, sMAPE ≤ 12.5,
 *       better than seasonal naive in every period;
 *   (b) interval coverage on M3's held-out futures (80 % interval, 95 % upper bound);
 *   (c) speed: N generated daily series × D days (weekly pattern, trend, noise, 20 % intermittent),
 *       Sluice's whole forecast and plan (streamed through its worker pool) against statsforecast's
 *       AutoETS (n_jobs = cores) on the same numbers; goal ≤ 1× its time, peak RSS < 500 MB.
 *
 * Run: npm run bench:forecast -- [--series 10000] [--days 730] [--sample 1] [--no-m3] [--no-speed] [--no-python]
 * statsforecast runs in a venv cached under /var/cache/sluice (or ~/.cache/sluice), created on first use.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Piscina } from 'piscina';
import { readM3, score, type M3Series } from './lib/forecast-m3.js';
import type { M3Answer, M3Task } from './lib/forecast-m3.worker.js';
import { statsforecastPython, STATSFORECAST_VERSION } from './lib/forecast-python.js';
import { dailySeries, DAILY_START } from './lib/forecast-daily.js';
import { forecastItems } from '../src/forecast/index.js';
import { addPeriods } from '../src/forecast/series.js';

const { values } = parseArgs({
  options: {
    sample: { type: 'string', default: '1' },
    series: { type: 'string', default: '10000' },
    days: { type: 'string', default: '730' },
    horizon: { type: 'string', default: '28' },
    'no-m3': { type: 'boolean', default: false },
    'no-speed': { type: 'boolean', default: false },
    'no-python': { type: 'boolean', default: false },
    models: { type: 'string', default: 'naive,seasonal_naive,ses,holt,damped,theta,otm,auto_theta,ces,ets,arima,sluice' },
    // Internal: the speed test's Sluice side, in its own process so that its peak RSS is its own.
    'speed-child': { type: 'boolean', default: false },
  },
});
const here = path.dirname(fileURLToPath(import.meta.url));
const load = () => os.loadavg().map((v) => v.toFixed(2)).join(' ');
const cores = os.availableParallelism();

const PUBLISHED: [string, number, number][] = [
  ['Theta (published)', 12.76, 1.39],
  ['ETS auto, R (published)', 13.07, 1.43],
  ['ARIMA auto, R (published)', 13.61, 1.45],
  ['mean of the three (published)', 12.79, 1.4],
  ['statsforecast mean(AutoETS, AutoTheta, AutoARIMA), measured here before', 12.52, 1.328],
];

type Row = { smape: number; mase: number; n: number };
const PERIODS = ['YEARLY', 'QUARTERLY', 'MONTHLY', 'OTHER', 'ALL'] as const;

function coverageOf(s: M3Series, lo80: number[], hi80: number[], hi95: number[], acc: Record<string, { in80: number; below95: number; total: number }>) {
  for (let j = 0; j < s.h; j++) {
    const v = s.xx[j]!;
    for (const p of [s.period, 'ALL']) {
      const c = (acc[p] ??= { in80: 0, below95: 0, total: 0 });
      c.total++;
      if (v >= lo80[j]! && v <= hi80[j]!) c.in80++;
      if (v <= hi95[j]!) c.below95++;
    }
  }
}

async function m3(python: string | null) {
  const sample = Number(values.sample);
  const models = values.models.split(',');
  const series = readM3().filter((_, i) => i % sample === 0);
  console.log(`\n== M3: ${series.length} series, ${cores} worker threads, load average ${load()} ==`);
  const pool = new Piscina({ filename: new URL('./lib/forecast-m3.worker.ts', import.meta.url).href, maxThreads: cores, minThreads: cores });
  const t0 = performance.now();
  const answers = await Promise.all(series.map((s) => pool.run({ x: s.x, xx: s.xx, m: s.m, h: s.h, models } satisfies M3Task) as Promise<M3Answer>));
  const wall = (performance.now() - t0) / 1000;
  await pool.destroy();
  const sluiceMs = answers.reduce((a, b) => a + b.ms, 0);
  console.log(`all models: ${wall.toFixed(1)} s wall; Sluice's forecast alone ${(sluiceMs / 1000).toFixed(1)} s of CPU`);

  const forecasts: Record<string, number[][]> = {};
  for (const name of models) forecasts[name] = answers.map((a) => a.forecasts[name]!);
  const coverage: Record<string, Record<string, { in80: number; below95: number; total: number }>> = { sluice: {} };
  series.forEach((s, i) => {
    const iv = answers[i]!.intervals;
    coverageOf(s, iv.map((r) => r[0]!), iv.map((r) => r[1]!), iv.map((r) => r[2]!), coverage.sluice!);
  });

  if (python) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'));
    writeFileSync(path.join(dir, 'in.json'), JSON.stringify(series.map((s) => ({ id: s.id, m: s.m, h: s.h, x: s.x }))));
    const run = spawnSync(python, [path.join(here, 'forecast_statsforecast.py'), 'm3', path.join(dir, 'in.json'), path.join(dir, 'out.json')], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (run.status === 0) {
      const out = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) as { forecasts: Record<string, Record<string, { mean: number[]; lo80: number[]; hi80: number[]; hi95: number[] }>>; seconds: Record<string, number> };
      for (const [name, byId] of Object.entries(out.forecasts)) {
        const key = `statsforecast ${name}`;
        forecasts[key] = series.map((s) => byId[s.id]!.mean);
        coverage[key] = {};
        series.forEach((s) => coverageOf(s, byId[s.id]!.lo80, byId[s.id]!.hi80, byId[s.id]!.hi95, coverage[key]!));
        console.log(`statsforecast ${STATSFORECAST_VERSION} ${name}: ${out.seconds[name]!.toFixed(1)} s (n_jobs = ${cores})`);
      }
      forecasts['statsforecast mean(AutoETS, AutoTheta)'] = series.map((s) => out.forecasts.AutoETS![s.id]!.mean.map((v, j) => (v + out.forecasts.AutoTheta![s.id]!.mean[j]!) / 2));
    } else console.log(`statsforecast failed, its columns are skipped: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    rmSync(dir, { recursive: true, force: true });
  }

  const table: Record<string, Record<string, Row>> = {};
  for (const [name, fcs] of Object.entries(forecasts)) {
    series.forEach((s, i) => {
      const sc = score(s, fcs[i]!);
      for (const p of [s.period, 'ALL']) {
        const r = ((table[name] ??= {})[p] ??= { smape: 0, mase: 0, n: 0 });
        r.smape += sc.smape;
        r.mase += sc.mase;
        r.n++;
      }
    });
  }
  const cell = (r: Row | undefined) => (r ? `${(r.smape / r.n).toFixed(2)} / ${(r.mase / r.n).toFixed(3)}` : '-');
  console.log(`\nsMAPE / MASE (M3 definitions), ${series.length} series`);
  console.log(['model'.padEnd(44), ...PERIODS.map((p) => p.padStart(16))].join(''));
  for (const name of Object.keys(forecasts)) console.log([(name === 'sluice' ? 'SLUICE (combination/selection)' : name).padEnd(44), ...PERIODS.map((p) => cell(table[name]![p]).padStart(16))].join(''));
  for (const [name, smape, mase] of PUBLISHED) console.log([name.padEnd(44), ...PERIODS.map((p) => (p === 'ALL' ? `${smape.toFixed(2)} / ${mase.toFixed(3)}` : '').padStart(16))].join(''));
  const all = table.sluice!.ALL!;
  const sm = all.smape / all.n;
  const ma = all.mase / all.n;
  const beatsSnaive = PERIODS.every((p) => table.sluice![p]!.mase < table.seasonal_naive![p]!.mase && table.sluice![p]!.smape < table.seasonal_naive![p]!.smape);
  console.log(`\ngoal MASE ≤ 1.32 and sMAPE ≤ 12.5: ${ma <= 1.32 && sm <= 12.5 ? 'MET' : 'NOT MET'} (${sm.toFixed(2)} / ${ma.toFixed(3)}); better than seasonal naive in every period: ${beatsSnaive ? 'yes' : 'NO'}`);
  console.log('\ninterval coverage on the held-out futures (goal: 80 % interval 76–84 %, below the 95 % upper bound, the 0.95 quantile, 92–98 %)');
  for (const [name, byPeriod] of Object.entries(coverage)) {
    console.log(`  ${name.padEnd(28)} ${PERIODS.map((p) => { const c = byPeriod[p]; return c ? `${p} ${((100 * c.in80) / c.total).toFixed(1)}/${((100 * c.below95) / c.total).toFixed(1)}` : ''; }).join('  ')}`);
  }
}

/** The Sluice side of the speed test (a child process): prints one JSON line. */
async function speedChild() {
  const n = Number(values.series);
  const d = Number(values.days);
  const horizon = Number(values.horizon);
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  function* items() {
    for (let i = 0; i < n; i++) {
      const y = dailySeries(i, d);
      yield { key: String(i), rows: Array.from(y, (q, t) => ({ date: addPeriods(DAILY_START, 'day', t), quantity: q })) };
    }
  }
  const models: Record<string, number> = {};
  const t0 = performance.now();
  let count = 0;
  for await (const r of forecastItems(items(), { horizon, threads: cores })) {
    count++;
    const m = r.plan.model.startsWith('mean(') ? 'mean(ets,theta,ces)' : r.plan.model;
    models[m] = (models[m] ?? 0) + 1;
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  console.log(JSON.stringify({ seconds, count, peakMb: Math.max(peak / 1e6, hwm ? Number(hwm[1]) / 1e3 : 0), models }));
}

async function speed(python: string | null) {
  const n = Number(values.series);
  const d = Number(values.days);
  console.log(`\n== speed: ${n} daily series × ${d} days, horizon ${values.horizon}, ${cores} cores, load average ${load()} ==`);
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--speed-child', '--series', String(n), '--days', String(d), '--horizon', values.horizon], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  const sluice = JSON.parse(out.trim().split('\n').pop()!) as { seconds: number; count: number; peakMb: number; models: Record<string, number> };
  console.log(`Sluice (prepare, classify, backtest, combination/selection, intervals, plan): ${sluice.seconds.toFixed(1)} s for ${sluice.count} items, peak RSS ${sluice.peakMb.toFixed(0)} MB; load average now ${load()}`);
  console.log(`  models: ${JSON.stringify(sluice.models)}`);
  if (!python) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'));
  const file = path.join(dir, 'daily.f64');
  const fd = openSync(file, 'w');
  for (let i = 0; i < n; i++) writeSync(fd, Buffer.from(dailySeries(i, d).buffer));
  closeSync(fd);
  const run = spawnSync(python, [path.join(here, 'forecast_statsforecast.py'), 'daily', file, path.join(dir, 'out.json'), String(n), String(d), values.horizon], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.status !== 0) {
    console.log(`statsforecast failed: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  } else {
    const sf = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) as { seconds: number; rss_mb: number };
    const ratio = sluice.seconds / sf.seconds;
    console.log(`statsforecast ${STATSFORECAST_VERSION} AutoETS(season_length=7), n_jobs=${cores}: ${sf.seconds.toFixed(1)} s; load average now ${load()}`);
    console.log(`ratio Sluice / statsforecast AutoETS: ${ratio.toFixed(2)} (goal ≤ 1: ${ratio <= 1 ? 'MET' : 'NOT MET'}); Sluice peak RSS ${sluice.peakMb.toFixed(0)} MB (goal < 500: ${sluice.peakMb < 500 ? 'MET' : 'NOT MET'})`);
  }
  rmSync(dir, { recursive: true, force: true });
}

if (values['speed-child']) await speedChild();
else {
  let python: string | null = null;
  if (!values['no-python']) {
    const p = statsforecastPython();
    if ('skip' in p) console.log(p.skip);
    else python = p.python;
  } else console.log('--no-python: statsforecast columns skipped');
  if (!values['no-m3']) await m3(python);
  if (!values['no-speed']) await speed(python);
}
