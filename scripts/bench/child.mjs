// The bot under test, in its own process, as `npm start` runs it: plain node over the compiled
// app (dist/, built by `npm run build`), no TypeScript loader. Forked by scripts/bench/updates.ts
// with --expose-gc, so that its memory and CPU are measured alone. Mode 'app' runs the real
// Village Desk (startApp from dist/main.js); mode 'bare' a bare telegraf echo bot, the ceiling.
// Talks only to the stand-in on 127.0.0.1.
//
// IPC: the child sends { type: 'ready' }; the parent sends { type: 'mem', gc } and gets
// { type: 'mem', ... }; { type: 'stop' } stops the bot and ends the process.
// (Types of these messages: scripts/bench/child.ts.)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Telegraf } from 'telegraf';
import { pino } from 'pino';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mb = (b) => Math.round((b / 1048576) * 10) / 10;

function memory(runGc) {
  const g = globalThis.gc;
  let gcRan = false;
  if (runGc && typeof g === 'function') {
    g();
    g();
    gcRan = true;
  }
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    type: 'mem',
    rssMB: mb(m.rss),
    heapUsedMB: mb(m.heapUsed),
    heapTotalMB: mb(m.heapTotal),
    externalMB: mb(m.external),
    arrayBuffersMB: mb(m.arrayBuffers),
    maxRssMB: mb(process.resourceUsage().maxRSS * 1024),
    gcRan,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
}

const init = JSON.parse(process.env.BENCH_CHILD ?? '{}');
let stop;
if (init.mode === 'app') {
  // The bot's own budget over all chats at 1,000/s (Telegram's ceiling with paid broadcasts), so
  // that the benchmark measures the cost of the limiter on every answer, not the 30/s budget.
  const env = { BOT_TOKEN: init.token, TELEGRAM_API_ROOT: init.apiRoot, DATABASE_URL: init.databaseUrl, LOG_LEVEL: 'silent', DEFAULT_LOCALE: 'ug', TIMEZONE: 'Asia/Urumqi', TELEGRAM_MESSAGES_PER_SECOND: '1000', ...init.env };
  // loaded only in this mode: the bare bot process carries none of the app's modules
  const { startApp } = await import(pathToFileURL(path.join(ROOT, 'dist', 'main.js')).href);
  const app = await startApp({ env, logger: pino({ level: 'silent' }) });
  stop = () => app.stop();
} else {
  const bot = new Telegraf(init.token, { telegram: { apiRoot: init.apiRoot } });
  bot.on('message', (ctx) => ctx.reply(('text' in ctx.message ? ctx.message.text : undefined) ?? 'ok'));
  void bot.launch().catch((error) => {
    console.error('[bench child] bare bot polling stopped', error);
    process.exitCode = 1;
  });
  stop = async () => bot.stop('bench');
}
process.on('message', (msg) => {
  if (msg.type === 'mem') process.send?.(memory(msg.gc === true));
  if (msg.type === 'stop') {
    void stop()
      .catch(() => undefined)
      .finally(() => process.send?.({ type: 'stopped' }, () => process.exit(0)));
  }
});
process.on('disconnect', () => process.exit(0)); // the parent went away
process.send?.({ type: 'ready' });
