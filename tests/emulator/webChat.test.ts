import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotApiStandIn, type ScriptedGroup, type ScriptedUser } from '../../src/emulator/server.ts';
import { WebChat } from '../../src/emulator/web/webChat.ts';

let s: BotApiStandIn;
let villager: ScriptedUser;
let leader: ScriptedUser;
let group: ScriptedGroup;
const controlCalls: unknown[] = [];

/** The bot's side: a Bot API call as telegraf would make it. */
async function bot(method: string, body: Record<string, unknown> | FormData): Promise<Record<string, unknown>> {
  const init = body instanceof FormData ? { method: 'POST', body } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const res = await fetch(`${s.apiRoot}/bot${s.token}/${method}`, init);
  const json = (await res.json()) as { ok: boolean; result: Record<string, unknown> };
  expect(json.ok).toBe(true);
  return json.result;
}

async function page<T = Record<string, unknown>>(path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${s.apiRoot}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as T };
}

interface PageChat {
  messages: Array<{ id: number; out: boolean; kind: string; text: string; buttons: Array<Array<{ text: string; data?: string }>>; file?: { id: string; name: string } }>;
  keyboard: Array<Array<{ text: string; location: boolean }>>;
}

beforeEach(async () => {
  controlCalls.length = 0;
  let web: WebChat | undefined;
  s = await BotApiStandIn.start({ routes: (req, res, url) => web!.handle(req, res, url) });
  villager = s.user({ id: 501, firstName: 'ئايشەم', languageCode: 'ug' });
  leader = s.user({ id: 502, firstName: '张伟', languageCode: 'zh' });
  group = s.group({ id: -100777, title: 'Leaders' });
  web = new WebChat(s, [
    { key: 'villager_ug', name: 'ئايشەم', role: 'resident', language: 'ug', user: villager },
    { key: 'group', name: 'Leaders', role: 'group', language: 'zh', user: leader, group },
  ], {
    async runJobs(when) {
      controlCalls.push(when);
      return ['reminders: 2 sent'];
    },
    async reset() {
      controlCalls.push('reset');
    },
  });
});
afterEach(async () => {
  await s.stop();
});

describe('WebChat', () => {
  it('should serve the page, its script and the bundled fonts, and leave Bot API paths alone', async () => {
    const html = await fetch(`${s.apiRoot}/`);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('/static/app.js');
    for (const font of ['arabic.ttf', 'sc.ttf', 'emoji.ttf']) {
      const res = await fetch(`${s.apiRoot}/fonts/${font}`);
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    }
    expect((await fetch(`${s.apiRoot}/static/../webChat.ts`)).status).toBe(404);
    expect((await fetch(`${s.apiRoot}/bot${s.token}/getMe`)).status).toBe(200);
  });

  it('should show a chat in order with its buttons, count unread messages, and relay presses and their answers', async () => {
    expect((await page('/api/send', { person: 'villager_ug', text: '/start' })).json).toEqual({ ok: true });
    expect(s.updates.at(-1)?.['message']).toMatchObject({ text: '/start', from: { id: 501 } });
    const sent = await bot('sendMessage', { chat_id: 501, text: 'ياخشىمۇسىز', reply_markup: { inline_keyboard: [[{ text: '📝 مەسىلە', callback_data: 'menu:report' }]] } });

    const people = await page<{ people: Array<{ key: string; unread: number }> }>('/api/people');
    expect(people.json.people.find((p) => p.key === 'villager_ug')?.unread).toBe(1);
    const chat = await page<PageChat>('/api/chat/villager_ug');
    expect(chat.json.messages.map((m) => [m.out, m.text])).toEqual([[true, '/start'], [false, 'ياخشىمۇسىز']]);
    expect(chat.json.messages[1]?.buttons).toEqual([[{ text: '📝 مەسىلە', data: 'menu:report' }]]);
    expect((await page<{ people: Array<{ key: string; unread: number }> }>('/api/people')).json.people.find((p) => p.key === 'villager_ug')?.unread).toBe(0);

    const pressed = await page<{ queryId: string }>('/api/press', { person: 'villager_ug', messageId: sent['message_id'], data: 'menu:report' });
    expect((await page(`/api/answer/${pressed.json.queryId}`)).json).toMatchObject({ answered: false });
    await bot('answerCallbackQuery', { callback_query_id: pressed.json.queryId, text: 'OK!' });
    expect((await page(`/api/answer/${pressed.json.queryId}`)).json).toMatchObject({ answered: true, text: 'OK!', alert: false });
  });

  it('should send photos, voice and locations from a private chat, and refuse them in the group', async () => {
    await page('/api/photo', { person: 'villager_ug', base64: Buffer.from('not really a jpeg').toString('base64') });
    await page('/api/voice', { person: 'villager_ug', duration: 3 });
    await page('/api/location', { person: 'villager_ug', latitude: 41.17, longitude: 80.26 });
    const kinds = (await page<PageChat>('/api/chat/villager_ug')).json.messages.map((m) => m.kind);
    expect(kinds).toEqual(['photo', 'voice', 'location']);
    const photo = s.updates.find((u) => u['message'] !== undefined && 'photo' in (u['message'] as object));
    const sizes = (photo?.['message'] as { photo: Array<{ file_id: string }> }).photo;
    expect(s.file(sizes.at(-1)!.file_id)?.bytes.toString()).toBe('not really a jpeg');

    const refused = await page<{ ok: boolean; error: string }>('/api/photo', { person: 'group' });
    expect(refused.status).toBe(400);
    expect(refused.json.ok).toBe(false);
    expect((await page('/api/send', { person: 'nobody', text: 'hi' })).status).toBe(400);
  });

  it('should let the group speak through its member and download what the bot sends as a file', async () => {
    await page('/api/send', { person: 'group', text: '/export' });
    expect(s.updates.at(-1)?.['message']).toMatchObject({ chat: { id: -100777 }, from: { id: 502 } });
    const form = new FormData();
    form.set('chat_id', '-100777');
    form.set('document', new Blob([Buffer.from('PK fake xlsx')]), 'ledger 2026.xlsx');
    await bot('sendDocument', form);
    const doc = (await page<PageChat>('/api/chat/group')).json.messages.at(-1)!;
    expect(doc.kind).toBe('document');
    const res = await fetch(`${s.apiRoot}/api/file/${doc.file!.id}?download=1`);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''ledger%202026.xlsx`);
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('PK fake xlsx');
  });

  it('should show a one-time reply keyboard until the person answers', async () => {
    await bot('sendMessage', { chat_id: 501, text: 'ئورۇن', reply_markup: { keyboard: [[{ text: '📍 ئورۇن', request_location: true }]], one_time_keyboard: true } });
    expect((await page<PageChat>('/api/chat/villager_ug')).json.keyboard).toEqual([[{ text: '📍 ئورۇن', location: true }]]);
    await page('/api/location', { person: 'villager_ug', latitude: 41, longitude: 80 });
    expect((await page<PageChat>('/api/chat/villager_ug')).json.keyboard).toEqual([]);
  });

  it('should pass the jobs and reset controls to the demo, a later day or a date', async () => {
    expect((await page('/api/jobs', { days: 8 })).json).toEqual({ ok: true, lines: ['reminders: 2 sent'] });
    await page('/api/jobs', { date: '2026-12-24' });
    await page('/api/reset', {});
    expect(controlCalls).toEqual([{ days: 8 }, { date: '2026-12-24' }, 'reset']);
    expect((await page('/api/jobs', { days: 'soon' })).status).toBe(400);
  });

  it('should start again from empty chats when the emulator forgets its history, keeping its people', async () => {
    await page('/api/send', { person: 'villager_ug', text: 'سالام' });
    await bot('sendMessage', { chat_id: 501, text: 'ياخشىمۇسىز' });
    s.forgetHistory();
    expect(s.timeline(501)).toEqual([]);
    const poll = await fetch(`${s.apiRoot}/bot${s.token}/getUpdates`);
    expect(((await poll.json()) as { result: unknown[] }).result).toEqual([]);
    await page('/api/send', { person: 'villager_ug', text: 'يەنە' });
    expect((await page<PageChat>('/api/chat/villager_ug')).json.messages.map((m) => m.text)).toEqual(['يەنە']);
  });
});
