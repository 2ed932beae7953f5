/** The reference values computed once with statsforecast (test/fixtures/forecast/make-statsforecast-golden.py). */
import { readFileSync } from 'node:fs';

export interface Golden {
  source: string;
  intermittent: { y: number[]; croston: number; sba: number; tsb: number; adida: number; imapa: number }[];
  ets: {
    id: string;
    m: number;
    h: number;
    y: number[];
    fits: Record<'ANN' | 'AAN' | 'AAdN' | 'ZZZ', { components: string; par: (number | null)[]; initial: number[]; loglik: number; aicc: number; mean: number[] }>;
  }[];
  theta: { id: string; m: number; h: number; y: number[]; theta: number[]; otm: number[] }[];
  ces: { id: string; h: number; y: number[]; mean: number[] }[];
}

export const golden = JSON.parse(readFileSync(new URL('../../../test/fixtures/forecast/statsforecast-golden.json', import.meta.url), 'utf8')) as Golden;

export const maxRelativeError = (ours: ArrayLike<number>, ref: number[]) => Math.max(...ref.map((v, j) => Math.abs(ours[j]! - v) / Math.abs(v)));
