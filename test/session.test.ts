import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from './support/databases.js';
import { errorCode, makeUser, startTestGateway, type TestGateway } from './support/gateway.js';

describe.each(DATABASE_KINDS)('session tokens on %s', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(kind);
  });
  afterAll(() => gw.close());

  it('answers introspection and __typename without a token', async () => {
    const response = await gw.gql('{ __typename __schema { queryType { name } } }');
    expect(response).toEqual({ data: { __typename: 'Query', __schema: { queryType: { name: 'Query' } } } });
  });

  it('refuses a field without a token', async () => {
    const response = await gw.gql('{ me { id } }');
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
  });

  it('accepts a valid token in the Coder-Session-Token header', async () => {
    const user = await makeUser(gw.database);
    const response = await gw.gql('{ me { id username } }', {}, user.token);
    expect(response).toEqual({ data: { me: { id: user.id, username: user.username } } });
  });
});
