// A worker thread's entry when the gateway runs from its TypeScript sources
// (tests, `npm run cli`): Node 20 does not apply `--import tsx` to a worker's
// own entry, so the thread registers tsx itself, then imports the entry it was
// given as its last argument.
import { register } from 'tsx/esm/api';

register();
await import(process.argv.at(-1));
