import { FixedWindowThrottlerStorage } from './rate-limit.storage';

describe('FixedWindowThrottlerStorage', () => {
  let storage: FixedWindowThrottlerStorage;
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    storage = new FixedWindowThrottlerStorage();
  });
  afterEach(() => {
    storage.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('counts within a window, blocks past the limit, and starts afresh after the block', async () => {
    const hit = () => storage.increment('k', 60_000, 3, 60_000);
    expect(await hit()).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    await hit();
    expect((await hit()).isBlocked).toBe(false);
    expect(await hit()).toEqual({ totalHits: 4, timeToExpire: 60, isBlocked: true, timeToBlockExpire: 60 });
    jest.advanceTimersByTime(30_000);
    expect(await hit()).toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
    jest.advanceTimersByTime(30_001);
    expect(await hit()).toEqual({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
  });

  it('keeps keys apart, opens a new window when one ends, and forgets ended windows', async () => {
    await storage.increment('a', 1_000, 10, 1_000);
    await storage.increment('a', 1_000, 10, 1_000);
    expect((await storage.increment('b', 1_000, 10, 1_000)).totalHits).toBe(1);
    jest.advanceTimersByTime(1_001);
    expect((await storage.increment('a', 1_000, 10, 1_000)).totalHits).toBe(1);
    jest.advanceTimersByTime(1_001);
    storage.sweep();
    expect(storage.size).toBe(0);
  });

  it('costs the same whatever the limit (no per-hit bookkeeping)', async () => {
    for (let i = 0; i < 50_000; i++) await storage.increment('busy', 60_000, 1e9, 60_000);
    expect(storage.size).toBe(1);
    expect((await storage.increment('busy', 60_000, 1e9, 60_000)).totalHits).toBe(50_001);
  });
});
