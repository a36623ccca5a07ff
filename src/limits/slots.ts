/**
 * At most `size()` holders at once (a size that may change, read at each
 * take and release); the others wait in order, and one whose request ends
 * leaves the line. Our own: p-limit and its kin take no AbortSignal for a task
 * that has not started.
 */
export class Slots {
  #holders = 0;
  readonly #waiting: Array<() => void> = [];
  constructor(readonly size: () => number) {}

  /** Resolves with the release once it is this caller's turn; rejects with `signal`'s reason if it fires first. */
  take(signal: AbortSignal | undefined): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#waiting.length === 0 && this.#holders < this.size()) {
      this.#holders++;
      return Promise.resolve(this.#release());
    }
    return new Promise((resolve, reject) => {
      const admit = () => {
        signal?.removeEventListener('abort', leave);
        this.#holders++;
        resolve(this.#release());
      };
      const leave = () => {
        this.#waiting.splice(this.#waiting.indexOf(admit), 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.#waiting.push(admit);
    });
  }

  #release(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holders--;
      while (this.#waiting.length > 0 && this.#holders < this.size()) this.#waiting.shift()!();
    };
  }
}
