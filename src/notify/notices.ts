import type { Report, User } from '../domain/types.ts';
import type { Locale, Texts } from '../i18n/index.ts';
import type { OwedMessage } from './outbox.ts';
import { reportRef } from '../i18n/format.ts';
import { html } from '../i18n/text.ts';
import { actionKeyboard, reportCard, reporterLabel, userText, type InlineKeyboard, type Reader } from './render.ts';
import { availableActions } from '../domain/lifecycle.ts';

/** Someone (a person, or the leaders' group) the bot owes a message. */
export interface Recipient {
  chatId: number;
  locale: Locale;
  /** the user behind a private chat, to show them the buttons they may press */
  user?: User;
}

/** What a notice says, in Bot API terms, before it is addressed. */
type Body = { text: string; keyboard?: InlineKeyboard };

/**
 * The messages the bot owes people when a report changes, rendered in each recipient's
 * language. Pure: the services write what this returns to the outbox.
 */
export class Notices {
  constructor(private readonly deps: { texts: Texts; timeZone: string; defaultLocale: Locale }) {}

  reader(locale: Locale): Reader {
    return { locale, t: this.deps.texts.forLocale(locale), timeZone: this.deps.timeZone };
  }

  recipientOf(user: User): Recipient {
    return { chatId: user.telegramId, locale: user.locale ?? this.deps.defaultLocale, user };
  }

  /** A report card for staff, with the buttons the recipient may press, followed by its voice, photos and location. */
  reportForStaff(to: Recipient, headlineKey: string, report: Report, people: { reporter: User | null; owner: User | null }, now: Date, extra: Record<string, string> = {}): OwedMessage[] {
    const r = this.reader(to.locale);
    const card = reportCard(report, r, now, { reporter: reporterLabel(report, people.reporter, r), owner: people.owner?.displayName ?? null });
    const text = `${r.t(headlineKey, { ref: reportRef(report.number), ...extra })}\n\n${card}`;
    // the leaders' group has no single reader: anyone answered there is a leader (the group gate)
    const actor = to.user ? { kind: 'user' as const, userId: to.user.id, role: to.user.role } : { kind: 'user' as const, userId: 0, role: 'leader' as const };
    const keyboard = actionKeyboard(report, availableActions(report, actor), r);
    return [this.message(to, { text, keyboard }, now), ...this.media(to, report, now)];
  }

  /** The report's voice message, photos and location, as separate messages after its card. */
  media(to: Recipient, report: Report, now: Date, kinds: ReadonlyArray<'photo' | 'voice' | 'resolution_photo'> = ['voice', 'photo']): OwedMessage[] {
    const out: OwedMessage[] = [];
    const caption = reportRef(report.number);
    if (kinds.includes('voice')) {
      for (const v of report.attachments.filter((a) => a.kind === 'voice')) {
        out.push({ chatId: to.chatId, method: 'sendVoice', params: { voice: v.fileId, caption }, notBefore: now });
      }
    }
    for (const kind of ['photo', 'resolution_photo'] as const) {
      if (!kinds.includes(kind)) continue;
      const photos = report.attachments.filter((a) => a.kind === kind);
      if (photos.length === 1) out.push({ chatId: to.chatId, method: 'sendPhoto', params: { photo: photos[0]!.fileId, caption }, notBefore: now });
      if (photos.length > 1) {
        const media = photos.slice(0, 10).map((p, i) => ({ type: 'photo', media: p.fileId, ...(i === 0 ? { caption } : {}) }));
        out.push({ chatId: to.chatId, method: 'sendMediaGroup', params: { media }, notBefore: now });
      }
    }
    if (kinds.includes('voice') && report.location) {
      out.push({ chatId: to.chatId, method: 'sendLocation', params: { latitude: report.location.latitude, longitude: report.location.longitude }, notBefore: now });
    }
    return out;
  }

  /** A short update to a reporter (or follower) about their report. */
  update(to: Recipient, key: string, report: Report, now: Date, vars: { note?: string } = {}, keyboard?: (r: Reader) => InlineKeyboard): OwedMessage {
    const r = this.reader(to.locale);
    const note = vars.note !== undefined ? userText(vars.note, r, 1000) : '';
    const text = r.t(key, { ref: reportRef(report.number), note: html(note) });
    return this.message(to, { text, keyboard: keyboard?.(r) }, now);
  }

  /** Any text (already translated for `to`) as an owed message. */
  message(to: Recipient, body: Body, now: Date, options: { priority?: number; dedupeKey?: string; notBefore?: Date } = {}): OwedMessage {
    return {
      chatId: to.chatId,
      method: 'sendMessage',
      params: { text: body.text, parse_mode: 'HTML', ...(body.keyboard ? { reply_markup: body.keyboard } : {}) },
      notBefore: options.notBefore ?? now,
      priority: options.priority ?? 0,
      ...(options.dedupeKey ? { dedupeKey: options.dedupeKey } : {}),
    };
  }
}
