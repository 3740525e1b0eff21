/**
 * A web chat on top of the emulator: a page where you act as any of a few people (private
 * chats and one group), see the bot's messages, edits, buttons, photos and documents, and
 * press, type, send photos, voice and locations. Served by the emulator itself (StartOptions.routes),
 * with no file from the internet: the page, its script and its fonts come from this machine.
 */
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { BotApiStandIn, BotMessage, ScriptedGroup, ScriptedUser, TimelineEntry } from '../server.ts';
import { isRecord, readBody, sendJson } from '../request.ts';
import { fakeJpeg, fakeOgg, mimeFromFileName } from '../fixtures.ts';

/** One person the page lets you act as: a user in their private chat, or a user speaking in a group. */
export interface WebChatPerson {
  key: string;
  name: string;
  role: string;
  /** the page's label language for this person's chat header (ug, zh, en) */
  language: string;
  /** the user who acts */
  user: ScriptedUser;
  /** set when this "person" is a group: the chat shown is the group's, `user` writes in it */
  group?: ScriptedGroup;
}

/** What the page's controls do beyond chatting (the demo wires them to the bot process). */
export interface WebChatControls {
  /** runs the scheduled jobs as of a later day (N days on, or a date YYYY-MM-DD); answers one line per job for the page */
  runJobs(when: { days: number } | { date: string }): Promise<string[]>;
  /** starts again from the seeded ledger */
  reset(): Promise<void>;
}

/** The folder of the page's files, whether this module runs from src/ or from dist/. */
const STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..', 'src/emulator/web/static');
const requireHere = createRequire(import.meta.url);

/** Fonts the page uses, from npm packages in the tree: an Arabic-script font that shapes Uyghur, a CJK one and emoji. */
const FONTS: Record<string, string> = {
  'arabic.ttf': '@expo-google-fonts/noto-sans-arabic/400Regular/NotoSansArabic_400Regular.ttf',
  'arabic-bold.ttf': '@expo-google-fonts/noto-sans-arabic/700Bold/NotoSansArabic_700Bold.ttf',
  'sc.ttf': '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
  // the bot's buttons and messages start with emoji; outline glyphs render in every browser, headless included
  'emoji.ttf': '@expo-google-fonts/noto-emoji/400Regular/NotoEmoji_400Regular.ttf',
};

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ogg': 'audio/ogg',
};

/** A message as the page draws it. */
interface PageMessage {
  id: number;
  out: boolean;
  sender: string;
  kind: string;
  text: string;
  entities: unknown[];
  edited: boolean;
  at: number;
  buttons: Array<Array<{ text: string; data?: string; url?: string }>>;
  file?: { id: string; name: string; mime: string };
  location?: { latitude: number; longitude: number };
  duration?: number;
}

export class WebChat {
  private readonly seen = new Map<string, number>();
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly emulator: BotApiStandIn,
    private readonly people: readonly WebChatPerson[],
    private readonly controls: WebChatControls,
  ) {}

  /** For StartOptions.routes: answers the page's requests, true when handled. */
  readonly handle = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const p = url.pathname;
    if (p === '/' || p === '/index.html') return this.sendStatic(res, 'index.html');
    if (p.startsWith('/static/')) return this.sendStatic(res, p.slice('/static/'.length));
    if (p.startsWith('/fonts/')) return this.sendFont(res, p.slice('/fonts/'.length));
    if (!p.startsWith('/api/')) return false;
    try {
      await this.api(req, res, url);
    } catch (error) {
      sendJson(res, error instanceof PageError ? 400 : 500, { ok: false, error: error instanceof Error ? error.message : String(error) });
    }
    return true;
  };

  private async api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    if (route === 'GET /api/people') {
      sendJson(res, 200, { ok: true, people: this.people.map((x) => ({ key: x.key, name: x.name, role: x.role, language: x.language, unread: this.unread(x) })) });
      return;
    }
    const chatMatch = /^GET \/api\/chat\/([a-z_]+)$/.exec(route);
    if (chatMatch) {
      const person = this.person(chatMatch[1]!);
      sendJson(res, 200, { ok: true, ...this.chat(person) });
      return;
    }
    const answerMatch = /^GET \/api\/answer\/(\d+)$/.exec(route);
    if (answerMatch) {
      const answer = this.emulator.callbackAnswers.find((a) => a.callbackQueryId === answerMatch[1]);
      sendJson(res, 200, { ok: true, answered: answer !== undefined, text: answer?.text ?? '', alert: answer?.showAlert ?? false });
      return;
    }
    const fileMatch = /^GET \/api\/file\/([A-Za-z0-9_-]+)$/.exec(route);
    if (fileMatch) {
      const file = this.emulator.file(fileMatch[1]!);
      if (file === undefined) throw new PageError('no such file');
      const name = file.fileName ?? file.file_path.split('/').pop() ?? 'file';
      const headers: Record<string, string | number> = { 'content-type': file.mimeType ?? mimeFromFileName(name), 'content-length': file.bytes.length };
      if (url.searchParams.has('download')) headers['content-disposition'] = `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;
      res.writeHead(200, headers);
      res.end(file.bytes);
      return;
    }
    if (req.method !== 'POST') throw new PageError(`unknown request ${route}`);
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
    } catch {
      throw new PageError('the request is not JSON');
    }
    if (!isRecord(body)) throw new PageError('a JSON object is expected');
    const str = (k: string): string => {
      const v = body[k];
      if (typeof v !== 'string') throw new PageError(`${k} is missing`);
      return v;
    };
    const num = (k: string): number => {
      const v = body[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new PageError(`${k} must be a number`);
      return v;
    };
    switch (url.pathname) {
      case '/api/send': {
        const person = this.person(str('person'));
        const text = str('text').trim();
        if (text === '') throw new PageError('nothing to send');
        if (person.group) person.group.sendText(person.user, text);
        else person.user.sendText(text);
        break;
      }
      case '/api/press': {
        const person = this.person(str('person'));
        const chatId = person.group?.id ?? person.user.id;
        const message = this.emulator.messages(chatId).find((m) => m.message_id === num('messageId'));
        if (message === undefined) throw new PageError('that message is gone');
        const update = person.group ? person.group.press(person.user, message, str('data')) : person.user.press(message, str('data'));
        sendJson(res, 200, { ok: true, queryId: update.callback_query.id });
        return;
      }
      case '/api/photo': {
        const person = this.privatePerson(str('person'));
        const bytes = typeof body['base64'] === 'string' ? Buffer.from(body['base64'], 'base64') : fakeJpeg();
        person.user.sendPhoto({ bytes, ...(typeof body['caption'] === 'string' && body['caption'] !== '' ? { caption: body['caption'] } : {}) });
        break;
      }
      case '/api/voice': {
        const person = this.privatePerson(str('person'));
        const bytes = typeof body['base64'] === 'string' ? Buffer.from(body['base64'], 'base64') : fakeOgg(4);
        person.user.sendVoice({ bytes, duration: Math.max(1, Math.round(typeof body['duration'] === 'number' ? body['duration'] : 4)) });
        break;
      }
      case '/api/location': {
        const person = this.privatePerson(str('person'));
        person.user.sendLocation(num('latitude'), num('longitude'));
        break;
      }
      case '/api/jobs': {
        const when = typeof body['date'] === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(body['date']) ? { date: body['date'] } : { days: num('days') };
        const lines = await this.exclusive(() => this.controls.runJobs(when));
        sendJson(res, 200, { ok: true, lines });
        return;
      }
      case '/api/reset': {
        await this.exclusive(() => this.controls.reset());
        this.seen.clear();
        break;
      }
      default:
        throw new PageError(`unknown request ${route}`);
    }
    sendJson(res, 200, { ok: true });
  }

  /** Runs one control at a time (jobs and reset restart the bot). */
  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const next = this.busy.then(run, run);
    this.busy = next.catch(() => undefined);
    return next;
  }

  private person(key: string): WebChatPerson {
    const person = this.people.find((x) => x.key === key);
    if (!person) throw new PageError(`no person ${key}`);
    return person;
  }

  private privatePerson(key: string): WebChatPerson {
    const person = this.person(key);
    if (person.group) throw new PageError('photos, voice and locations are sent from a private chat');
    return person;
  }

  private chatId(person: WebChatPerson): number {
    return person.group?.id ?? person.user.id;
  }

  private unread(person: WebChatPerson): number {
    const seen = this.seen.get(person.key) ?? 0;
    return this.emulator.messages(this.chatId(person)).filter((m) => m.message_id > seen).length;
  }

  /** The chat of a person, marked read. */
  private chat(person: WebChatPerson): { messages: PageMessage[]; typing: boolean; keyboard: Array<Array<{ text: string; location: boolean }>> } {
    const chatId = this.chatId(person);
    const timeline = this.emulator.timeline(chatId);
    const messages = timeline.map((entry) => this.pageMessage(entry, person));
    const botMessages = this.emulator.messages(chatId);
    const last = botMessages[botMessages.length - 1];
    if (last) this.seen.set(person.key, Math.max(this.seen.get(person.key) ?? 0, last.message_id));
    const action = [...this.emulator.chatActions].reverse().find((a) => a.chatId === chatId);
    const typing = action !== undefined && Date.now() - action.at < 5000 && (last === undefined || last.sentAt < action.at);
    const lastUserMessage = timeline.filter((e) => e.from === 'user').reduce((max, e) => Math.max(max, e.id), 0);
    return { messages, typing, keyboard: replyKeyboard(botMessages, lastUserMessage) };
  }

  private pageMessage(entry: TimelineEntry, person: WebChatPerson): PageMessage {
    if (entry.from === 'bot') return botPageMessage(entry.message, this.emulator.botUser.first_name);
    const m = entry.message;
    const from = isRecord(m['from']) ? m['from'] : {};
    const sender = typeof from['first_name'] === 'string' ? from['first_name'] : person.name;
    const out: PageMessage = {
      id: entry.id,
      out: true,
      sender,
      kind: 'text',
      text: typeof m['text'] === 'string' ? m['text'] : typeof m['caption'] === 'string' ? m['caption'] : '',
      entities: [],
      edited: false,
      at: typeof m['date'] === 'number' ? m['date'] * 1000 : 0,
      buttons: [],
    };
    const photo = Array.isArray(m['photo']) ? m['photo'] : undefined;
    const largest: unknown = photo?.[photo.length - 1];
    if (isRecord(largest) && typeof largest['file_id'] === 'string') {
      out.kind = 'photo';
      out.file = { id: largest['file_id'], name: 'photo.jpg', mime: 'image/jpeg' };
    } else if (isRecord(m['voice']) && typeof m['voice']['file_id'] === 'string') {
      out.kind = 'voice';
      out.file = { id: m['voice']['file_id'], name: 'voice.ogg', mime: 'audio/ogg' };
      if (typeof m['voice']['duration'] === 'number') out.duration = m['voice']['duration'];
    } else if (isRecord(m['location']) && typeof m['location']['latitude'] === 'number' && typeof m['location']['longitude'] === 'number') {
      out.kind = 'location';
      out.location = { latitude: m['location']['latitude'], longitude: m['location']['longitude'] };
    }
    return out;
  }

  private sendStatic(res: ServerResponse, name: string): boolean {
    const file = path.resolve(STATIC_DIR, name);
    if (!file.startsWith(STATIC_DIR + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return false;
    const bytes = fs.readFileSync(file);
    res.writeHead(200, { 'content-type': STATIC_TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': bytes.length, 'cache-control': 'no-cache' });
    res.end(bytes);
    return true;
  }

  private sendFont(res: ServerResponse, name: string): boolean {
    const spec = FONTS[name];
    if (spec === undefined) return false;
    const bytes = fs.readFileSync(requireHere.resolve(spec));
    res.writeHead(200, { 'content-type': 'font/ttf', 'content-length': bytes.length, 'cache-control': 'max-age=86400' });
    res.end(bytes);
    return true;
  }
}

/** A request the page got wrong (400), as opposed to a failure of the emulator (500). */
class PageError extends Error {
  override readonly name = 'PageError';
}

function botPageMessage(m: BotMessage, botName: string): PageMessage {
  const markup = m.reply_markup;
  const rows = isRecord(markup) && Array.isArray(markup['inline_keyboard']) ? markup['inline_keyboard'] : [];
  const buttons = rows.map((row: unknown) =>
    (Array.isArray(row) ? row : []).flatMap((b: unknown) => {
      if (!isRecord(b) || typeof b['text'] !== 'string') return [];
      const out: { text: string; data?: string; url?: string } = { text: b['text'] };
      if (typeof b['callback_data'] === 'string') out.data = b['callback_data'];
      if (typeof b['url'] === 'string') out.url = b['url'];
      return [out];
    }),
  );
  const kind = m.kind === 'media_group item' ? (m.mediaType ?? 'document') : m.kind;
  const out: PageMessage = { id: m.message_id, out: false, sender: botName, kind, text: m.text, entities: m.entities, edited: m.edits > 0, at: m.sentAt, buttons };
  if (m.file) {
    const name = m.file.fileName ?? m.file.file_path.split('/').pop() ?? 'file';
    out.file = { id: m.file.file_id, name, mime: m.file.mimeType ?? mimeFromFileName(name) };
  }
  if (m.location) out.location = m.location;
  return out;
}

/**
 * The reply keyboard in force: the last one the bot sent, unless a later message removed it or,
 * for a one-time keyboard, the user has written since (Telegram hides it then).
 */
function replyKeyboard(messages: readonly BotMessage[], lastUserMessage: number): Array<Array<{ text: string; location: boolean }>> {
  for (let i = messages.length - 1; i >= 0; i--) {
    const markup = messages[i]!.reply_markup;
    if (!isRecord(markup)) continue;
    if (markup['remove_keyboard'] === true) return [];
    if (!Array.isArray(markup['keyboard'])) continue;
    if (markup['one_time_keyboard'] === true && lastUserMessage > messages[i]!.message_id) return [];
    return markup['keyboard'].map((row: unknown) =>
      (Array.isArray(row) ? row : []).flatMap((b: unknown) => {
        if (typeof b === 'string') return [{ text: b, location: false }];
        if (isRecord(b) && typeof b['text'] === 'string') return [{ text: b['text'], location: b['request_location'] === true }];
        return [];
      }),
    );
  }
  return [];
}
