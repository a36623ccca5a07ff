// The heavy-query lane's thread (src/execution/heavy-lane.ts): the same
// gateway as the serving thread's, on connections of its own, answering the
// requests the serving thread hands it and streaming each answer back a chunk
// per pull. Caches that a write must empty stay off here: writes run on the
// serving thread, which could not reach them.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/database.js';
import { createProcessLogger } from '../logger.js';
import { gatewayFromConfig } from '../yoga.js';
import {
  type FromLane,
  LANE_APPLICATION_NAME,
  type LaneRequest,
  type LaneThreadData,
  lanePoolSize,
  type ToLane,
} from './heavy-lane.js';

const port = parentPort;
const { config, auditLogs } = (workerData ?? {}) as Partial<LaneThreadData>;
if (!port || !config || !auditLogs) throw new Error('heavy-thread.js runs only as the heavy-query lane of a gateway');

const post = (message: FromLane) => port.postMessage(message);
const logger = createProcessLogger(config.logLevel);
const database = await openDatabase({
  ...config,
  databasePoolSize: lanePoolSize(config.databasePoolSize),
  applicationName: LANE_APPLICATION_NAME,
});
const { yoga, stopTracing } = await gatewayFromConfig(config, {
  database,
  logger,
  auditLogs,
  sessionCacheMs: 0,
  responseCacheMs: 0,
  // The serving thread's /metrics is the one scraped; GraphiQL is a GET, never handed over.
  metrics: false,
  graphiql: false,
});

interface InProgress {
  stop: AbortController;
  body?: ReadableStreamDefaultReader<Uint8Array>;
}
const inProgress = new Map<number, InProgress>();

async function answer({ id, url, headers, body, remoteAddress }: LaneRequest) {
  const request: InProgress = { stop: new AbortController() };
  inProgress.set(id, request);
  try {
    const response = await yoga.fetch(
      url,
      { method: 'POST', headers, body, signal: request.stop.signal },
      { req: { socket: { remoteAddress } } },
    );
    if (!inProgress.has(id)) {
      await response.body?.cancel();
      return;
    }
    request.body = response.body?.getReader();
    post({ type: 'head', id, status: response.status, headers: [...response.headers] });
    if (!request.body) finish(id);
  } catch (error) {
    inProgress.delete(id);
    logger.error({ err: error }, 'the heavy-query lane could not answer a request');
    post({ type: 'failed', id, message: 'The request could not be answered; try again.' });
  }
}

function finish(id: number) {
  inProgress.delete(id);
  post({ type: 'end', id });
}

async function pull(id: number) {
  const body = inProgress.get(id)?.body;
  if (!body) return;
  try {
    const { done, value } = await body.read();
    // Copied by postMessage: the chunk's memory may be shared with others (Buffer's pool).
    if (value) post({ type: 'chunk', id, bytes: value });
    if (done) finish(id);
  } catch {
    inProgress.delete(id);
    post({ type: 'failed', id, message: 'The answer was cut short.' });
  }
}

function cancel(id: number) {
  const request = inProgress.get(id);
  if (!request) return;
  inProgress.delete(id);
  request.stop.abort();
  request.body?.cancel().catch(() => {});
}

async function stop() {
  for (const id of [...inProgress.keys()]) cancel(id);
  await database.close().catch(() => {});
  await stopTracing().catch(() => {});
  process.exit(0);
}

port.on('message', (message: ToLane) => {
  if (message.type === 'request') void answer(message);
  else if (message.type === 'pull') void pull(message.id);
  else if (message.type === 'cancel') cancel(message.id);
  else void stop();
});
post({ type: 'ready' });
