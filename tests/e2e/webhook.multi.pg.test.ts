import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotApiStandIn, buttons, type BotMessage, type ScriptedUser } from '../../src/emulator/server.ts';
import { openDatabase, type Db } from '../../src/db/client.ts';
import { owe } from '../../src/notify/outbox.ts';
import { postgresServerUrl } from '../support/engine.ts';
import { createDatabase } from '../support/postgres.ts';

/**
 * Several bot processes behind one webhook address, sharing one PostgreSQL database: what a
 * prefecture runs (docs/DEPLOY.md). Real processes (node src/main.ts), a round-robin proxy with
 * failover in front of them (as nginx does), and SIGKILL.
 */

const SECRET = 'multi_process_secret';
const LEASE_SECONDS = 3;
const hasButtons = (m: BotMessage) => buttons(m).length > 0;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Backend {
  name: string;
  port: number;
  hits: number;
}

/** Round robin over the bot processes; a process that does not answer is skipped; optionally every update goes to all of them. */
class Proxy {
  readonly backends: Backend[] = [];
  /** send each update to every process at once (a delivery repeated to two processes) */
  duplicate = false;
  /** the process the last update went to */
  last?: Backend;
  private next = 0;
  private server?: http.Server;

  async start(): Promise<number> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.forwardAll(req, Buffer.concat(chunks)).then((status) => res.writeHead(status).end()));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as net.AddressInfo).port;
  }

  private async forward(b: Backend, req: http.IncomingMessage, body: Buffer): Promise<number> {
    const resp = await fetch(`http://127.0.0.1:${b.port}${req.url}`, {
      method: req.method,
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': String(req.headers['x-telegram-bot-api-secret-token'] ?? '') },
      body,
    });
    await resp.arrayBuffer();
    b.hits += 1;
    this.last = b;
    return resp.status;
  }

  private async forwardAll(req: http.IncomingMessage, body: Buffer): Promise<number> {
    if (this.duplicate) {
      const results = await Promise.allSettled(this.backends.map((b) => this.forward(b, req, body)));
      return results.some((r) => r.status === 'fulfilled' && r.value === 200) ? 200 : 502;
    }
    for (let i = 0; i < this.backends.length; i += 1) {
      const b = this.backends[(this.next + i) % this.backends.length]!;
      try {
        this.last = b;
        const status = await this.forward(b, req, body);
        this.next = (this.next + i + 1) % this.backends.length;
        return status;
      } catch {
        // connection refused or reset: the next process
      }
    }
    return 502;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.server?.closeAllConnections();
    await closed;
  }
}

interface BotProcess {
  name: string;
  port: number;
  child: ChildProcess;
  output: string[];
}

describe('two webhook processes on one PostgreSQL database', () => {
  let standin: BotApiStandIn;
  let proxy: Proxy;
  let url: string;
  let db: Db;
  const processes: BotProcess[] = [];
  let env: NodeJS.ProcessEnv;

  async function startBot(name: string): Promise<BotProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('src/main.ts')], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const bot: BotProcess = { name, port, child, output: [] };
    child.stdout!.on('data', (d: Buffer) => bot.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => bot.output.push(d.toString()));
    processes.push(bot);
    return bot;
  }

  async function ready(bot: BotProcess): Promise<void> {
    const until = Date.now() + 60_000;
    for (;;) {
      if (bot.child.exitCode !== null) throw new Error(`${bot.name} exited ${bot.child.exitCode}:\n${bot.output.join('')}`);
      const status = (await fetch(`http://127.0.0.1:${bot.port}/readyz`).catch(() => undefined))?.status;
      if (status === 200) break;
      if (Date.now() > until) throw new Error(`${bot.name} not ready within 60 s (last /readyz: ${status}):\n${bot.output.join('')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    proxy.backends.push({ name: bot.name, port: bot.port, hits: 0 });
  }

  function kill(bot: BotProcess): void {
    bot.child.kill('SIGKILL');
    proxy.backends.splice(
      proxy.backends.findIndex((b) => b.port === bot.port),
      1,
      // the proxy still tries it: a dead address is skipped like a crashed machine would be
    );
    proxy.backends.push({ name: `${bot.name} (dead)`, port: bot.port, hits: 0 });
  }

  /** The process holding the scheduler and the outbox (its pid is in the lease's holder name). */
  async function holder(): Promise<BotProcess | undefined> {
    const lease = await db.lease.findUnique({ where: { name: 'scheduler' } });
    return processes.find((p) => lease?.holder.split(':')[1] === String(p.child.pid));
  }

  beforeAll(async () => {
    standin = await BotApiStandIn.start({ botUsername: 'village_desk_bot' });
    proxy = new Proxy();
    const proxyPort = await proxy.start();
    url = createDatabase(postgresServerUrl());
    env = {
      ...process.env,
      BOT_TOKEN: standin.token,
      TELEGRAM_API_ROOT: standin.apiRoot,
      DATABASE_URL: url,
      BOT_MODE: 'webhook',
      WEBHOOK_URL: `http://127.0.0.1:${proxyPort}/telegram`,
      WEBHOOK_SECRET: SECRET,
      TIMEZONE: 'Asia/Urumqi',
      DEFAULT_LOCALE: 'ug',
      ADMIN_TELEGRAM_IDS: '900001',
      LOG_LEVEL: 'warn',
      SCHEDULER_LEASE_SECONDS: String(LEASE_SECONDS),
      // no quiet hours: nothing here may depend on the time of day the test runs at
      QUIET_HOURS_START: '00:00',
      QUIET_HOURS_END: '00:00',
    };
    // both start at once on an empty database: one applies the migrations, the other waits for it
    const [a, b] = await Promise.all([startBot('A'), startBot('B')]);
    await Promise.all([ready(a!), ready(b!)]);
    db = await openDatabase(url);
    const applied = await db.$queryRawUnsafe<Array<{ n: bigint }>>('SELECT COUNT(*) AS n FROM "_prisma_migrations"');
    expect(Number(applied[0]!.n)).toBeGreaterThan(0);
    // a cadre owns drinking water; one village
    const now = new Date();
    const cadre = await db.user.create({ data: { telegramId: 7100n, displayName: '王', role: 'cadre', locale: 'zh', createdAt: now, updatedAt: now } });
    await db.category.update({ where: { code: 'drinking_water' }, data: { defaultOwnerId: cadre.id } });
    await db.place.create({ data: { code: 'aqsu', nameUg: 'ئاقسۇ كەنتى', nameZh: '阿克苏村', createdAt: now } });
  }, 120_000);

  afterAll(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    // the stand-in first: it would go on retrying a pending delivery through the proxy
    await standin?.stop();
    await proxy?.stop();
    await db?.$disconnect();
  });

  async function reportWater(villager: ScriptedUser, text: string): Promise<BotMessage> {
    villager.sendText('/report');
    villager.pressButton(await villager.waitForMessage(hasButtons, { timeoutMs: 15_000 }), 'ئىچىملىك سۇ');
    await villager.waitForMessage(/چۈشەندۈرۈڭ/, { timeoutMs: 15_000 });
    villager.sendText(text);
    villager.pressButton(await villager.waitForMessage(/قەيەردە/, { timeoutMs: 15_000 }), 'ئاقسۇ كەنتى');
    villager.pressButton(await villager.waitForMessage(/تەكشۈرۈڭ/, { timeoutMs: 15_000 }), '✅ جەزملەش');
    // the same problem is already open in the village: they file their own all the same
    const next = await villager.waitForMessage(/رەھمەت|ئوخشاش مەسىلە/, { timeoutMs: 15_000 });
    if (/رەھمەت/.test(next.text)) return next;
    villager.pressButton(next, /ئايرىم ئىنكاس/);
    return villager.waitForMessage(/رەھمەت/, { timeoutMs: 15_000 });
  }

  it('should carry each conversation across both processes, file each report once with gap-free numbers, and handle a doubled delivery once', async () => {
    const cadre = standin.user({ id: 7100, firstName: '王', languageCode: 'zh' });
    const villagers = Array.from({ length: 6 }, (_, i) => standin.user({ id: 7200 + i, firstName: `Villager${i}`, languageCode: 'ug' }));
    // every update reaches both processes at the same moment
    proxy.duplicate = true;
    await Promise.all(villagers.slice(0, 3).map((v, i) => reportWater(v, `سۇ يوق ${i}`)));
    // then one process per update, in turn: each conversation step lands on the other process
    proxy.duplicate = false;
    await Promise.all(villagers.slice(3).map((v, i) => reportWater(v, `سۇ يوق ${i + 3}`)));

    expect(proxy.backends.every((b) => b.hits > 10)).toBe(true);
    const reports = await db.report.findMany({ orderBy: { number: 'asc' } });
    expect(reports.map((r) => r.number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(reports.map((r) => r.description))).toEqual(new Set(villagers.map((_, i) => `سۇ يوق ${i}`)));
    for (const v of villagers) {
      // one confirmation each, and no bot message said twice (each filed one report)
      expect(v.messages().filter((m) => /رەھمەت/.test(m.text))).toHaveLength(1);
      const said = v.messages().map((m) => m.text);
      expect(new Set(said).size).toBe(said.length);
    }
    // the cadre's cards come from the outbox of the lease holder: one per report
    await expect.poll(() => cadre.messages().filter((m) => /新问题/.test(m.text)).length, { timeout: 15_000 }).toBe(6);
    await new Promise((r) => setTimeout(r, 1000)); // nothing more arrives late
    expect(cadre.messages().filter((m) => /新问题/.test(m.text))).toHaveLength(6);
    expect(await db.outboxMessage.count({ where: { status: { not: 'sent' } } })).toBe(0);
  }, 120_000);

  it('should survive a SIGKILL of either process: the other serves the conversation, and the outbox moves within seconds with nothing lost', async () => {
    const c = await startBot('C');
    await ready(c);
    const first = await holder();
    expect(first).toBeDefined();
    // 1. kill a process that does not hold the lease: conversations go on through the others
    const bystander = processes.find((p) => p !== first && p.child.exitCode === null && p.child.signalCode === null)!;
    kill(bystander);
    const late = standin.user({ id: 7300, firstName: 'Late', languageCode: 'ug' });
    await reportWater(late, 'سۇ يوق 7');
    expect((await db.report.findMany({ select: { number: true }, orderBy: { number: 'asc' } })).map((r) => r.number)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    // 2. the holder dies in the middle of sending 60 owed messages
    const people = Array.from({ length: 20 }, (_, i) => standin.user({ id: 7400 + i, firstName: `P${i}`, languageCode: 'zh' }));
    const now = new Date();
    const texts = people.flatMap((p, i) => [0, 1, 2].map((k) => ({ chatId: p.id, text: `notice ${i}-${k}` })));
    await db.$transaction((tx) =>
      owe(
        tx as unknown as Parameters<typeof owe>[0],
        texts.map((t) => ({ chatId: t.chatId, method: 'sendMessage' as const, params: { text: t.text }, notBefore: now })),
        now,
      ),
    );
    const delivered = () => people.flatMap((p) => p.messages()).filter((m) => /^notice /.test(m.text));
    await expect.poll(() => delivered().length, { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(10);
    const holderNow = (await holder())!;
    kill(holderNow);
    const killedAt = Date.now();
    const atKill = delivered().length;
    await expect.poll(() => new Set(delivered().map((m) => m.text)).size, { timeout: 30_000, interval: 50 }).toBe(texts.length);
    const survivor = await holder();
    expect(survivor).toBeDefined();
    expect(survivor).not.toBe(holderNow);
    const takeoverMs = Date.now() - killedAt;
    const duplicates = delivered().length - texts.length;
    console.log(`outbox: ${atKill} of ${texts.length} sent before SIGKILL, all ${texts.length} after ${takeoverMs} ms, ${duplicates} duplicates`);
    // the lease runs out after LEASE_SECONDS; the survivor renews every third of it
    expect(takeoverMs).toBeLessThan((LEASE_SECONDS * 2 + 5) * 1000);
    // at-least-once admits a message in flight at the kill; the goal is none
    expect(duplicates).toBeLessThanOrEqual(2);

    // 3. the survivor alone still serves the conversation
    const last = standin.user({ id: 7500, firstName: 'Last', languageCode: 'ug' });
    await reportWater(last, 'سۇ يوق 8');
    expect((await db.report.findMany({ select: { number: true }, orderBy: { number: 'asc' } })).map((r) => r.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 180_000);

  it('should handle an update again when the process handling it is killed half-way (at least once, never lost)', async () => {
    const d = await startBot('D');
    await ready(d);
    const villager = standin.user({ id: 7600, firstName: 'Halfway', languageCode: 'ug' });
    villager.sendText('/start');
    await villager.waitForMessage(/ياخشىمۇسىز/, { timeoutMs: 15_000 });
    // the next update gets stuck in the database half-way (the test holds the users table), and
    // its process dies there, before answering
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE "User" IN ACCESS EXCLUSIVE MODE');
    const recorded = await db.processedUpdate.count();
    villager.sendText('/help');
    // a process has taken the update: it holds the update's lock (or, had it recorded the update
    // when taking it, the record is there)
    const taken = async () =>
      Number((await db.$queryRawUnsafe<Array<{ n: bigint }>>(`SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = ${0x5644_0003} AND granted`))[0]!.n) > 0 ||
      (await db.processedUpdate.count()) > recorded;
    await expect.poll(taken, { timeout: 15_000, interval: 20 }).toBe(true);
    const handling = processes.find((p) => p.port === proxy.last!.port)!;
    kill(handling);
    await blocker.query('COMMIT');
    await blocker.end();
    // the redelivery goes to the other process, which finds the update not yet handled
    const help = await villager.waitForMessage(/\/report/, { timeoutMs: 20_000 });
    const answers = villager.messages().filter((m) => m.text === help.text).length;
    console.log(`update killed half-way: answered ${answers} time(s)`);
    expect(answers).toBe(1);
  }, 120_000);
});
