/**
 * Bad input to the forecasting core: the field it concerns and a message
 * naming it. The pipeline (issue 15) turns it into a user error; the core
 * knows no HTTP status or error-code registry.
 */
export class ForecastInputError extends RangeError {
  override readonly name = 'ForecastInputError';
  constructor(
    readonly field: 'date' | 'quantity' | 'serviceLevel' | 'leadTimeDays' | 'reviewPeriodDays' | 'horizon',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
