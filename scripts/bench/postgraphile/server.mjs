// PostGraphile v5 over the benchmark's database, for `npm run bench:postgraphile`:
// what a user might pick instead of the gateway, run as its documentation sets
// it up (the amber preset, the node adaptor), with a pool as large as the
// gateway's and no GraphiQL. It has no authentication: a request runs as the
// database user the URL names.
//
//   DATABASE_URL=postgresql://... PORT=0 node server.mjs   # prints {"url": ...} once listening
import { createServer } from 'node:http';

// PostGraphile 5 asks for Node 22; on this repository's Node 20 the one thing
// it uses that is missing is Promise.withResolvers (ES2024).
Promise.withResolvers ??= function withResolvers() {
  let resolve, reject;
  const promise = new this((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
};

const { postgraphile } = await import('postgraphile');
const { PostGraphileAmberPreset } = await import('postgraphile/presets/amber');
const { makePgService } = await import('postgraphile/adaptors/pg');
const { grafserv } = await import('postgraphile/grafserv/node');

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ['public'],
      poolSize: Number(process.env.POOL_SIZE ?? 16),
    }),
  ],
  grafserv: { graphiql: false, watch: false },
  grafast: { explain: false },
};

const server = createServer();
server.on('error', (error) => {
  console.error(error);
  process.exit(1);
});
await postgraphile(preset).createServ(grafserv).addTo(server);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/graphql` }));
});
process.once('SIGTERM', () => process.exit(0));
