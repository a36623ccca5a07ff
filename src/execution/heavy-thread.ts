// The heavy-query lane's thread (src/execution/heavy-lane.ts): the same
// gateway as the serving thread's, on connections of its own, answering the
// requests the serving thread hands it and streaming each answer back a chunk
// per pull. Caches that a write must empty stay off here: writes run on the
// serving thread, which could not reach them.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/database.js';
import { SmallTraffic } from '../limits/small-traffic.js';
import type { Plugin } from 'graphql-yoga';
import { createProcessLogger } from '../logger.js';
import { errorCodesOf } from '../observability/access-log.js';
import { REQUEST_ID_HEADER, requestIdOf, trustForwardedRequestIds } from '../observability/request-id.js';
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
const { config, auditLogs, smallTraffic, embeddedDatabase } = (workerData ?? {}) as Partial<LaneThreadData>;
if (!port || !config || !auditLogs || !smallTraffic)
  throw new Error('heavy-thread.js runs only as the heavy-query lane of a gateway');

const post = (message: FromLane) => port.postMessage(message);

/**
 * The niceness of the lane's thread (Linux): when the lane and the serving thread both want a CPU, the serving
 * thread's short requests get it first, and the heavy queries take what is left.
 */
const LANE_NICENESS = 10;
try {
  // /proc/thread-self names this thread's id; setpriority on a thread id sets that thread's niceness only.
  const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (threadId > 0) setPriority(threadId, LANE_NICENESS);
} catch {
  // Elsewhere than Linux, or not allowed: the lane runs at the process's priority.
}
const logger = createProcessLogger(config.logLevel);
// Every request here is the serving thread's, with its id.
trustForwardedRequestIds();
const database = await openDatabase({
  ...config,
  databasePoolSize: lanePoolSize(config.databasePoolSize),
  applicationName: LANE_APPLICATION_NAME,
  // The lane serves no small documents: the serving thread's clock says when they are being served.
  smallTraffic: new SmallTraffic(smallTraffic),
  embeddedDatabase,
});
// TRUSTED_DOCUMENTS is the serving thread's to apply: it sends the lane the document a trusted id names, which the
// lane's own check would refuse as a query.
const { yoga, stopTracing } = await gatewayFromConfig(
  { ...config, trustedDocuments: undefined },
  {
    database,
    logger,
    auditLogs,
    sessionCacheMs: 0,
    responseCacheMs: 0,
    // The serving thread logs, counts and serves /metrics, with the codes this thread reports; GraphiQL is a GET.
    accessLog: false,
    metrics: false,
    graphiql: false,
    servesOnlyLarger: true,
    plugins: [reportErrorCodes()],
  },
);

/** The codes of each request's errors, by request id, until its head is posted. */
const errorCodes = new Map<string, string[]>();

/** Last of the plugins (src/yoga.ts), so that the codes are the ones the answer carries, a refusal for its size's too. */
function reportErrorCodes(): Plugin {
  return {
    onResultProcess({ request, result }) {
      if (Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      const codes = errorCodesOf(result as object);
      if (codes) errorCodes.set(requestIdOf(request), codes);
    },
  };
}

interface InProgress {
  stop: AbortController;
  body?: ReadableStreamDefaultReader<Uint8Array>;
}
const inProgress = new Map<number, InProgress>();

async function answer({ id, url, headers, body, remoteAddress }: LaneRequest) {
  const request: InProgress = { stop: new AbortController() };
  inProgress.set(id, request);
  // The serving thread's id for the request, which this thread's requestIdOf reads from its header.
  const requestId = headers.find(([name]) => name === REQUEST_ID_HEADER)?.[1] ?? '';
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
    const codes = errorCodes.get(requestId) ?? [];
    post({ type: 'head', id, status: response.status, headers: [...response.headers], errorCodes: codes });
    if (!request.body) finish(id);
  } catch (error) {
    inProgress.delete(id);
    // A client that went away is no fault of the gateway's: an error line each would let clients fill the log.
    if (request.stop.signal.aborted) logger.debug({ err: error }, 'the client of a heavy query went away');
    else logger.error({ err: error }, 'the heavy-query lane could not answer a request');
    post({ type: 'failed', id, message: 'The request could not be answered; try again.' });
  } finally {
    errorCodes.delete(requestId);
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
