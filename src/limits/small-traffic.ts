// When a small document (cost under SMALL_COST, admission.ts: a member, a
// short page) last started, shared by the threads of one process. While small
// documents are being served, larger ones give way to them: on PostgreSQL they
// run on the heavy-query lane (src/execution/heavy-lane.ts), on the serving
// thread one at a time (admission.ts), and heavy statements keep to
// DATABASE_HEAVY_STATEMENTS connections (src/db/postgres-pool.ts). The lane's
// thread sees no small documents of its own, so it reads the serving thread's
// clock, shared through a SharedArrayBuffer.

/** Larger documents give way while a small one has started this recently. */
export const SMALL_TRAFFIC_MS = 1000;

export class SmallTraffic {
  readonly #lastStart: BigInt64Array;

  /** A new clock, or one that another thread shares (its `buffer`, passed as workerData). */
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT)) {
    this.#lastStart = new BigInt64Array(buffer);
  }

  /** A small document starts now. */
  mark(): void {
    Atomics.store(this.#lastStart, 0, BigInt(Date.now()));
  }

  /** Whether a small document started in the last SMALL_TRAFFIC_MS. */
  get recent(): boolean {
    return Date.now() - Number(Atomics.load(this.#lastStart, 0)) < SMALL_TRAFFIC_MS;
  }
}
