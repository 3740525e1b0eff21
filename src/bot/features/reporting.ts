import crypto from 'node:crypto';
import type { Telegraf } from 'telegraf';
import type { Message } from 'telegraf/types';
import type { BotContext } from '../context.ts';
import { answer, dropButtons, grid, inline, say } from '../reply.ts';
import {
  applyDraftInput,
  DESCRIPTION_LIMIT,
  isComplete,
  startDraft,
  type DraftInput,
  type DraftStep,
  type OtherMedia,
  type ReportDraft,
} from '../../domain/draft.ts';
import { isStaff } from '../../domain/lifecycle.ts';
import { categoryName, formatDateTime, pagerButtons, placeName, reportRef } from '../../i18n/format.ts';
import { html } from '../../i18n/text.ts';
import { reportCard, userText } from '../../notify/render.ts';
import { handlePromptMessage } from './cadreWork.ts';

const PLACES_PER_PAGE = 10;

/** Short form of the draft token carried by buttons: a button from another draft is stale. */
const tag = (d: ReportDraft) => d.token.slice(0, 8);
const data = (d: ReportDraft, op: string, arg?: string | number) => `d:${tag(d)}:${op}${arg !== undefined ? `:${arg}` : ''}`;

/** Which step each button belongs to: pressing a button of another step is pressing an old message. */
const OP_STEPS: Record<string, readonly DraftStep[]> = {
  m: ['mode'],
  c: ['category'],
  n: ['describe'],
  p: ['place'],
  pp: ['place'],
  loc: ['place'],
  s: ['place', 'household_phone'],
  ok: ['confirm'],
  ch: ['confirm'],
  cf: ['confirm'],
  an: ['confirm'],
  j: ['duplicate'],
  sep: ['duplicate'],
  x: ['mode', 'household', 'household_phone', 'category', 'describe', 'place', 'confirm', 'duplicate'],
};

const cancelRow = (ctx: BotContext, d: ReportDraft) => [{ text: ctx.vd.t('buttons:cancel'), callback_data: data(d, 'x') }];

/** Asks the question of the draft's current step. */
async function prompt(ctx: BotContext, d: ReportDraft, page = 0): Promise<void> {
  const { t, services, locale } = ctx.vd;
  switch (d.step) {
    case 'mode':
      await say(ctx, t('report:ask_mode'), inline([
        [{ text: t('buttons:for_myself'), callback_data: data(d, 'm', 0) }],
        [{ text: t('buttons:for_household'), callback_data: data(d, 'm', 1) }],
        cancelRow(ctx, d),
      ]));
      return;
    case 'household':
      await say(ctx, t('report:ask_household'), inline([cancelRow(ctx, d)]));
      return;
    case 'household_phone':
      await say(ctx, t('report:ask_household_phone'), inline([[{ text: t('buttons:skip'), callback_data: data(d, 's') }], cancelRow(ctx, d)]));
      return;
    case 'category': {
      const categories = await services.catalog.categories();
      const buttons = categories.map((c) => ({ text: categoryName(c, locale, t), callback_data: data(d, 'c', c.id) }));
      await say(ctx, t('report:ask_category'), inline([...grid(buttons, 2), cancelRow(ctx, d)]));
      return;
    }
    case 'describe':
      if (d.photos.length > 0) {
        await say(ctx, t('report:photo_received', { count: d.photos.length }), inline([[{ text: t('buttons:next'), callback_data: data(d, 'n') }], cancelRow(ctx, d)]));
      } else {
        await say(ctx, t('report:ask_description', { limit: DESCRIPTION_LIMIT }), inline([cancelRow(ctx, d)]));
      }
      return;
    case 'place': {
      const villages = await services.catalog.villages();
      const pages = Math.max(1, Math.ceil(villages.length / PLACES_PER_PAGE));
      const current = Math.min(Math.max(0, page), pages - 1);
      const shown = villages.slice(current * PLACES_PER_PAGE, (current + 1) * PLACES_PER_PAGE);
      const nav = pagerButtons(
        locale,
        current > 0 ? (text) => ({ text, callback_data: data(d, 'pp', current - 1) }) : null,
        current < pages - 1 ? (text) => ({ text, callback_data: data(d, 'pp', current + 1) }) : null,
      );
      const key = d.location ? 'report:location_received' : villages.length > 0 ? 'report:ask_place' : 'report:ask_place_no_villages';
      await say(ctx, t(key), inline([
        ...grid(shown.map((v) => ({ text: placeName(v, locale), callback_data: data(d, 'p', v.id) })), 2),
        nav,
        d.location ? [] : [{ text: t('buttons:share_location'), callback_data: data(d, 'loc') }],
        [{ text: t('buttons:skip'), callback_data: data(d, 's') }],
        cancelRow(ctx, d),
      ]));
      return;
    }
    case 'confirm':
      await showSummary(ctx, d);
      return;
    case 'duplicate':
      return;
  }
}

async function showSummary(ctx: BotContext, d: ReportDraft): Promise<void> {
  const { t, services, locale, reader } = ctx.vd;
  const category = d.categoryId !== undefined ? await services.catalog.category(d.categoryId) : null;
  const place = typeof d.placeId === 'number' ? await services.catalog.place(d.placeId) : null;
  const lines = [t('report:summary_title')];
  if (d.onBehalf && d.householdLabel) lines.push(t('report:household_label', { label: `${d.householdLabel}${d.householdPhone ? ` ${d.householdPhone}` : ''}` }));
  if (category) lines.push(t('report:card_category', { category: categoryName(category, locale, t) }));
  if (place) lines.push(t('report:card_place', { place: placeName(place, locale) }));
  if (d.location) lines.push(t('report:card_location'));
  if (d.description.trim() !== '') lines.push(t('report:card_description', { description: html(userText(d.description, reader, DESCRIPTION_LIMIT)) }));
  if (d.voice) lines.push(t('report:card_voice'));
  if (d.photos.length > 0) lines.push(t('report:card_photos', { count: d.photos.length }));
  if (category) lines.push(t('report:summary_sla', { count: category.slaHours }));
  lines.push(d.anonymous ? t('report:summary_anonymous_on') : t('report:summary_anonymous_off'));
  await say(ctx, lines.join('\n'), inline([
    [{ text: t('buttons:confirm'), callback_data: data(d, 'ok') }],
    [
      { text: t('buttons:change'), callback_data: data(d, 'ch') },
      { text: d.anonymous ? t('buttons:anonymous_off') : t('buttons:anonymous_on'), callback_data: data(d, 'an') },
    ],
    cancelRow(ctx, d),
  ]));
}

async function saveAndPrompt(ctx: BotContext, d: ReportDraft): Promise<void> {
  await ctx.vd.services.drafts.save(ctx.vd.user.id, 'report', d);
  await prompt(ctx, d);
}

/** Applies an input to the user's draft: saved and the next question asked, or a short refusal with the draft intact. */
/**
 * An album arrives as one update per photo. Each photo is saved at once; the question that
 * follows is asked once, shortly after the album's last photo, instead of once per photo.
 */
const ALBUM_SETTLE_MS = 800;
const albumPrompts = new Map<string, NodeJS.Timeout>();

function promptAfterAlbum(ctx: BotContext, albumId: string): void {
  const key = `${ctx.vd.user.id}:${albumId}`;
  clearTimeout(albumPrompts.get(key));
  const timer = setTimeout(() => {
    albumPrompts.delete(key);
    void (async () => {
      const latest = await ctx.vd.services.drafts.get<ReportDraft>(ctx.vd.user.id, 'report');
      if (latest) await prompt(ctx, latest);
    })().catch(() => undefined); // the draft is saved; the next message asks again
  }, ALBUM_SETTLE_MS);
  albumPrompts.set(key, timer);
}

async function feed(ctx: BotContext, d: ReportDraft, input: DraftInput, albumId?: string): Promise<void> {
  const outcome = applyDraftInput(d, input);
  if (outcome.kind === 'refused') {
    await say(ctx, ctx.vd.t(`report:refused_${outcome.reason}`, { limit: DESCRIPTION_LIMIT }));
    return;
  }
  const next = outcome.draft;
  if (input.kind === 'location') {
    // take the request-location keyboard away again
    await say(ctx, ctx.vd.t('report:location_thanks'), { remove_keyboard: true });
  }
  if (input.kind === 'photo' && albumId) {
    await ctx.vd.services.drafts.save(ctx.vd.user.id, 'report', next);
    promptAfterAlbum(ctx, albumId);
    return;
  }
  await saveAndPrompt(ctx, next);
}

/** Files the draft: first a look for the same problem reported by someone else, then the report. */
async function confirm(ctx: BotContext, d: ReportDraft, options: { separate: boolean }): Promise<void> {
  const { services, user, t, reader } = ctx.vd;
  if (!isComplete(d) || d.categoryId === undefined) {
    await prompt(ctx, d);
    return;
  }
  if (!options.separate && !d.onBehalf) {
    const similar = await services.reports.findSimilar(user, d.categoryId, d.placeId);
    if (similar) {
      const waiting: ReportDraft = { ...d, step: 'duplicate', duplicateOf: similar.number };
      await services.drafts.save(user.id, 'report', waiting);
      await say(ctx, `${t('report:similar_found')}\n\n${reportCard(similar, reader, services.clock.now())}`, inline([
        [{ text: t('buttons:join'), callback_data: data(waiting, 'j') }],
        [{ text: t('buttons:separate'), callback_data: data(waiting, 'sep') }],
        cancelRow(ctx, waiting),
      ]));
      return;
    }
  }
  const allowance = await services.quota.allowance(user);
  if (allowance.kind === 'refused') {
    // the draft is kept (saved again, so that it lasts another day): /report resumes it tomorrow
    await services.drafts.save(user.id, 'report', d);
    await say(ctx, t('guard:daily_reports_reached', { count: allowance.limit }));
    return;
  }
  const { report, created } = await services.reports.submit(user, { ...d, step: 'confirm' });
  await services.drafts.clear(user.id, 'report');
  const key = report.ownerId === null ? 'report:filed_queue' : 'report:filed';
  const text = t(key, { ref: reportRef(report.number), due: formatDateTime(report.dueAt, services.timeZone) });
  await say(ctx, created ? text : t('report:already_filed', { ref: reportRef(report.number) }));
}

/** Starts a new draft (a draft in progress is picked up again instead). */
export async function beginReport(ctx: BotContext): Promise<void> {
  const { services, user, t } = ctx.vd;
  const existing = await services.drafts.get<ReportDraft>(user.id, 'report');
  if (existing) {
    await say(ctx, t('report:resumed'));
    await prompt(ctx, existing);
    return;
  }
  const d = startDraft(crypto.randomUUID(), { staff: isStaff(user.role) });
  await saveAndPrompt(ctx, d);
}

/** What a message holds, as input to the report conversation. */
export function messageInput(message: Message): DraftInput {
  if ('text' in message) return { kind: 'text', text: message.text };
  if ('voice' in message) return { kind: 'voice', fileId: message.voice.file_id, fileUniqueId: message.voice.file_unique_id, duration: message.voice.duration };
  if ('audio' in message) return { kind: 'voice', fileId: message.audio.file_id, fileUniqueId: message.audio.file_unique_id, duration: message.audio.duration };
  if ('photo' in message) {
    const biggest = message.photo[message.photo.length - 1]!;
    return { kind: 'photo', fileId: biggest.file_id, fileUniqueId: biggest.file_unique_id, caption: message.caption };
  }
  if ('location' in message) return { kind: 'location', latitude: message.location.latitude, longitude: message.location.longitude };
  const what: OtherMedia =
    'sticker' in message ? 'sticker'
    : 'animation' in message ? 'animation'
    : 'contact' in message ? 'contact'
    : 'document' in message ? 'document'
    : 'video' in message ? 'video'
    : 'video_note' in message ? 'video_note'
    : 'poll' in message ? 'poll'
    : 'unknown';
  return { kind: 'other', what };
}

/** /report, the welcome button, draft buttons, /cancel, and every message sent while a conversation waits. */
export function registerReporting(bot: Telegraf<BotContext>): void {
  bot.command('report', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    await beginReport(ctx);
  });
  bot.action('menu:report', async (ctx) => {
    await answer(ctx);
    if (ctx.chat?.type !== 'private') return;
    await beginReport(ctx);
  });

  bot.command('cancel', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const cleared = await ctx.vd.services.drafts.clear(ctx.vd.user.id);
    await say(ctx, ctx.vd.t(cleared > 0 ? 'report:cancelled' : 'report:nothing_to_cancel'), { remove_keyboard: true });
  });

  bot.action(/^d:([\w-]+):(\w+)(?::(\d+))?$/, async (ctx) => {
    const [, tagged, op, arg] = ctx.match;
    const { services, user, t } = ctx.vd;
    const d = await services.drafts.get<ReportDraft>(user.id, 'report');
    if (!d || tag(d) !== tagged || !op || !(OP_STEPS[op] ?? []).includes(d.step)) {
      await answer(ctx, t('errors:stale_button'));
      await dropButtons(ctx);
      return;
    }
    await answer(ctx);
    await dropButtons(ctx);
    const n = arg !== undefined ? Number(arg) : NaN;
    switch (op) {
      case 'x':
        await services.drafts.clear(user.id, 'report');
        await say(ctx, t('report:cancelled'), { remove_keyboard: true });
        return;
      case 'm':
        return feed(ctx, d, { kind: 'mode', onBehalf: n === 1 });
      case 'c': {
        const category = await services.catalog.category(n);
        if (!category?.active) return prompt(ctx, d);
        return feed(ctx, d, { kind: 'category', categoryId: n });
      }
      case 'n':
        return feed(ctx, d, { kind: 'next' });
      case 'p': {
        const place = await services.catalog.place(n);
        if (!place?.active) return prompt(ctx, d);
        return feed(ctx, d, { kind: 'place', placeId: n });
      }
      case 'pp':
        return prompt(ctx, d, n);
      case 'loc':
        await say(ctx, t('report:location_how'), {
          keyboard: [[{ text: t('buttons:send_location'), request_location: true }]],
          resize_keyboard: true,
          one_time_keyboard: true,
        });
        return;
      case 's':
        return feed(ctx, d, { kind: 'skip' });
      case 'an':
        return feed(ctx, d, { kind: 'toggle_anonymous' });
      case 'ch':
        await say(ctx, t('report:ask_change'), inline([
          [
            { text: t('buttons:change_category'), callback_data: data(d, 'cf', 0) },
            { text: t('buttons:change_description'), callback_data: data(d, 'cf', 1) },
            { text: t('buttons:change_place'), callback_data: data(d, 'cf', 2) },
          ],
          [{ text: t('buttons:back'), callback_data: data(d, 'ok', 0) }],
        ]));
        return;
      case 'cf': {
        const field = (['category', 'description', 'place'] as const)[n];
        if (!field) return prompt(ctx, d);
        return feed(ctx, d, { kind: 'change', field });
      }
      case 'ok':
        // "back" from the change menu carries an argument: show the summary again
        if (arg !== undefined) return prompt(ctx, d);
        return confirm(ctx, d, { separate: false });
      case 'sep':
        return confirm(ctx, d, { separate: true });
      case 'j': {
        if (d.duplicateOf === undefined) return prompt(ctx, d);
        const joined = await services.reports.join(user, d.duplicateOf);
        await services.drafts.clear(user.id, 'report');
        await say(ctx, t('report:joined', { ref: reportRef(joined.number), count: joined.affectedHouseholds }));
        return;
      }
    }
  });

  // Every other message in a private chat: the conversation waiting for it, or a hint.
  bot.on('message', async (ctx, next) => {
    if (ctx.chat.type !== 'private') return next();
    const message = ctx.message;
    const { services, user, t } = ctx.vd;
    if ('text' in message && message.text.startsWith('/')) return next();
    const active = await services.drafts.active(user.id);
    if (active === null) return next();
    if (active === 'prompt') {
      if (await handlePromptMessage(ctx, message)) return;
    }
    const d = await services.drafts.get<ReportDraft>(user.id, 'report');
    if (!d) return next();
    if (d.step === 'duplicate' || (d.step === 'confirm' && 'text' in message)) {
      await say(ctx, t('report:refused_use_buttons'));
      return;
    }
    await feed(ctx, d, messageInput(message), 'media_group_id' in message ? message.media_group_id : undefined);
  });
}
