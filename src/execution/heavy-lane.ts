// The heaviest queries run on a thread of their own (HEAVY_QUERY_THREAD). Building
// a 5,000-member answer allocates tens of MB that stay alive for the whole
// answer, and on the serving thread the young-generation collections that copy
// them paused everyone else's requests for 10 to 35 ms at a time. On the lane's
// thread, with its own heap, its own pool and a lower CPU priority, those
// pauses hold only the heavy queries; the serving thread keeps reading,
// checking and answering the others (docs/performance.md, `npm run
// bench:hostile`). While small documents are being served, lighter queries
// from SMALL_COST go there too, so that a one-member read does not wait behind
// the stretches in which their answers are built (src/limits/small-traffic.ts).
// On the embedded database, the lane reaches PGlite on its own thread
// (src/db/pglite.ts); it is off there unless asked for, as it costs the
// process about 55 MB more (docs/performance.md).
//
// The serving thread still parses, validates and prices every document (CSRF,
// body and document limits, cost): only a query the limits accepted goes to
// the lane, as a JSON POST of the same
// parameters and headers, with the client's address. The lane's thread runs the
// same gateway (src/execution/heavy-thread.ts), so authentication, admission by
// cost, the deadline, streaming and compression happen there, as they would
// here; the answer comes back a chunk per pull, so a slow client holds back the
// lane rather than filling this thread's memory. A client that leaves cancels
// the query there, its SQL included. While the lane's thread is starting or
// after it died (it is started again), heavy queries run here as before.
//
// Our own: Yoga and Envelop have no plugin that hands an execution to another
// thread, and the worker pools we know (piscina, workerpool) run a function
// to a result, not a request whose answer is streamed and may be cancelled.
import { type MessagePort, Worker } from 'node:worker_threads';
import { type ExecutionResult, GraphQLError, getOperationAST, print } from 'graphql';
import type { Plugin, YogaInitialContext } from 'graphql-yoga';
import type { Config } from '../config.js';
import { APPLICATION_NAME } from '../db/database.js';
import type { SmallTraffic } from '../limits/small-traffic.js';
import type { AuditLogMode } from '../context.js';
import type { Logger } from '../logger.js';
import { SMALL_COST } from '../limits/admission.js';
import { costOfExecution } from '../limits/document-limits.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../observability/request-id.js';
import { SEMI_SPACE_MB, youngGenerationMb } from '../runtime.js';

/** What the lane's thread is started with. */
export interface LaneThreadData {
  config: Config;
  auditLogs: AuditLogMode;
  /** The serving thread's small-traffic clock (src/limits/small-traffic.ts). */
  smallTraffic: SharedArrayBuffer;
  /** On the embedded database, the lane's line to its thread (Database.connectFromThread). */
  embeddedDatabase?: MessagePort;
}

/** A request handed to the lane's thread. */
export interface LaneRequest {
  type: 'request';
  id: number;
  url: string;
  headers: [string, string][];
  body: string;
  remoteAddress: string | undefined;
}

/** From the serving thread: the next chunk of an answer, or stop (the client left). */
export type ToLane = LaneRequest | { type: 'pull' | 'cancel'; id: number } | { type: 'stop' };

/** From the lane's thread. */
export type FromLane =
  | { type: 'ready' }
  | { type: 'head'; id: number; status: number; headers: [string, string][]; errorCodes: string[] }
  | { type: 'chunk'; id: number; bytes: Uint8Array }
  | { type: 'end'; id: number }
  | { type: 'failed'; id: number; message: string };

/** The lane's database connections: half the serving thread's pool, at least two. */
export const lanePoolSize = (databasePoolSize: number): number => Math.max(2, Math.floor(databasePoolSize / 2));

/**
 * Queries of at least this cost (src/limits/cost.ts) always go to the lane: a whole list of a few thousand members,
 * whose answers allocate tens of MB. Lighter ones, from SMALL_COST (a page of about 20 members), go there only
 * while small documents are being served (src/limits/small-traffic.ts), so that building their answers does not
 * hold the serving thread that small reads need; with no small traffic they run here, where they are 15 to 45%
 * faster (docs/performance.md).
 */
export const LANE_COST = 100_000;

/** What pg_stat_activity shows for the lane's connections, unless DATABASE_URL names an application. */
export const LANE_APPLICATION_NAME = `${APPLICATION_NAME} heavy queries`;

/** Headers the lane's request sets itself: it is a JSON POST of the parameters, whatever the client sent. */
const REWRITTEN_HEADERS = new Set([
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'host',
  REQUEST_ID_HEADER,
]);

/** The lane's answer, and the codes of its errors (for the serving thread's access log and metrics). */
export interface LaneAnswer {
  response: Response;
  errorCodes: string[];
}

interface Pending {
  head(status: number, headers: [string, string][], errorCodes: string[]): void;
  chunk(bytes: Uint8Array): void;
  end(): void;
  fail(message: string): void;
}

const unavailable = (message: string) =>
  JSON.stringify({ errors: [{ message, extensions: { code: 'SERVICE_UNAVAILABLE' } }] });

export class HeavyLane {
  readonly #config: Config;
  readonly #auditLogs: AuditLogMode;
  readonly #logger: Logger;
  readonly #smallTraffic: SmallTraffic;
  readonly #entry: URL;
  readonly #connectDatabase: (() => MessagePort) | undefined;
  #thread: Worker | undefined;
  #ready = false;
  #closing = false;
  #nextId = 0;
  readonly #pending = new Map<number, Pending>();

  constructor(
    config: Config,
    auditLogs: AuditLogMode,
    logger: Logger,
    smallTraffic: SmallTraffic,
    /** On the embedded database, a new port to its thread for each start (Database.connectFromThread). */
    connectDatabase?: () => MessagePort,
    entry = new URL('./heavy-thread.js', import.meta.url),
  ) {
    this.#connectDatabase = connectDatabase;
    this.#config = config;
    this.#auditLogs = auditLogs;
    this.#logger = logger;
    this.#smallTraffic = smallTraffic;
    this.#entry = entry;
  }

  /** Starts the lane's thread; resolves once it serves, rejects if it cannot start. */
  start(): Promise<void> {
    let embeddedDatabase: MessagePort | undefined;
    try {
      embeddedDatabase = this.#connectDatabase?.();
    } catch (error) {
      // The embedded database's thread is gone: heavy queries stay here, where they are refused as unavailable.
      return Promise.reject(error);
    }
    const thread = new Worker(this.#entry, {
      workerData: {
        config: this.#config,
        auditLogs: this.#auditLogs,
        smallTraffic: this.#smallTraffic.buffer,
        embeddedDatabase,
      } satisfies LaneThreadData,
      transferList: embeddedDatabase ? [embeddedDatabase] : [],
      resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb(SEMI_SPACE_MB.heavyLane) },
    });
    this.#thread = thread;
    return new Promise((resolve, reject) => {
      thread.on('message', (message: FromLane) => {
        if (message.type === 'ready') {
          this.#ready = true;
          resolve();
        } else this.#receive(message);
      });
      thread.once('error', (error) => {
        if (!this.#ready) reject(error);
        else this.#logger.error({ err: error }, 'the heavy-query thread failed');
      });
      thread.once('exit', (code) => {
        const started = this.#ready;
        this.#ready = false;
        this.#thread = undefined;
        for (const pending of this.#pending.values()) pending.fail('The heavy-query thread stopped; try again.');
        this.#pending.clear();
        if (!started) reject(new Error(`the heavy-query thread exited with ${code} while starting`));
        else if (!this.#closing) {
          this.#logger.error({ code }, 'the heavy-query thread exited; starting it again');
          this.start().catch((error) => this.#logger.error({ err: error }, 'could not start the heavy-query thread'));
        }
      });
    });
  }

  /** Whether the serving thread is serving small documents (src/limits/small-traffic.ts). */
  get smallTrafficRecent(): boolean {
    return this.#smallTraffic.recent;
  }

  /** Whether a heavy query can be handed over now. */
  get ready(): boolean {
    return this.#ready && !this.#closing;
  }

  /**
   * The lane's answer to `request`'s GraphQL parameters. Resolves with the
   * response once its status and headers are known; its body follows a chunk
   * per read.
   */
  answer(request: Request, params: unknown, remoteAddress: string | undefined): Promise<LaneAnswer> {
    const thread = this.#thread!;
    const id = this.#nextId++;
    const headers = [...request.headers].filter(([name]) => !REWRITTEN_HEADERS.has(name.toLowerCase()));
    headers.push(['content-type', 'application/json'], [REQUEST_ID_HEADER, requestIdOf(request)]);
    return new Promise<LaneAnswer>((resolve) => {
      let body: ReadableStreamDefaultController<Uint8Array> | undefined;
      // One pull at a time: the next is asked for once its chunk is here.
      let pulled: (() => void) | undefined;
      /** Before the head: the answer is SERVICE_UNAVAILABLE; after it, the body ends in an error. */
      const fail = (message: string) => {
        this.#pending.delete(id);
        if (body) body.error(new Error(message));
        else
          resolve({
            response: new Response(unavailable(message), {
              status: 503,
              headers: { 'content-type': 'application/json', [REQUEST_ID_HEADER]: requestIdOf(request) },
            }),
            errorCodes: ['SERVICE_UNAVAILABLE'],
          });
        pulled?.();
      };
      const cancel = () => {
        if (!this.#pending.has(id)) return;
        thread.postMessage({ type: 'cancel', id } satisfies ToLane);
        fail('The client went away; the request was stopped.');
      };
      this.#pending.set(id, {
        head: (status, responseHeaders, errorCodes) => {
          const stream = new ReadableStream<Uint8Array>({
            start: (controller) => {
              body = controller;
            },
            pull: () =>
              new Promise<void>((resolvePull) => {
                pulled = resolvePull;
                thread.postMessage({ type: 'pull', id } satisfies ToLane);
              }),
            cancel,
          });
          resolve({ response: new Response(stream, { status, headers: responseHeaders }), errorCodes });
        },
        chunk: (bytes) => {
          body?.enqueue(bytes);
          pulled?.();
        },
        end: () => {
          this.#pending.delete(id);
          body?.close();
          pulled?.();
        },
        fail,
      });
      request.signal?.addEventListener('abort', cancel, { once: true });
      thread.postMessage({
        type: 'request',
        id,
        url: request.url,
        headers,
        body: JSON.stringify(params),
        remoteAddress,
      } satisfies ToLane);
    });
  }

  #receive(message: Exclude<FromLane, { type: 'ready' }>) {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    if (message.type === 'head') pending.head(message.status, message.headers, message.errorCodes);
    else if (message.type === 'chunk') pending.chunk(message.bytes);
    else if (message.type === 'end') pending.end();
    else pending.fail(message.message);
  }

  /** Stops the thread: it closes its database first, and is ended if it has not within `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    const thread = this.#thread;
    if (!thread) return;
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    thread.postMessage({ type: 'stop' } satisfies ToLane);
    const timer = setTimeout(() => thread.terminate(), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * What the serving thread's plugins see of a query the lane answers: no data, and an error for each of the
 * lane's, with its code (the access log and the metrics count them). Its answer is never written: the lane's is.
 */
function standIn({ errorCodes }: LaneAnswer): ExecutionResult {
  if (!errorCodes.length) return { data: null };
  const errors = errorCodes.map(
    (code) => new GraphQLError(`The heavy-query lane answered ${code}.`, { extensions: { code } }),
  );
  return { data: null, errors };
}

/**
 * The two plugins that hand heavy queries to `lane`. `send` goes after the document limits, which price the
 * document; `answer` goes first, so that every other plugin's onResponse (request id, access log, metrics,
 * compression) sees the lane's answer.
 */
export function heavyQueryLane(lane: HeavyLane): { answer: Plugin; send: Plugin } {
  const answers = new WeakMap<Request, Promise<LaneAnswer>>();
  return {
    send: {
      onExecute({ args, setResultAndStopExecution }) {
        const cost = costOfExecution(args) ?? 0;
        if (cost < SMALL_COST || (cost < LANE_COST && !lane.smallTrafficRecent) || !lane.ready) return;
        if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
        const context = args.contextValue as YogaInitialContext & { req?: { socket?: { remoteAddress?: string } } };
        if (!context.request) return;
        // The document itself, as the serving thread has read it: a trusted document's id has been looked up
        // here already, and the lane runs what it is given (heavy-thread.ts).
        const { query, variables, operationName } = context.params;
        const params = { query: query ?? print(args.document), variables, operationName };
        const answer = lane.answer(context.request, params, context.req?.socket?.remoteAddress);
        answers.set(context.request, answer);
        // Envelop awaits a result given as a promise: the plugins before this one see the lane's error codes.
        setResultAndStopExecution(answer.then(standIn) as unknown as ExecutionResult);
      },
    },
    answer: {
      onResponse({ request, setResponse }) {
        return answers.get(request)?.then(({ response }) => setResponse(response));
      },
    },
  };
}
