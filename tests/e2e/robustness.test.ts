import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/app.ts';

/** Every line of a Uyghur text starts with a right-to-left mark (src/i18n), button labels too. */
const RLM = '\u200F';

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('the bot as a service', () => {
  it('should register the command menu in Uyghur, Chinese and English', async () => {
    h = await startHarness();
    const ug = h.standin.commandsFor({ type: 'default' }, 'ug')!;
    const zh = h.standin.commandsFor({ type: 'default' }, 'zh')!;
    expect(ug.map((c) => c.command)).toEqual(['report', 'my', 'status', 'lang', 'help', 'cancel', 'privacy', 'mydata', 'forget']);
    expect(ug[0]!.description).toBe(`${RLM}مەسىلە ئىنكاس قىلىش`);
    expect(zh[0]!.description).toBe('反映问题');
    expect(h.standin.commandsFor({ type: 'default' }, '')![0]!.description).toBe('Report a problem');
    // an administrator gets a menu of their own, in their language, for their chat only
    const admin = h.standin.user({ id: 900_001, firstName: 'Admin', languageCode: 'zh' });
    admin.sendText('/start');
    await admin.waitForMessage(/您好/);
    const mine = h.standin.commandsFor({ type: 'chat', chat_id: 900_001 })!;
    expect(mine.map((c) => c.command)).toEqual(['digest', 'queue', 'export', 'users', 'invite', 'status', 'tasks', 'report', 'lang', 'help', 'cancel', 'privacy', 'mydata', 'forget']);
    expect(mine[0]!.description).toBe('情况汇总');
  });

  it('should answer politely and keep running when Telegram refuses a message', async () => {
    h = await startHarness();
    const user = h.standin.user({ id: 6001, firstName: '王', languageCode: 'zh' });
    h.standin.failNext('sendMessage', { code: 400, description: 'Bad Request: something unexpected' });
    user.sendText('/start');
    await user.waitForMessage(/抱歉，系统出了点问题/);
    user.sendText('/start');
    await user.waitForMessage(/您好/);
  });

  it('should serve a webhook that refuses requests without the secret', async () => {
    const port = await freePort();
    h = await startHarness({ env: { BOT_MODE: 'webhook', WEBHOOK_URL: `http://127.0.0.1:${port}/telegram`, WEBHOOK_SECRET: 'village_secret-1', PORT: String(port) } });
    const user = h.standin.user({ id: 6002, firstName: 'Ayshem', languageCode: 'ug' });
    user.sendText('/start');
    await user.waitForMessage(/ياخشىمۇسىز/);
    await expect.poll(() => h!.standin.webhookDeliveries.at(-1)?.status).toBe(200);
    const update = { update_id: 999, message: { message_id: 1, date: 0, chat: { id: 6002, type: 'private' }, from: { id: 6002, is_bot: false, first_name: 'x' }, text: '/start' } };
    const forged = await fetch(`http://127.0.0.1:${port}/telegram`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(update) });
    expect(forged.status).toBe(403);
    const wrong = await fetch(`http://127.0.0.1:${port}/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'guess' },
      body: JSON.stringify(update),
    });
    expect(wrong.status).toBe(403);
    expect(user.messages().filter((m) => /ياخشىمۇسىز/.test(m.text))).toHaveLength(1);
    // liveness and readiness on the same port, for a load balancer
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ ok: true });
    expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toEqual({ ready: true, database: 'ok', pendingMigrations: [] });
  });
});
