// What the benchmarks share: the gateway started as `npm start` runs it, load
// driven with autocannon, and the figures they print.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { startCommand } from '../start-command.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Measurements of equal length as one: means of the rates and latencies, the sum of the errors. */
export const meanOf = (...figures: Figures[]): Figures => {
  const mean = (pick: (f: Figures) => number) => figures.reduce((sum, f) => sum + pick(f), 0) / figures.length;
  return {
    rps: mean((f) => f.rps),
    p50: mean((f) => f.p50),
    p99: mean((f) => f.p99),
    errors: figures.reduce((sum, f) => sum + f.errors, 0),
  };
};

export interface GatewayProcess {
  url: string;
  process: ChildProcess;
}

/**
 * The gateway in its own process, as `npm start` runs it (the benchmarks build
 * it first), in production mode; `semiSpaceMb`, if given, is passed to node
 * as `--max-semi-space-size`, which overrides the young generation the
 * gateway picks for its database (src/runtime.ts).
 */
export function startGatewayProcess(env: Record<string, string>, semiSpaceMb?: number): Promise<GatewayProcess> {
  const { env: scriptEnv, args } = startCommand();
  // Just before the script: after any flag of the start script's own, so it wins.
  if (semiSpaceMb !== undefined) args.splice(-1, 0, `--max-semi-space-size=${semiSpaceMb}`);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...process.env,
      ...scriptEnv,
      DATABASE_URL: '',
      ...env,
      PORT: '0',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /"url":"([^"]+)"/.exec(buffered);
      if (match) {
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ url: match[1]!, process: child });
      }
    });
  });
}

/** A GraphQL request, with the session token when there is one. */
export function graphqlRequest(
  query: string,
  token: string | undefined,
  variables?: Record<string, unknown>,
): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'coder-session-token': token } : {}) },
    body: JSON.stringify(variables ? { query, variables } : { query }),
  };
}

/** `query` posted to `url` by `connections` concurrent clients for `seconds`. */
export async function load(
  url: string,
  query: string,
  token: string | undefined,
  seconds: number,
  connections: number,
): Promise<Figures> {
  const { method, headers, body } = graphqlRequest(query, token);
  const result = await autocannon({
    url,
    method: method as 'POST',
    connections,
    duration: seconds,
    headers: headers as Record<string, string>,
    body: body as string,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** Peak resident set size of a process and its children (the workers), from the kernel's high-water marks. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const own = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  return own + children.reduce((sum, child) => sum + peakRssMb(child), 0);
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux: /proc counts CPU time in hundredths of a second

/** CPU time (user and system, every thread) a process and its children have used, in ms. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command, which may hold spaces, in brackets: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  return own + children.reduce((sum, child) => sum + cpuMs(child), 0);
}

/** CPU time (ms) of each PostgreSQL process on this machine, by process id (none for a server on another machine). */
export function postgresCpuMs(): Map<number, number> {
  const byProcess = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byProcess.set(Number(entry), (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS);
    } catch {
      // A process that ended while we read.
    }
  }
  return byProcess;
}

/**
 * PostgreSQL's CPU since `before`, by the processes alive now: a connection
 * closed meanwhile (a pool's idle timeout) takes its CPU with it, which a sum
 * over every process would count as negative.
 */
function postgresCpuSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of postgresCpuMs()) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** What a load cost per answered request: the server's CPU and PostgreSQL's, in ms. */
export interface CpuPerRequest {
  server: number;
  database: number;
}

/** `load`, with the CPU that the server (`pid`) and PostgreSQL spent per request meanwhile. */
export async function loadWithCpu(
  pid: number,
  ...args: Parameters<typeof load>
): Promise<Figures & { cpu: CpuPerRequest }> {
  const [server, database] = [cpuMs(pid), postgresCpuMs()];
  const figures = await load(...args);
  const requests = Math.max(1, figures.rps * args[3]);
  return {
    ...figures,
    cpu: { server: (cpuMs(pid) - server) / requests, database: postgresCpuSince(database) / requests },
  };
}
