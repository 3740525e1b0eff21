/**
 * Phase "flood": does one account flooding the bot slow everyone else down?
 *
 * The real app runs in a forked process (as in the updates phase). Twenty villagers send
 * commands at a steady rate (open loop) and their push → answer latency is measured, three ways:
 * alone (baseline); while one account pushes thousands of messages at once, with the flood gate
 * as configured (UPDATES_PER_MINUTE default); and the same flood with the gate opened wide
 * (UPDATES_PER_MINUTE=1000000), which shows what the gate prevents: telegraf handles a
 * getUpdates batch as a whole, so a batch full of the flooder's updates, each claimed, looked up
 * and answered, holds up the villagers' updates queued behind it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BotApiStandIn, type ScriptedUser } from '../../src/emulator/server.ts';
import { BotProcess } from './updates.ts';
import { percentile, round, sleep } from './util.ts';

const COMMANDS = ['/help', '/my'];

export interface FloodRun {
  label: string;
  flood: number;
  /** the villagers' updates and how many were answered */
  updates: number;
  answered: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** messages the bot sent to the flooder (answers + the one notice) */
  toFlooder: number;
}

export interface FloodFigures {
  rate: number;
  runs: FloodRun[];
}

async function run(o: { label: string; flood: number; gateOpen: boolean; updates: number; rate: number; workDir: string; timeoutMs: number; log: (s: string) => void; onChild?: (p: BotProcess | undefined) => void }): Promise<FloodRun> {
  const standin = await BotApiStandIn.start({ botUsername: 'village_desk_bench_bot' });
  const dbDir = fs.mkdtempSync(path.join(o.workDir, 'bench-flood-'));
  let bot: BotProcess | undefined;
  try {
    bot = await BotProcess.start({
      mode: 'app',
      token: standin.token,
      apiRoot: standin.apiRoot,
      databaseUrl: `file:${path.join(dbDir, 'ledger.db')}`,
      ...(o.gateOpen ? { env: { UPDATES_PER_MINUTE: '1000000', STAFF_UPDATES_PER_MINUTE: '1000000' } } : {}),
    });
    o.onChild?.(bot);
    await standin.waitUntil(() => standin.callsTo('getUpdates').length > 0, { timeoutMs: 30_000, description: 'the bot never polled' });
    const villagers: ScriptedUser[] = Array.from({ length: 20 }, (_, i) => standin.user({ id: 110_000 + i, firstName: `Villager${i}`, languageCode: i % 3 === 2 ? 'zh' : 'ug' }));
    // warm-up, and every villager known to the ledger
    for (const v of villagers) v.sendText('/start');
    await standin.waitUntil(() => villagers.every((v) => standin.messages(v.id).length >= 1), { timeoutMs: o.timeoutMs, description: 'warm-up not answered' });
    await sleep(300);
    const flooder = standin.user({ id: 119_999, firstName: 'Flood', languageCode: 'ug' });
    for (let i = 0; i < o.flood; i += 1) flooder.sendText(`spam ${i}`);

    const pushes: Array<{ chatId: number; index: number; at: number }> = [];
    const expected = new Map(villagers.map((v) => [v.id, standin.messages(v.id).length]));
    const t0 = performance.now();
    while (pushes.length < o.updates) {
      const due = Math.min(o.updates, Math.floor(((performance.now() - t0) / 1000) * o.rate) + 1);
      while (pushes.length < due) {
        const v = villagers[pushes.length % villagers.length]!;
        const index = expected.get(v.id)!;
        expected.set(v.id, index + 1);
        pushes.push({ chatId: v.id, index, at: Date.now() });
        v.sendText(COMMANDS[pushes.length % COMMANDS.length]!);
      }
      await sleep(2);
    }
    const deadline = Date.now() + o.timeoutMs;
    while (Date.now() < deadline && !pushes.every((p) => standin.messages(p.chatId).length > p.index)) await sleep(5);
    const latencies = pushes.flatMap((p) => {
      const m = standin.messages(p.chatId)[p.index];
      return m ? [m.sentAt - p.at] : [];
    });
    const result: FloodRun = {
      label: o.label,
      flood: o.flood,
      updates: pushes.length,
      answered: latencies.length,
      latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: percentile(latencies, 100) },
      toFlooder: standin.messages(flooder.id).length,
    };
    o.log(`flood: ${o.label}: villagers ${result.answered}/${result.updates} answered, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms; ${result.toFlooder} messages to the flooder`);
    return result;
  } finally {
    await bot?.stop().catch(() => undefined);
    o.onChild?.(undefined);
    await standin.stop();
    fs.rmSync(dbDir, { recursive: true, force: true });
  }
}

/** The three runs; the app must be built (dist/) first, as for the updates phase. */
export async function benchFlood(o: { flood: number; updates: number; rate: number; workDir: string; timeoutMs: number; log: (s: string) => void; onChild?: (p: BotProcess | undefined) => void }): Promise<FloodFigures> {
  const common = { updates: o.updates, rate: o.rate, workDir: o.workDir, timeoutMs: o.timeoutMs, log: o.log, ...(o.onChild ? { onChild: o.onChild } : {}) };
  const runs = [
    await run({ ...common, label: 'no flood', flood: 0, gateOpen: false }),
    await run({ ...common, label: `one account sends ${o.flood.toLocaleString('en')} at once, gate on`, flood: o.flood, gateOpen: false }),
    await run({ ...common, label: `the same flood, gate off`, flood: o.flood, gateOpen: true }),
  ];
  return { rate: o.rate, runs: runs.map((r) => ({ ...r, latencyMs: { ...r.latencyMs, p50: round(r.latencyMs.p50, 0) } })) };
}
