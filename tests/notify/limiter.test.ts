import { describe, expect, it } from 'vitest';
import { SendLimiter } from '../../src/notify/limiter.ts';

const T0 = 1_700_000_000_000;

/** Sends into `chatId` as soon as the limiter allows, stepping fake time; returns the send times. */
function sendTimes(limiter: SendLimiter, chatId: number, count: number, start = T0): number[] {
  const times: number[] = [];
  let now = start;
  while (times.length < count) {
    const wait = limiter.reserve(chatId, now);
    if (wait === 0) times.push(now);
    else now += wait;
  }
  return times;
}

describe('SendLimiter', () => {
  it('should let a private chat burst 3 messages, then one per second', () => {
    const limiter = new SendLimiter({ globalBurst: 100, globalPerSecond: 100, chatSlackMs: 0 });
    expect(sendTimes(limiter, 42, 6).map((t) => t - T0)).toEqual([0, 0, 0, 1000, 2000, 3000]);
  });

  it('should answer the wait without taking a token', () => {
    const limiter = new SendLimiter({ globalBurst: 100, globalPerSecond: 100, chatSlackMs: 0 });
    for (let i = 0; i < 3; i++) expect(limiter.reserve(7, T0)).toBe(0);
    expect(limiter.reserve(7, T0)).toBe(1000);
    expect(limiter.reserve(7, T0 + 400)).toBe(600);
    expect(limiter.reserve(7, T0 + 1000)).toBe(0);
    expect(limiter.reserve(7, T0 + 1000)).toBe(1000);
  });

  it('should hold a group to burst 3 then 20 per minute', () => {
    const limiter = new SendLimiter({ globalBurst: 100, globalPerSecond: 100, chatSlackMs: 0 });
    const times = sendTimes(limiter, -100123, 23);
    expect(times.slice(0, 3)).toEqual([T0, T0, T0]);
    expect(times[3]! - T0).toBe(3000);
    // no 60-second window holds more than 3 + 20 messages
    const inFirstMinute = times.filter((t) => t < T0 + 60_000).length;
    expect(inFirstMinute).toBeLessThanOrEqual(23);
    expect(times[22]! - T0).toBe(60_000);
  });

  it('should keep all chats together under the global rate', () => {
    const limiter = new SendLimiter(); // 25/s, burst 3
    const times: number[] = [];
    let now = T0;
    let chat = 1;
    while (times.length < 100) {
      const wait = limiter.reserve(chat, now);
      if (wait === 0) {
        times.push(now);
        chat++;
      } else now += wait;
    }
    for (const t of times) {
      const inWindow = times.filter((u) => u >= t && u < t + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(28);
    }
    expect(times[99]! - T0).toBeLessThanOrEqual(4000);
  });

  it('should leave slack once a chat has used its burst, without letting it add up', () => {
    const limiter = new SendLimiter({ globalBurst: 100, globalPerSecond: 100, chatSlackMs: 200 });
    expect(sendTimes(limiter, 42, 6).map((t) => t - T0)).toEqual([0, 0, 0, 1200, 2200, 3200]);
    // a wake-up before the slack is over does not get the token early
    const other = new SendLimiter({ globalBurst: 100, globalPerSecond: 100, chatSlackMs: 200 });
    sendTimes(other, 1, 3);
    expect(other.reserve(1, T0 + 1100)).toBe(100);
    expect(other.reserve(1, T0 + 1200)).toBe(0);
  });

  it('should keep chats independent of each other', () => {
    const limiter = new SendLimiter({ globalBurst: 100, globalPerSecond: 100 });
    sendTimes(limiter, 1, 3);
    expect(limiter.reserve(1, T0)).toBeGreaterThan(0);
    expect(limiter.reserve(2, T0)).toBe(0);
  });

  it('should block a chat after a 429 until retry_after has passed', () => {
    const limiter = new SendLimiter({ globalBurst: 100, globalPerSecond: 100 });
    limiter.penalise(5, 7, T0);
    expect(limiter.reserve(5, T0)).toBe(7000);
    expect(limiter.reserve(5, T0 + 6999)).toBe(1);
    expect(limiter.reserve(6, T0)).toBe(0);
    expect(limiter.reserve(5, T0 + 7000)).toBe(0);
  });

  it('should block every chat after a 429 without chat scope', () => {
    const limiter = new SendLimiter();
    limiter.penalise(null, 2, T0);
    expect(limiter.globalWait(T0)).toBe(2000);
    expect(limiter.reserve(9, T0 + 1000)).toBe(1000);
    expect(limiter.reserve(9, T0 + 2000)).toBe(0);
  });

  it('should take 429s from two chats at once as a global flood', () => {
    const limiter = new SendLimiter();
    limiter.penalise(1, 3, T0);
    expect(limiter.globalWait(T0)).toBe(0);
    limiter.penalise(2, 3, T0 + 200);
    expect(limiter.globalWait(T0 + 200)).toBe(3000);
    expect(limiter.reserve(3, T0 + 200)).toBe(3000);
  });

  it('should not take 429s from two chats far apart as global', () => {
    const limiter = new SendLimiter();
    limiter.penalise(1, 1, T0);
    limiter.penalise(2, 1, T0 + 5000);
    expect(limiter.globalWait(T0 + 5000)).toBe(0);
  });

  it('should forget idle chats without changing their limits', () => {
    const limiter = new SendLimiter({ globalBurst: 100_000, globalPerSecond: 100_000 });
    for (let chat = 1; chat <= 6000; chat++) limiter.reserve(chat, T0);
    // chat 1 has refilled long ago: a fresh bucket is the same thing
    expect(limiter.reserve(1, T0 + 10_000)).toBe(0);
    expect(limiter.reserve(6000, T0)).toBe(0);
    expect(limiter.reserve(6000, T0)).toBe(0);
    expect(limiter.reserve(6000, T0)).toBeGreaterThan(0);
  });
  it('should let a waiting direct answer go before outbox rows, into its chat and overall', () => {
    const limiter = new SendLimiter();
    const release = limiter.hold(1, false);
    expect(limiter.reserve(1, T0)).toBeGreaterThan(0); // the outbox yields in chat 1
    expect(limiter.reserve(2, T0)).toBe(0); // not elsewhere
    expect(limiter.reserve(1, T0, 'interactive')).toBe(0);
    release();
    expect(limiter.reserve(1, T0)).toBe(0);
    const waitingForAll = limiter.hold(3, true);
    expect(limiter.globalWait(T0 + 1000)).toBeGreaterThan(0);
    expect(limiter.globalWait(T0 + 1000, 'interactive')).toBe(0);
    waitingForAll();
    expect(limiter.globalWait(T0 + 1000)).toBe(0);
  });

  it('should start afresh when the clock is set back instead of waiting for a moment far away', () => {
    const limiter = new SendLimiter();
    limiter.penalise(1, 60, T0);
    expect(limiter.reserve(1, T0 + 1000)).toBeGreaterThan(50_000);
    expect(limiter.reserve(1, T0 - 86_400_000)).toBe(0);
  });
});
