// The gateway behind a real HTTP server on a free port of 127.0.0.1, for what
// only a socket shows (src/http/: request bodies as Node's parser holds them,
// answers as they are written).
import type { AddressInfo } from 'node:net';
import type { Database } from '../../src/db/database.js';
import { ANSWER_STALL_MS, createStoppableServer } from '../../src/http/node-server.js';
import { DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT_MS } from '../../src/config.js';
import { createGateway, type GatewayOptions } from '../../src/yoga.js';

export interface HttpGateway {
  port: number;
  /** Closes the server and every connection to it; the database stays open. */
  close(): Promise<void>;
}

export async function serveOverHttp(
  database: Database,
  options: Omit<GatewayOptions, 'database'> = {},
): Promise<HttpGateway> {
  // The server `npm start` runs, with its default limits.
  const { server, stop } = createStoppableServer(createGateway({ database, ...options }), {
    receiveMs: DEFAULT_REQUEST_TIMEOUT_MS,
    answerMs: 2 * DEFAULT_REQUEST_TIMEOUT_MS,
    stallMs: ANSWER_STALL_MS,
    maxConnections: DEFAULT_MAX_CONNECTIONS,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => stop(0),
  };
}
