/**
 * The shape every model shares. A model is fitted once on a history; the
 * fitted model forecasts from the end of that history, and replays its
 * filter with the same parameters over a longer series to forecast from
 * later origins (the rolling-origin backtest without refitting at each
 * origin: Tashman 2000, "Out-of-sample tests of forecasting accuracy",
 * IJF 16(4), the "fixed-parameter" variant).
 */
export interface FittedModel {
  readonly name: string;
  /** Point forecasts for the h periods after the fitted history. */
  forecast(h: number): Float64Array;
  /**
   * For every origin t in [from, y.length), the forecasts of y[t], …, y[t+h-1]
   * made from y[0..t) with the fitted parameters, written to out[(t - from) * h + j].
   * `y` starts with the fitted history.
   */
  rolling(y: Float64Array, from: number, h: number, out: Float64Array): void;
}

export interface ModelSpec {
  readonly name: string;
  /** Fits on y (length ≥ 1) with seasonal period m (1 = none); null when the model cannot fit this history. */
  fit(y: Float64Array, m: number): FittedModel | null;
  /**
   * Fits again on a longer history, reusing what the earlier fit chose (a
   * model form, starting parameters). Defaults to `fit`.
   */
  refit?(y: Float64Array, m: number, earlier: FittedModel): FittedModel | null;
}

/** A fitted model whose rolling forecasts are made by refitting at every origin (cheap models only). */
export function refitRolling(spec: ModelSpec, m: number, fitted: Omit<FittedModel, 'rolling'>): FittedModel {
  return {
    ...fitted,
    forecast: fitted.forecast,
    rolling(y, from, h, out) {
      for (let t = from; t < y.length; t++) {
        const model = spec.fit(y.subarray(0, t), m);
        const f = model ? model.forecast(h) : new Float64Array(h).fill(y[t - 1]!);
        out.set(f, (t - from) * h);
      }
    },
  };
}
