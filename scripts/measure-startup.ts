// `npm run measure:startup`: time from launching the gateway (as `npm start`
// runs it, less its build step) to its first answered query, on
// the embedded database and on PostgreSQL, for a first start (migrations and
// bootstrap included) and for a restart. Prints the median of a few runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServerDatabase, dropServerDatabase } from '../test/support/databases.js';
import { startCommand } from './start-command.js';

const ROOT = new URL('../', import.meta.url).pathname;
const SERVER_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
const RUNS = Number(process.argv[2] ?? 3);

/** Milliseconds from spawn to a `{ __typename }` answered over HTTP. */
async function timeToFirstAnswer(env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const { env: scriptEnv, args } = startCommand();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...scriptEnv, DATABASE_URL: '', ...env, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /"url":"([^"]+)"/.exec(out);
        if (match) resolve(match[1]!);
      });
    });
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
    });
    if (!response.ok) throw new Error(`first query answered ${response.status}`);
    return performance.now() - started;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(name: string, fresh: () => Promise<{ env: Record<string, string>; done: () => Promise<void> }>) {
  const first: number[] = [];
  const restart: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { env, done } = await fresh();
    try {
      first.push(await timeToFirstAnswer(env));
      restart.push(await timeToFirstAnswer(env));
    } finally {
      await done();
    }
  }
  console.log(`| ${name} | ${median(first).toFixed(0)} | ${median(restart).toFixed(0)} |`);
}

console.log(`start-up to first answered query, median of ${RUNS} (ms), node ${process.version}\n`);
console.log('| database | first start (migrate + bootstrap) | restart |');
console.log('|---|---|---|');
await measure('embedded PGlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-startup-'));
  return { env: { DATA_DIR: dir }, done: async () => rmSync(dir, { recursive: true, force: true }) };
});
await measure('PostgreSQL', async () => {
  const url = await createServerDatabase(SERVER_URL);
  return { env: { DATABASE_URL: url }, done: () => dropServerDatabase(url, SERVER_URL) };
});
