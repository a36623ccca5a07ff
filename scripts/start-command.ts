// The gateway as `npm start` runs it (after its build step): the arguments to
// node from package.json's start script, so that the benchmark and the
// start-up measurement run exactly what users run.
import { readFileSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url).pathname;

export function startArguments(): string[] {
  const { scripts } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = scripts.start!.split(/\s+/);
  if (command !== 'node') throw new Error(`expected the start script to run node, not: ${scripts.start}`);
  return args;
}
