// The gateway as `npm start` runs it (after its build step): the environment
// the start script sets and the arguments it gives node, so that the benchmark
// and the start-up measurement run exactly what users run.
import { readFileSync } from 'node:fs';

const ROOT = new URL('../', import.meta.url).pathname;

export interface StartCommand {
  /** Variables the script sets before `node` (`NAME=value node …`). */
  env: Record<string, string>;
  /** What follows `node`. */
  args: string[];
}

export function startCommand(): StartCommand {
  const { scripts } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> };
  const words = scripts.start!.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0] ?? '')) {
    const assignment = words.shift()!;
    const equals = assignment.indexOf('=');
    env[assignment.slice(0, equals)] = assignment.slice(equals + 1);
  }
  const [command, ...args] = words;
  if (command !== 'node') throw new Error(`expected the start script to run node, not: ${scripts.start}`);
  return { env, args };
}
