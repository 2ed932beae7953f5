import { createRequire } from 'node:module';
import { expandCronMacro } from './cron-syntax.js';

type Describe = (expression: string, options: { throwExceptionOnParseError: boolean; locale: string }) => string;

// cronstrue is loaded on the first description (~7 MB): workers that only run tasks never need it.
const require = createRequire(import.meta.url);
let describeInEnglish: Describe | undefined;

/** Plain-language description in English, e.g. "At 09:00 AM" (cronstrue); the expression itself when it cannot be described. Never throws. */
export function describeCron(cronExpression: string): string {
  try {
    describeInEnglish ??= (require('cronstrue') as { toString: Describe }).toString;
    return describeInEnglish(expandCronMacro(cronExpression), { throwExceptionOnParseError: true, locale: 'en' });
  } catch {
    return cronExpression;
  }
}
