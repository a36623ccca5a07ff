import { format } from 'node:util';
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: undefined });
}

/** The fetch adapter's console.error for a client that left before its answer was written. */
const CLIENT_LEFT = /^Unexpected error while handling request: The client went away/;

/**
 * The logger of a gateway's process or thread. Every line on stdout is JSON: what a library prints through
 * `console` (graphql-jit reports a failed compilation with console.error, for one) goes to the JSON log too, at
 * the matching level.
 */
export function createProcessLogger(level: string): Logger {
  const logger = createLogger(level);
  const levels = { debug: 'debug', log: 'info', info: 'info', warn: 'warn', error: 'error' } as const;
  for (const [method, loggerLevel] of Object.entries(levels)) {
    console[method as keyof typeof levels] = (...args: unknown[]) => {
      const line = format(...args);
      // The fetch adapter's console.error when a client left before its answer was written (or was closed, on
      // SIGTERM or past REQUEST_TIMEOUT_MS): the client's doing, not the gateway's fault.
      logger[CLIENT_LEFT.test(line) ? 'info' : loggerLevel](line);
    };
  }
  return logger;
}
