import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stderr (stdout is reserved for command results). Synchronous, so the last lines
 * before an exit are never lost. Children carry `submissionId`, `attempt` and `step`.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
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

/** Runs one pipeline step, logs its duration, and returns its value with the duration in ms. */
export async function timed<T>(log: Logger, step: string, fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  try {
    const value = await fn();
    const ms = Math.round(performance.now() - started);
    log.info({ step, ms }, `${step} done`);
    return { value, ms };
  } catch (err) {
    const ms = Math.round(performance.now() - started);
    log.warn({ step, ms, err: err instanceof Error ? { code: (err as { code?: unknown }).code, message: err.message } : String(err) }, `${step} failed`);
    throw err;
  }
}

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
