// Worker threads started from a module beside the caller's: `name.js` when the gateway runs compiled (dist/),
// `name.ts` when it runs from its sources (tests, the CLI under tsx), where Node 20 does not apply tsx to a worker's
// own entry and scripts/typescript-thread.mjs registers it first.
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A thread running the module `name` (without extension) found beside `callerUrl` (the caller's import.meta.url). */
export function startThread(callerUrl: string, name: string, options: WorkerOptions): Worker {
  const fromSource = callerUrl.endsWith('.ts');
  const entry = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, callerUrl);
  return fromSource
    ? new Worker(new URL('../../scripts/typescript-thread.mjs', import.meta.url), {
        ...options,
        argv: [...(options.argv ?? []), entry.href],
      })
    : new Worker(entry, options);
}
