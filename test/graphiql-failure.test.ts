// GraphiQL's page is rendered on a thread of its own (src/http/graphiql.ts): a thread that fails answers a coded
// 503, never the error, and the next visit renders again.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startTestGateway, type TestGateway } from './support/gateway.js';

let failing = true;
vi.mock('../src/execution/threads.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/execution/threads.js')>();
  return {
    // A thread whose entry cannot be loaded, while `failing`.
    startThread: (callerUrl: string, name: string, options: object) =>
      real.startThread(callerUrl, name === 'graphiql-thread' && failing ? 'no-such-thread' : name, options),
  };
});

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway('pglite');
});
afterAll(() => gw?.close());

const visit = () =>
  gw.yoga.fetch('http://gateway.test/graphql', { headers: { accept: 'text/html', 'accept-encoding': 'br' } });

it('answers 503 with a code when its thread fails, and renders again on the next visit', async () => {
  for (let i = 0; i < 2; i++) {
    const answer = await visit();
    expect(answer.status).toBe(503);
    const text = await answer.text();
    expect(JSON.parse(text)).toEqual({
      errors: [{ message: expect.any(String), extensions: { code: 'SERVICE_UNAVAILABLE' } }],
    });
    expect(text).not.toMatch(/no-such-thread|at |node:/);
  }
  failing = false;
  const answer = await visit();
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-encoding')).toBe('br');
});
