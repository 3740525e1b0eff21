import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Markup, Telegraf, TelegramError } from 'telegraf';
import type { Update } from 'telegraf/types';

import { BotApiStandIn, buttons, findButton } from '../../src/emulator/server.ts';
import { parseHtml, parseMarkdownV2 } from '../../src/emulator/entities.ts';
import type { ScriptedUser } from '../../src/emulator/server.ts';

let s: BotApiStandIn;
let bot: Telegraf;
let running = false;
let alice: ScriptedUser;

/** Awaits a rejected API call and checks Telegram's error code and description. */
async function expectApiError(call: Promise<unknown>, code: number, description: string | RegExp): Promise<TelegramError> {
  let caught: unknown;
  try {
    await call;
  } catch (e) {
    caught = e;
  }
  expect(caught, 'the call should have been refused').toBeInstanceOf(TelegramError);
  const err = caught as TelegramError;
  expect(err.code).toBe(code);
  if (typeof description === 'string') expect(err.description).toBe(description);
  else expect(err.description).toMatch(description);
  return err;
}

/** Starts long polling; `bot.launch()` resolves only when polling stops, so it is not awaited. */
async function launch(): Promise<void> {
  running = true;
  bot.launch().catch((e: unknown) => {
    console.error('bot.launch failed', e);
  });
  await s.waitUntil(() => s.callsTo('getUpdates').length > 0, { description: 'bot did not start polling' });
}

beforeEach(async () => {
  s = await BotApiStandIn.start();
  bot = new Telegraf(s.token, { telegram: { apiRoot: s.apiRoot } });
  alice = s.user({ id: 1001, firstName: 'Alice', username: 'alice', languageCode: 'ug' });
});

afterEach(async () => {
  if (running) {
    bot.stop('test end');
    running = false;
  }
  await s.stop();
});

describe('BotApiStandIn with telegraf', () => {
  it('echo roundtrip through getUpdates long polling', async () => {
    const seen: Update[] = [];
    bot.use(async (ctx, next) => {
      seen.push(ctx.update);
      await next();
    });
    bot.start((ctx) => ctx.reply(`welcome ${ctx.from.first_name}`));
    bot.on('text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
    await launch();

    const startUpdate = alice.sendText('/start ref_42');
    expect(startUpdate.message.entities).toEqual([{ type: 'bot_command', offset: 0, length: 6 }]);
    expect((await alice.nextMessage()).text).toBe('welcome Alice');

    alice.sendText('hello');
    const echo = await s.waitForMessage(alice.id, /^echo:/);
    expect(echo).toMatchObject({ kind: 'text', text: 'echo: hello', chatId: 1001 });
    expect(seen.map((u) => u.update_id)).toEqual([startUpdate.update_id, startUpdate.update_id + 1]);
    expect(s.callsTo('getMe')).toHaveLength(1);
  });

  it('refuses HTML with unknown tags or a bare "<", accepts escaped text', async () => {
    const send = (text: string): Promise<unknown> => bot.telegram.sendMessage(alice.id, text, { parse_mode: 'HTML' });
    await expectApiError(send('hi <foo>x</foo>'), 400, `Bad Request: can't parse entities: Unsupported start tag "foo" at byte offset 3`);
    await expectApiError(send('a < b'), 400, `Bad Request: can't parse entities: Unsupported start tag "" at byte offset 2`);
    await expectApiError(send('<b>bold <i>both</b></i>'), 400, /^Bad Request: can't parse entities: Unmatched end tag/);
    await expectApiError(send('<b>open'), 400, `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`);

    await send('a &lt; b');
    expect(s.lastMessage(alice.id)?.text).toBe('a < b');

    await send('<b>Ädä</b> &amp; <a href="https://example.org/?a=1&amp;b=2">link</a> <span class="tg-spoiler">x</span>');
    const m = s.lastMessage(alice.id);
    expect(m?.text).toBe('Ädä & link x');
    expect(m?.entities).toEqual([
      { type: 'bold', offset: 0, length: 3 },
      { type: 'text_link', offset: 6, length: 4, url: 'https://example.org/?a=1&b=2' },
      { type: 'spoiler', offset: 11, length: 1 },
    ]);
    await bot.telegram.sendMessage(alice.id, 'x', { parse_mode: 'HTML', entities: undefined });
  });

  it('refuses unescaped MarkdownV2 reserved characters', async () => {
    await expectApiError(
      bot.telegram.sendMessage(alice.id, 'Done.', { parse_mode: 'MarkdownV2' }),
      400,
      `Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'`,
    );
    await bot.telegram.sendMessage(alice.id, '*Done*\\. _ok_', { parse_mode: 'MarkdownV2' });
    expect(s.lastMessage(alice.id)).toMatchObject({
      text: 'Done. ok',
      entities: [{ type: 'bold', offset: 0, length: 4 }, { type: 'italic', offset: 6, length: 2 }],
    });
  });

  it('enforces text length and emptiness', async () => {
    await expectApiError(bot.telegram.sendMessage(alice.id, 'x'.repeat(4097)), 400, 'Bad Request: message is too long');
    await bot.telegram.sendMessage(alice.id, 'y'.repeat(4096));
    await expectApiError(bot.telegram.sendMessage(alice.id, ''), 400, 'Bad Request: message text is empty');
    await expectApiError(bot.telegram.sendMessage(alice.id, ' \n '), 400, 'Bad Request: message text is empty');
    await expectApiError(bot.telegram.sendMessage(alice.id, '<b> </b>', { parse_mode: 'HTML' }), 400, 'Bad Request: message text is empty');
    // 4096 after entity parsing is fine even though the raw text is longer
    await bot.telegram.sendMessage(alice.id, `<b>${'z'.repeat(4096)}</b>`, { parse_mode: 'HTML' });
    expect(s.messages(alice.id)).toHaveLength(2);
  });

  it('refuses callback_data over 64 bytes (UTF-8)', async () => {
    const tooLong = '村'.repeat(22); // 66 bytes
    await expectApiError(
      bot.telegram.sendMessage(alice.id, 'pick', Markup.inlineKeyboard([Markup.button.callback('A', tooLong)])),
      400,
      'Bad Request: BUTTON_DATA_INVALID',
    );
    await bot.telegram.sendMessage(alice.id, 'pick', Markup.inlineKeyboard([Markup.button.callback('A', '村'.repeat(21))]));
    expect(buttons(s.lastMessage(alice.id) ?? {})).toEqual([{ text: 'A', callback_data: '村'.repeat(21), row: 0, column: 0 }]);
  });

  it('answers "message is not modified" for identical edits', async () => {
    const kb = Markup.inlineKeyboard([Markup.button.callback('Yes', 'y')]);
    const sent = await bot.telegram.sendMessage(alice.id, 'Question?', kb);
    await expectApiError(
      bot.telegram.editMessageText(alice.id, sent.message_id, undefined, 'Question?', kb),
      400,
      'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    );
    await bot.telegram.editMessageText(alice.id, sent.message_id, undefined, 'Question?'); // drops the keyboard
    const m = s.lastMessage(alice.id);
    expect(m?.edits).toBe(1);
    expect(buttons(m ?? {})).toEqual([]);
    await expectApiError(
      bot.telegram.editMessageText(alice.id, 999, undefined, 'x'),
      400,
      'Bad Request: message to edit not found',
    );
  });

  it('a button press produces a callback_query; forged data needs forge:true', async () => {
    const queries: string[] = [];
    bot.action(/.*/, async (ctx) => {
      queries.push(ctx.callbackQuery.id);
      const data = 'data' in ctx.callbackQuery ? ctx.callbackQuery.data : '?';
      await ctx.answerCbQuery(`got ${data}`);
      if (data.startsWith('vote:')) await ctx.editMessageText('Answered');
    });
    await launch();
    await bot.telegram.sendMessage(alice.id, 'Vote', Markup.inlineKeyboard([[Markup.button.callback('Up', 'vote:up'), Markup.button.callback('Down', 'vote:down')]]));
    const msg = await alice.nextMessage();
    expect(findButton(msg, /Down/).callback_data).toBe('vote:down');

    const press = alice.press(msg, 'vote:up');
    expect(press.callback_query).toMatchObject({ from: { id: 1001 }, message: { message_id: msg.message_id }, data: 'vote:up' });
    await s.waitForEdit(msg, 'Answered');
    expect(s.callbackAnswers).toMatchObject([{ callbackQueryId: press.callback_query.id, text: 'got vote:up', showAlert: false }]);
    expect(queries).toEqual([press.callback_query.id]);

    // the keyboard is gone after the edit: pressing again is only possible as a forgery
    expect(() => alice.press(msg, 'vote:up')).toThrow(/not on message/);
    expect(() => alice.press(msg, 'admin:delete_all')).toThrow(/forge/);
    const forged = alice.press(msg, 'admin:delete_all', { forge: true });
    await s.waitUntil(() => queries.length === 2);
    expect(forged.callback_query).toMatchObject({ data: 'admin:delete_all' });
    await expectApiError(
      bot.telegram.answerCbQuery(press.callback_query.id, 'again'),
      400,
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    );
  });

  it('redeliver pushes the same update_id again', async () => {
    const ids: number[] = [];
    bot.on('text', (ctx) => {
      ids.push(ctx.update.update_id);
    });
    await launch();
    const u = alice.sendText('pay 100');
    await s.waitUntil(() => ids.length === 1);
    s.redeliver(u);
    await s.waitUntil(() => ids.length === 2);
    expect(ids).toEqual([u.update_id, u.update_id]);
    // later updates still arrive after the duplicate
    const next = alice.sendText('next');
    await s.waitUntil(() => ids.length === 3);
    expect(ids[2]).toBe(next.update_id);
  });

  it('answers 403 for a user who blocked the bot', async () => {
    const update = alice.block();
    expect(update.my_chat_member.new_chat_member.status).toBe('kicked');
    await expectApiError(bot.telegram.sendMessage(alice.id, 'hi'), 403, 'Forbidden: bot was blocked by the user');
    alice.unblock();
    await bot.telegram.sendMessage(alice.id, 'hi again');
    await expectApiError(bot.telegram.sendMessage(424242, 'hi'), 400, 'Bad Request: chat not found');
  });

  it('answers 403 after the bot was removed from a group', async () => {
    const g = s.group({ id: -5001, title: 'Village council' });
    const bob = s.user({ id: 1002, firstName: 'Bob' });
    g.sendText(bob, '/report@village_desk_test_bot');
    await bot.telegram.sendMessage(g.id, 'noted');
    const removed = s.botRemovedFromGroup(g, bob);
    expect(removed.my_chat_member).toMatchObject({ chat: { id: -5001, type: 'group' }, new_chat_member: { status: 'kicked' } });
    await expectApiError(bot.telegram.sendMessage(g.id, 'x'), 403, 'Forbidden: bot was kicked from the group chat');
  });

  it('floodLimits answer 429 with retry_after', async () => {
    s.configure({ floodLimits: true });
    for (let i = 0; i < 3; i++) await bot.telegram.sendMessage(alice.id, `burst ${i}`);
    const err = await expectApiError(bot.telegram.sendMessage(alice.id, 'one too many'), 429, /^Too Many Requests: retry after \d+$/);
    expect(err.parameters?.retry_after).toBeGreaterThanOrEqual(1);
    const stats = s.stats();
    expect(stats).toMatchObject({ delivered: 3, tooManyRequests: 1, deliveredByChat: { 1001: 3 } });
    expect(s.maxObservedRate().perChat[1001]?.perSecond).toBe(3);
    expect(s.limitViolations()).toEqual([]);
  });

  it('failureRate 1.0 answers 502 without delivering', async () => {
    s.configure({ failureRate: 1 });
    await expectApiError(bot.telegram.sendMessage(alice.id, 'lost'), 502, 'Bad Gateway');
    expect(s.messages(alice.id)).toEqual([]);
    expect(s.stats().injectedFailures).toBe(1);
    s.configure({ failureRate: 0 });
    await bot.telegram.sendMessage(alice.id, 'ok');
    expect(s.messages(alice.id)).toHaveLength(1);
  });

  it('stores multipart sendDocument bytes and file name', async () => {
    const bytes = Buffer.from('id,issue\n1,water pump broken\n', 'utf8');
    const sent = await bot.telegram.sendDocument(alice.id, { source: bytes, filename: 'ledger.csv' }, { caption: 'Ledger <b>May</b>', parse_mode: 'HTML' });
    expect(sent.document).toMatchObject({ file_name: 'ledger.csv', mime_type: 'text/csv', file_size: bytes.length });
    const [doc] = s.documents(alice.id);
    expect(doc?.fileName).toBe('ledger.csv');
    expect(doc?.bytes.equals(bytes)).toBe(true);
    expect(doc?.message.text).toBe('Ledger May');
    const link = await bot.telegram.getFileLink(sent.document.file_id);
    expect(Buffer.from(await (await fetch(link)).arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('getFile + download of a photo a user sent', async () => {
    const update = alice.sendPhoto({ caption: 'broken well' });
    const sizes = update.message.photo;
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sizes.map((p) => p.file_id)).size).toBe(sizes.length);
    const largest = sizes[sizes.length - 1];
    if (largest === undefined) throw new Error('no photo sizes');
    const file = await bot.telegram.getFile(largest.file_id);
    expect(file.file_path).toMatch(/^photos\/.+\.jpg$/);
    const link = await bot.telegram.getFileLink(file);
    const res = await fetch(link);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 2).toString('hex')).toBe('ffd8');
    expect(bytes.length).toBe(file.file_size);
    await expectApiError(bot.telegram.getFile('nope'), 400, 'Bad Request: invalid file_id');
  });

  it('validates setMyCommands and stores lists per scope and language', async () => {
    await bot.telegram.setMyCommands([{ command: 'report', description: 'Report a problem' }], { language_code: 'ug' });
    await bot.telegram.setMyCommands([{ command: 'ledger', description: '台账' }], { scope: { type: 'all_private_chats' }, language_code: 'zh' });
    await expectApiError(bot.telegram.setMyCommands([{ command: 'Report', description: 'x' }]), 400, 'Bad Request: BOT_COMMAND_INVALID');
    expect(s.commandsFor({ type: 'default' }, 'ug')).toEqual([{ command: 'report', description: 'Report a problem' }]);
    expect(s.commandsFor({ type: 'all_private_chats' }, 'zh')?.[0]?.command).toBe('ledger');
    expect(await bot.telegram.getMyCommands({ language_code: 'ug' })).toHaveLength(1);
  });

  it('answers 409 to an overlapping getUpdates, 401 to a wrong token, 404 to unknown methods', async () => {
    const first = bot.telegram.callApi('getUpdates', { timeout: 5 });
    await s.waitUntil(() => s.callsTo('getUpdates').length === 1);
    const second = bot.telegram.callApi('getUpdates', { timeout: 0 });
    await expectApiError(first, 409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
    expect(await second).toEqual([]);
    const other = new Telegraf('123:wrong', { telegram: { apiRoot: s.apiRoot } });
    await expectApiError(other.telegram.getMe(), 401, 'Unauthorized');
    await expectApiError(bot.telegram.callApi('sendDice' as 'getMe', {}), 404, 'Not Found');
  });

  it('delivers to a webhook with the secret token and retries after a failure', async () => {
    const received: Array<{ secret: string | undefined; id: number }> = [];
    let failFirst = true;
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (failFirst) {
          failFirst = false;
          res.writeHead(500).end();
          return;
        }
        const update = JSON.parse(body) as { update_id: number };
        received.push({ secret: req.headers['x-telegram-bot-api-secret-token'] as string | undefined, id: update.update_id });
        // answer with a method call, like telegraf's webhookReply
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: 'sendChatAction', chat_id: 1001, action: 'typing' }));
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    try {
      s.configure({ webhookRetryMs: 20 });
      await bot.telegram.setWebhook(`http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, { secret_token: 's3cr3t' });
      const u = alice.sendText('via webhook');
      await s.waitUntil(() => received.length === 1);
      expect(received).toEqual([{ secret: 's3cr3t', id: u.update_id }]);
      expect(s.webhookDeliveries.map((d) => d.status)).toEqual([500, 200]);
      expect(s.chatActions).toMatchObject([{ chatId: 1001, action: 'typing' }]);
      await expectApiError(bot.telegram.callApi('getUpdates', {}), 409, /^Conflict: can't use getUpdates method while webhook is active/);
      expect((await bot.telegram.getWebhookInfo()).last_error_message).toMatch(/500/);
    } finally {
      await bot.telegram.deleteWebhook();
      hook.closeAllConnections();
      await new Promise<void>((r) => hook.close(() => r()));
    }
  });

  it('waitForMessage rejects with what the chat received', async () => {
    await bot.telegram.sendMessage(alice.id, 'something else');
    await bot.telegram.sendMessage(alice.id, '<oops>', { parse_mode: 'HTML' }).catch(() => undefined);
    await expect(s.waitForMessage(alice.id, 'expected text', { timeoutMs: 50 })).rejects.toThrow(
      /#1 text \[unread\] "something else"[\s\S]*sendMessage → 400 Bad Request: can't parse entities/,
    );
  });

  it('handles uploads, media groups, copies, forwards, deletes and chat queries', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000', 'hex');
    const photo = await bot.telegram.sendPhoto(alice.id, { source: png, filename: 'chart.png' }, { caption: 'chart' });
    expect(photo.photo.length).toBeGreaterThanOrEqual(2);
    await bot.telegram.sendVoice(alice.id, { source: Buffer.from('OggS'), filename: 'note.ogg' }, { duration: 2 });
    const group = await bot.telegram.sendMediaGroup(alice.id, [
      { type: 'document', media: { source: Buffer.from('a,b\n'), filename: 'a.csv' } },
      { type: 'document', media: { source: Buffer.from('PK'), filename: 'b.xlsx' }, caption: 'two' },
    ]);
    expect(new Set(group.map((m) => m.media_group_id)).size).toBe(1);
    expect(s.files(alice.id).map((f) => [f.kind, f.fileName])).toEqual([
      ['photo', 'chart.png'], ['voice', 'note.ogg'], ['media_group item', 'a.csv'], ['media_group item', 'b.xlsx'],
    ]);
    expect(s.documents(alice.id).map((d) => d.mimeType)).toEqual([
      'text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ]);
    await expectApiError(
      bot.telegram.sendMediaGroup(alice.id, [{ type: 'photo', media: { source: png } }]),
      400,
      /^Bad Request: wrong number of media/,
    );

    const bob = s.user({ id: 1002, firstName: 'Bob' });
    const userMsg = alice.sendText('pump broken at well #3');
    const copy = await bot.telegram.copyMessage(bob.id, alice.id, userMsg.message.message_id);
    expect(s.messages(bob.id).find((m) => m.message_id === copy.message_id)?.text).toBe('pump broken at well #3');
    const fwd = await bot.telegram.forwardMessage(bob.id, alice.id, userMsg.message.message_id);
    expect(fwd).toMatchObject({ forward_origin: { type: 'user', sender_user: { id: 1001 } } });
    await bot.telegram.deleteMessage(bob.id, copy.message_id);
    expect(s.messages(bob.id)).toHaveLength(1);
    await expectApiError(bot.telegram.deleteMessage(bob.id, copy.message_id), 400, 'Bad Request: message to delete not found');

    const loc = await bot.telegram.sendLocation(alice.id, 39.47, 75.99);
    expect(loc.location).toEqual({ latitude: 39.47, longitude: 75.99 });
    expect(await bot.telegram.getChat(alice.id)).toMatchObject({ id: 1001, type: 'private', first_name: 'Alice' });
    expect(await bot.telegram.getChatMember(alice.id, alice.id)).toMatchObject({ status: 'member', user: { id: 1001 } });
    await bot.telegram.sendChatAction(alice.id, 'typing');
    await expectApiError(bot.telegram.callApi('sendChatAction', { chat_id: alice.id, action: 'dancing' as 'typing' }), 400, 'Bad Request: wrong parameter action in request');
    expect(s.chatActions).toMatchObject([{ chatId: 1001, action: 'typing' }]);
  });
});

describe('entity parsers', () => {
  it('parses the HTML subset like Telegram', () => {
    expect(parseHtml('<pre><code class="language-python">print(1)</code></pre>')).toEqual({
      text: 'print(1)',
      entities: [{ type: 'pre', offset: 0, length: 8, language: 'python' }],
    });
    expect(parseHtml('<blockquote expandable>q</blockquote> &#65;&#x42; <B>up</B>')).toEqual({
      text: 'q AB up',
      entities: [{ type: 'expandable_blockquote', offset: 0, length: 1 }, { type: 'bold', offset: 5, length: 2 }],
    });
    expect(() => parseHtml('Tom & Jerry', { strictAmpersand: true })).toThrow(/Character '&'/);
    expect(parseHtml('Tom & Jerry').text).toBe('Tom & Jerry'); // Telegram itself keeps a bare '&'
    expect(() => parseHtml('<span>x</span>')).toThrow('Tag "span" must have class "tg-spoiler" at byte offset 0');
    expect(() => parseHtml('日本 <foo>')).toThrow('Unsupported start tag "foo" at byte offset 7');
    expect(() => parseHtml('</b>')).toThrow('Unexpected end tag at byte offset 0');
  });

  it('parses MarkdownV2', () => {
    expect(parseMarkdownV2('*b _i_* __u__ ~s~ ||sp|| [l](https://x.org/a\\)b) `c`')).toEqual({
      text: 'b i u s sp l c',
      entities: [
        { type: 'bold', offset: 0, length: 3 },
        { type: 'italic', offset: 2, length: 1 },
        { type: 'underline', offset: 4, length: 1 },
        { type: 'strikethrough', offset: 6, length: 1 },
        { type: 'spoiler', offset: 8, length: 2 },
        { type: 'text_link', offset: 11, length: 1, url: 'https://x.org/a)b' },
        { type: 'code', offset: 13, length: 1 },
      ],
    });
    expect(() => parseMarkdownV2('*unclosed')).toThrow("Can't find end of Bold entity at byte offset 0");
    expect(() => parseMarkdownV2('a-b')).toThrow("Character '-' is reserved");
    expect(parseMarkdownV2('>quote\n>more\nafter').entities).toEqual([{ type: 'blockquote', offset: 0, length: 10 }]);
  });
});
