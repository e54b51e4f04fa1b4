import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stderr (stdout is reserved for command results). Synchronous, so the last lines
 * before an exit are never lost. Children carry `submissionId`, `attempt` and `step`.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      // A bad LOG_LEVEL is reported by the config check with every other bad variable (exit 2).
      level: level in pino.levels.values || level === 'silent' ? level : 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['databaseUrl', '*.databaseUrl', 'password', '*.password'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** A logger that discards everything (tests, library callers). */
export const silentLogger: Logger = pino({ level: 'silent' });

/** postgres://user:***@host:port/db — for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return '(an unparseable database URL)';
  }
}
