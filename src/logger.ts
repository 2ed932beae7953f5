import pino, { type Logger, type LoggerOptions } from 'pino';

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
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level,
    redact: { paths: REDACT_PATHS, censor: '********' },
    base: { service: 'sluice' },
  };
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
