import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { SecretMasker } from './secrets/masker.js';

export type { Logger } from 'pino';

/**
 * Paths pino masks in every log line. Request headers are already reduced to
 * a safe subset by the HTTP layer; these catch secrets logged by mistake.
 */
const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  '*.clientSecret',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

export interface LoggerSettings {
  level: string;
  /** Human-readable lines (pino-pretty); otherwise one JSON object per line. */
  pretty?: boolean;
  /** Where lines go: 1 = stdout (the server), 2 = stderr (CLI commands, keeping stdout for results). */
  fd?: 1 | 2;
  /** Where lines go instead of `fd` (tests read them). */
  stream?: DestinationStream;
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    redact: { paths: REDACT_PATHS, censor: '********' },
    base: { service: 'sluice' },
  };
  if (settings.stream) return pino(options, settings.stream);
  const fd = settings.fd ?? 1;
  if (settings.pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { destination: fd, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' },
      },
    });
  }
  return pino(options, pino.destination({ fd, sync: fd === 2 }));
}

/** A logger that drops everything, for tests and quiet commands. */
export const silentLogger = (): Logger => pino({ level: 'silent' });

const LEVEL_METHODS = new Set<string | symbol>(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

/**
 * A logger that masks the masker's secrets in everything logged through it
 * (message, merged object, errors and their stacks) and in its children: the
 * logger of a task attempt, whose lines may quote what a source answered.
 */
export function maskingLogger(logger: Logger, masker: SecretMasker): Logger {
  return new Proxy(logger, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (LEVEL_METHODS.has(property)) {
        const log = value as (...args: unknown[]) => void;
        // A level that is off costs nothing: pino's method is a no-op, and nothing is masked for it.
        if (!target.isLevelEnabled(property as string)) return log.bind(target);
        return (...args: unknown[]) => log.apply(target, masker.empty ? args : args.map((a) => masker.maskDeep(a)));
      }
      if (property === 'child') {
        const child = value as (...args: unknown[]) => Logger;
        return (...args: unknown[]) => maskingLogger(child.apply(target, args), masker);
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
}
