import { toString as describeInEnglish } from 'cronstrue';
import { expandCronMacro } from './cron-syntax.js';

/** Plain-language description in English, e.g. "At 09:00 AM" (cronstrue); the expression itself when it cannot be described. Never throws. */
export function describeCron(cronExpression: string): string {
  try {
    return describeInEnglish(expandCronMacro(cronExpression), { throwExceptionOnParseError: true, locale: 'en' });
  } catch {
    return cronExpression;
  }
}
