/**
 * Demand classes of Syntetos, Boylan & Croston (2005), "On the categorization
 * of demand patterns", JORS 56(5): the average inter-demand interval (ADI)
 * against 1.32 and the squared coefficient of variation of the non-zero
 * demand sizes (CV²) against 0.49.
 */
export type DemandClass = 'smooth' | 'erratic' | 'intermittent' | 'lumpy' | 'no_demand';

export const ADI_CUTOFF = 1.32;
export const CV2_CUTOFF = 0.49;

export interface DemandProfile {
  demandClass: DemandClass;
  /** Periods per non-zero demand (Infinity without demand). */
  adi: number;
  /** Squared coefficient of variation of the non-zero demands (population variance / mean²). */
  cv2: number;
  /** Periods with a non-zero demand. */
  demandPeriods: number;
}

/** Classifies a demand series; missing values (NaN) are left out. */
export function classifyDemand(y: ArrayLike<number>): DemandProfile {
  let periods = 0;
  let count = 0;
  let sum = 0;
  let sumSq = 0;
  for (let t = 0; t < y.length; t++) {
    const v = y[t]!;
    if (Number.isNaN(v)) continue;
    periods++;
    if (v !== 0) {
      count++;
      sum += v;
      sumSq += v * v;
    }
  }
  if (count === 0) return { demandClass: 'no_demand', adi: Infinity, cv2: NaN, demandPeriods: 0 };
  const adi = periods / count;
  const m = sum / count;
  const variance = Math.max(0, sumSq / count - m * m);
  const cv2 = m !== 0 ? variance / (m * m) : 0;
  const intermittent = adi >= ADI_CUTOFF;
  const variable = cv2 >= CV2_CUTOFF;
  const demandClass: DemandClass = intermittent ? (variable ? 'lumpy' : 'intermittent') : variable ? 'erratic' : 'smooth';
  return { demandClass, adi, cv2, demandPeriods: count };
}
