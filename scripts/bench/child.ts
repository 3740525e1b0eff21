/**
 * The bot under test, in its own process (forked by scripts/bench.ts with --expose-gc), so that
 * its memory is measured alone and it gets a core of its own, as in production where Telegram
 * is elsewhere. Mode 'app' runs the real Village Desk (startApp from src/main.ts); mode 'bare'
 * runs a bare telegraf echo bot, the ceiling. Talks only to the stand-in on 127.0.0.1.
 *
 * IPC: the child sends { type: 'ready' }; the parent sends { type: 'mem', gc } and gets
 * { type: 'mem', ... }; { type: 'stop' } stops the bot and ends the process.
 */
import { Telegraf } from 'telegraf';
import { pino } from 'pino';
import type { App } from '../../src/main.ts';

export interface ChildInit {
  mode: 'app' | 'bare';
  token: string;
  apiRoot: string;
  databaseUrl: string;
}

export interface ChildMemory {
  type: 'mem';
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  arrayBuffersMB: number;
  /** highest RSS of the child process so far (getrusage maxrss) */
  maxRssMB: number;
  gcRan: boolean;
  /** CPU time of the process so far (user + system), ms */
  cpuMs: number;
}

const mb = (b: number): number => Math.round((b / 1048576) * 10) / 10;

function memory(runGc: boolean): ChildMemory {
  const g = (globalThis as { gc?: () => void }).gc;
  let gcRan = false;
  if (runGc && typeof g === 'function') {
    g();
    g();
    gcRan = true;
  }
  const m = process.memoryUsage();
  return {
    type: 'mem',
    rssMB: mb(m.rss),
    heapUsedMB: mb(m.heapUsed),
    heapTotalMB: mb(m.heapTotal),
    externalMB: mb(m.external),
    arrayBuffersMB: mb(m.arrayBuffers),
    maxRssMB: mb(process.resourceUsage().maxRSS * 1024),
    gcRan,
    cpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
  };
}

async function main(): Promise<void> {
  const init = JSON.parse(process.env.BENCH_CHILD ?? '{}') as ChildInit;
  let stop: () => Promise<void>;
  if (init.mode === 'app') {
    const env: NodeJS.ProcessEnv = {
      BOT_TOKEN: init.token,
      TELEGRAM_API_ROOT: init.apiRoot,
      DATABASE_URL: init.databaseUrl,
      LOG_LEVEL: 'silent',
      DEFAULT_LOCALE: 'ug',
      TIMEZONE: 'Asia/Urumqi',
    };
    // loaded only in this mode: the bare bot process carries none of the app's modules
    const { startApp } = await import('../../src/main.ts');
    const app: App = await startApp({ env, logger: pino({ level: 'silent' }) });
    stop = () => app.stop();
  } else {
    const bot = new Telegraf(init.token, { telegram: { apiRoot: init.apiRoot } });
    bot.on('message', (ctx) => ctx.reply(('text' in ctx.message ? ctx.message.text : undefined) ?? 'ok'));
    void bot.launch().catch((error: unknown) => {
      console.error('[bench child] bare bot polling stopped', error);
      process.exitCode = 1;
    });
    stop = async () => bot.stop('bench');
  }
  process.on('message', (msg: { type: string; gc?: boolean }) => {
    if (msg.type === 'mem') process.send?.(memory(msg.gc === true));
    if (msg.type === 'stop') {
      void stop()
        .catch(() => undefined)
        .finally(() => {
          process.send?.({ type: 'stopped' }, () => process.exit(0));
        });
    }
  });
  process.on('disconnect', () => process.exit(0)); // the parent went away
  process.send?.({ type: 'ready' });
}

main().catch((error: unknown) => {
  console.error('[bench child] failed to start', error);
  process.exit(1);
});
