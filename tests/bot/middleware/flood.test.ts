import { describe, expect, it } from 'vitest';
import { FloodGate } from '../../../src/bot/middleware/flood.ts';

const limits = { perMinute: 10, staffPerMinute: 40, pauseMs: 60_000 };
const run = (gate: FloodGate, id: number, n: number, at: number) => Array.from({ length: n }, () => gate.admit(id, at));

describe('FloodGate', () => {
  it('should let a burst up to the limit pass, pause the next one with a notice, then drop until the pause ends', () => {
    const gate = new FloodGate(limits);
    expect(run(gate, 1, 10, 0)).toEqual(Array(10).fill('pass'));
    expect(gate.admit(1, 0)).toBe('notice');
    expect(run(gate, 1, 500, 30_000)).toEqual(Array(500).fill('drop'));
    expect(gate.admit(1, 59_999)).toBe('drop');
    expect(gate.admit(1, 60_000)).toBe('pass');
  });

  it('should never pause a steady sender at the limit rate', () => {
    const gate = new FloodGate(limits);
    const verdicts = Array.from({ length: 600 }, (_, i) => gate.admit(1, i * 6_000));
    expect(new Set(verdicts)).toEqual(new Set(['pass']));
  });

  it('should count each sender apart', () => {
    const gate = new FloodGate(limits);
    run(gate, 1, 11, 0);
    expect(gate.admit(2, 0)).toBe('pass');
  });

  it('should give staff the higher limit once their role is known', () => {
    const gate = new FloodGate(limits);
    gate.remember(5, true, 'zh');
    expect(run(gate, 5, 40, 0)).toEqual(Array(40).fill('pass'));
    expect(gate.admit(5, 0)).toBe('notice');
    expect(gate.localeOf(5)).toBe('zh');
  });

  it('should forget idle senders', () => {
    const gate = new FloodGate(limits);
    for (let id = 0; id < 9_999; id += 1) gate.admit(id, 0);
    expect(gate.tracked).toBe(9_999);
    gate.admit(1, 10 * 60_000);
    expect(gate.tracked).toBe(1);
  });
});
