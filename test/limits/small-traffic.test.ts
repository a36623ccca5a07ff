import { afterEach, describe, expect, it, vi } from 'vitest';
import { SMALL_TRAFFIC_MS, SmallTraffic } from '../../src/limits/small-traffic.js';

describe('the small-traffic clock', () => {
  afterEach(() => vi.useRealTimers());

  it('is recent for SMALL_TRAFFIC_MS after a small document starts, and is seen through its shared buffer', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const serving = new SmallTraffic();
    // The heavy-query lane's thread builds its clock on the serving thread's buffer.
    const lane = new SmallTraffic(serving.buffer);
    expect(serving.recent).toBe(false);
    expect(lane.recent).toBe(false);
    serving.mark();
    expect(lane.recent).toBe(true);
    vi.advanceTimersByTime(SMALL_TRAFFIC_MS - 1);
    expect(lane.recent).toBe(true);
    vi.advanceTimersByTime(1);
    expect(serving.recent).toBe(false);
    expect(lane.recent).toBe(false);
  });

  it('keeps separate clocks apart', () => {
    const one = new SmallTraffic();
    const other = new SmallTraffic();
    one.mark();
    expect(other.recent).toBe(false);
  });
});
