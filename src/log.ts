import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Log lines on stderr (stdout is reserved for command results): JSON lines (ECS, CI, files), or
 * readable lines when stderr is a terminal. Synchronous, so the last lines before an exit are never
 * lost. Children carry `submissionId`, `attempt` and `step`.
 */
export function createLogger(level?: string, terminal = Boolean(process.stderr.isTTY)): Logger {
  // At a terminal the command's own report says what happened: only warnings and errors unless asked.
  level ??= process.env.LOG_LEVEL || (terminal ? 'warn' : 'info');
  return pino(
    {
      // A bad LOG_LEVEL is reported by the config check with every other bad variable (exit 2).
      level: level in pino.levels.values || level === 'silent' ? level : 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      ...(!terminal && { formatters: { level: (label: string) => ({ level: label }) } }),
      redact: { paths: ['databaseUrl', '*.databaseUrl', 'password', '*.password'], censor: '[redacted]' },
    },
    terminal ? prettyStream() : pino.destination({ fd: 2, sync: true }),
  );
}

/** pino-pretty, loaded only for a terminal (it is not needed, nor paid for, anywhere else). */
function prettyStream(): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as (options: object) => DestinationStream;
  return pretty({ destination: 2, sync: true, colorize: !process.env.NO_COLOR, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' });
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
