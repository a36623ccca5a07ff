// What a session token's statement found, kept for a short while so that a
// client's burst of requests costs one session statement, not one each.
// Every request still checks its secret, expiry and user status against the
// row; the row itself may be up to `ttlMs` old. A write through this gateway
// process empties the cache at once; a write elsewhere (another replica, the
// operator CLI) is seen within `ttlMs`.
import { LRUCache } from 'lru-cache';

export class SessionCache<Row extends object> {
  readonly #rows: LRUCache<string, Row>;
  /** Loads in flight, so that concurrent requests with one token share one statement. */
  readonly #loading = new Map<string, Promise<Row | undefined>>();
  /** Bumped by `clear()`: a load that began before a write must not store what it read. */
  #generation = 0;

  constructor(
    readonly ttlMs: number,
    max = 10_000,
  ) {
    this.#rows = new LRUCache({ max, ttl: ttlMs, ttlAutopurge: false });
  }

  /** The cached row of API key `keyId`, or `load()`'s (cached only if it found one). */
  async get(keyId: string, load: () => Promise<Row | undefined>): Promise<Row | undefined> {
    const cached = this.#rows.get(keyId);
    if (cached) return cached;
    const pending = this.#loading.get(keyId);
    if (pending) return pending;
    const generation = this.#generation;
    const loading = load();
    this.#loading.set(keyId, loading);
    loading
      .then((row) => {
        if (row && generation === this.#generation) this.#rows.set(keyId, row);
      })
      .catch(() => {}) // the caller gets the error through `loading`
      .finally(() => {
        if (this.#loading.get(keyId) === loading) this.#loading.delete(keyId);
      });
    return loading;
  }

  /** Forgets every row: called after each write, which may change anyone's roles or keys. */
  clear(): void {
    this.#generation++;
    this.#rows.clear();
    this.#loading.clear();
  }
}
