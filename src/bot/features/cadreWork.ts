import type { Telegraf } from 'telegraf';
import type { Message } from 'telegraf/types';
import type { BotContext } from '../context.ts';
import { answer, dropButtons, grid, inline, say } from '../reply.ts';
import { mayAct, type ActionKind } from '../../domain/lifecycle.ts';
import { formatDateTime, categoryName, placeName, reportRef } from '../../i18n/format.ts';
import { reportButtonData } from '../../notify/render.ts';
import { Refused } from '../../services/errors.ts';
import { daysOverdue, isOverdue } from '../../domain/time.ts';
import { truncate } from '../../i18n/text.ts';
import type { Report } from '../../domain/types.ts';
import type { ActExtras } from '../../services/reports.ts';

/** What the bot is waiting for from one person, outside the report draft. */
export type Prompt =
  | { kind: 'ask'; number: number }
  | { kind: 'answer'; number: number }
  | { kind: 'resolve_note'; number: number }
  | { kind: 'resolve_photo'; number: number; note: string; voiceFileId?: string }
  | { kind: 'reason'; number: number; action: 'reject' | 'not_responsible' | 'not_satisfied' }
  | { kind: 'duplicate_of'; number: number };

const NOTE_LIMIT = 1000;
/** The note recorded for a voice message. */
export const VOICE_NOTE = '🎤';

async function setPrompt(ctx: BotContext, prompt: Prompt): Promise<void> {
  await ctx.vd.services.drafts.save(ctx.vd.user.id, 'prompt', prompt);
}

/** Loads a report and checks that the sender may take one of `actions` on it now (callback data is never trusted). */
async function reportFor(ctx: BotContext, number: number, action: ActionKind): Promise<Report> {
  const report = await ctx.vd.services.reports.byNumber(number);
  if (!report) throw new Refused('report_not_found');
  const { user } = ctx.vd;
  if (!mayAct(report, action, { kind: 'user', userId: user.id, role: user.role })) throw new Refused('not_permitted');
  return report;
}

/** The text of a message as a note: typed text, or a voice message (kept as a file and named in the note). */
function noteOf(message: Message): { note: string; voiceFileId?: string; voiceDuration?: number } | null {
  if ('text' in message) return message.text.trim() === '' ? null : { note: message.text.trim() };
  // a voice note is named by a sign every reader understands; the recording itself is relayed
  if ('voice' in message) return { note: VOICE_NOTE, voiceFileId: message.voice.file_id, voiceDuration: message.voice.duration };
  if ('photo' in message && message.caption && message.caption.trim() !== '') return { note: message.caption.trim() };
  return null;
}

/** The voice message behind a note, to be relayed with it. */
function recording(got: { voiceFileId?: string; voiceDuration?: number }): ActExtras {
  return got.voiceFileId ? { voiceFileId: got.voiceFileId, voiceDuration: got.voiceDuration } : {};
}

/**
 * A message that answers a pending prompt (a question, a note, a reason). Returns false when
 * the message is not for the prompt, so the report draft may take it.
 */
export async function handlePromptMessage(ctx: BotContext, message: Message): Promise<boolean> {
  const { services, user, t } = ctx.vd;
  const prompt = await services.drafts.get<Prompt>(user.id, 'prompt');
  if (!prompt) return false;
  if (prompt.kind === 'resolve_photo') {
    if (!('photo' in message)) {
      await say(ctx, t('cadre:resolve_photo_expected'));
      return true;
    }
    const photo = message.photo[message.photo.length - 1]!;
    await services.drafts.clear(user.id, 'prompt');
    await services.reports.act(user, prompt.number, { kind: 'resolve', note: prompt.note }, { photoFileId: photo.file_id, voiceFileId: prompt.voiceFileId });
    await say(ctx, t('cadre:resolved', { ref: reportRef(prompt.number) }));
    return true;
  }
  const got = noteOf(message);
  if (!got) {
    await say(ctx, t('cadre:note_expected'));
    return true;
  }
  if (Array.from(got.note).length > NOTE_LIMIT) {
    await say(ctx, t('report:refused_text_too_long', { limit: NOTE_LIMIT }));
    return true;
  }
  const ref = reportRef(prompt.number);
  switch (prompt.kind) {
    case 'ask':
      await services.drafts.clear(user.id, 'prompt');
      await services.reports.act(user, prompt.number, { kind: 'ask', question: got.note }, recording(got));
      await say(ctx, t('cadre:question_sent', { ref }));
      return true;
    case 'answer':
      await services.drafts.clear(user.id, 'prompt');
      await services.reports.act(user, prompt.number, { kind: 'answer', answer: got.note }, recording(got));
      await say(ctx, t('cadre:answer_sent', { ref }));
      return true;
    case 'resolve_note':
      await setPrompt(ctx, { kind: 'resolve_photo', number: prompt.number, note: got.note, voiceFileId: got.voiceFileId });
      await say(ctx, t('cadre:ask_resolve_photo'), inline([[{ text: t('buttons:finish_without_photo'), callback_data: reportButtonData(prompt.number, 'fin') }]]));
      return true;
    case 'reason':
      await services.drafts.clear(user.id, 'prompt');
      if (prompt.action === 'not_satisfied') {
        await services.reports.act(user, prompt.number, { kind: 'not_satisfied', reason: got.note }, recording(got));
        await say(ctx, t('cadre:reopened_thanks', { ref }));
      } else {
        await services.reports.act(user, prompt.number, { kind: prompt.action, reason: got.note }, recording(got));
        await say(ctx, t('cadre:closed_with_reason', { ref }));
      }
      return true;
    case 'duplicate_of': {
      const of = Number(got.note.replace(/^#/, ''));
      if (!Number.isInteger(of) || of <= 0) {
        await say(ctx, t('cadre:duplicate_number_expected'));
        return true;
      }
      await services.drafts.clear(user.id, 'prompt');
      await services.reports.act(user, prompt.number, { kind: 'duplicate', ofNumber: of, reason: reportRef(of) });
      await say(ctx, t('cadre:closed_with_reason', { ref }));
      return true;
    }
  }
}

/** A cadre's open reports, oldest due first, overdue ones marked, with a button to open each. */
async function listTasks(ctx: BotContext): Promise<void> {
  const { services, user, t, locale } = ctx.vd;
  const now = services.clock.now();
  const tasks = await services.reports.tasks(user);
  if (tasks.length === 0) {
    await say(ctx, t('cadre:no_tasks'));
    return;
  }
  const lines = tasks.map((r) => {
    const where = r.place ? placeName(r.place, locale) : '—';
    const vars = { ref: reportRef(r.number), category: categoryName(r.category, locale, t), place: where, due: formatDateTime(r.dueAt, services.timeZone), status: t(`statuses:${r.status}`) };
    return isOverdue(r.dueAt, now) ? t('cadre:task_line_overdue', { ...vars, count: Math.max(1, daysOverdue(r.dueAt, now)) }) : t('cadre:task_line', vars);
  });
  const buttons = tasks.slice(0, 20).map((r) => ({ text: `${isOverdue(r.dueAt, now) ? '⚠️ ' : ''}${reportRef(r.number)}`, callback_data: reportButtonData(r.number, 'open') }));
  await say(ctx, `${t('cadre:tasks_title', { count: tasks.length })}\n${lines.join('\n')}`, inline(grid(buttons, 4)));
}

/** The people a report can be handed to: cadres of its village first, then all other staff. */
async function ownerChoices(ctx: BotContext, report: Report): Promise<Array<{ id: number; name: string }>> {
  const { services } = ctx.vd;
  const staff = await services.users.withRoles(['cadre', 'leader', 'admin']);
  const local = report.place ? await services.admin.cadresOf(report.place.id) : new Set<number>();
  return staff
    .filter((s) => s.id !== report.ownerId)
    .sort((a, b) => Number(local.has(b.id)) - Number(local.has(a.id)) || a.id - b.id)
    .slice(0, 24)
    .map((s) => ({ id: s.id, name: `${local.has(s.id) ? '📍 ' : ''}${truncate(s.displayName, 30)}` }));
}

/** /tasks, /queue, and every button on a report card. */
export function registerCadreWork(bot: Telegraf<BotContext>): void {
  bot.command('tasks', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    if (ctx.vd.user.role === 'resident') {
      await say(ctx, ctx.vd.t('errors:not_permitted'));
      return;
    }
    await listTasks(ctx);
  });

  bot.command('queue', async (ctx) => {
    const { user, t, services, locale } = ctx.vd;
    if (user.role !== 'leader' && user.role !== 'admin') {
      if (ctx.chat.type === 'private') await say(ctx, t('errors:not_permitted'));
      return;
    }
    const queue = await services.reports.queue();
    if (queue.length === 0) {
      await say(ctx, t('cadre:queue_empty'));
      return;
    }
    const lines = queue.map((r) => t('cadre:queue_line', { ref: reportRef(r.number), category: categoryName(r.category, locale, t), place: r.place ? placeName(r.place, locale) : '—' }));
    const buttons = queue.slice(0, 20).map((r) => ({ text: reportRef(r.number), callback_data: reportButtonData(r.number, 'assign') }));
    await say(ctx, `${t('cadre:queue_title', { count: queue.length })}\n${lines.join('\n')}`, inline(grid(buttons, 4)));
  });

  bot.action(/^r:(\d+):(ack|start|ask|resolve|fin|handover|assign|to|unassign|reject|rj|nr|dup|yes|no|answer)(?::(\d+))?$/, async (ctx) => {
    const number = Number(ctx.match[1]);
    const op = ctx.match[2];
    const arg = ctx.match[3] !== undefined ? Number(ctx.match[3]) : undefined;
    const { services, user, t } = ctx.vd;
    const ref = reportRef(number);
    const done = async (key: string) => {
      await answer(ctx, t(key, { ref }));
      await dropButtons(ctx);
      await say(ctx, t(key, { ref }));
    };
    switch (op) {
      case 'ack':
        await services.reports.act(user, number, { kind: 'acknowledge' });
        return done('cadre:acknowledged');
      case 'start':
        await services.reports.act(user, number, { kind: 'start' });
        return done('cadre:started');
      case 'ask':
        await reportFor(ctx, number, 'ask');
        if (await services.privacy.reporterLeft(number)) throw new Refused('reporter_left');
        await setPrompt(ctx, { kind: 'ask', number });
        await answer(ctx);
        await say(ctx, t('cadre:ask_question', { ref }));
        return;
      case 'resolve':
        await reportFor(ctx, number, 'resolve');
        await setPrompt(ctx, { kind: 'resolve_note', number });
        await answer(ctx);
        await say(ctx, t('cadre:ask_resolve_note', { ref }));
        return;
      case 'fin': {
        const prompt = await services.drafts.get<Prompt>(user.id, 'prompt');
        if (!prompt || prompt.kind !== 'resolve_photo' || prompt.number !== number) {
          await answer(ctx, t('errors:stale_button'));
          return;
        }
        await services.reports.act(user, number, { kind: 'resolve', note: prompt.note }, { voiceFileId: prompt.voiceFileId });
        await services.drafts.clear(user.id, 'prompt');
        return done('cadre:resolved');
      }
      case 'handover':
      case 'assign': {
        const report = await reportFor(ctx, number, 'assign');
        const choices = await ownerChoices(ctx, report);
        const rows = grid(choices.map((c) => ({ text: c.name, callback_data: reportButtonData(number, 'to') + `:${c.id}` })), 2);
        if (report.ownerId !== null) rows.push([{ text: t('buttons:to_queue'), callback_data: reportButtonData(number, 'unassign') }]);
        await answer(ctx);
        await say(ctx, t('cadre:choose_owner', { ref }), inline(rows));
        return;
      }
      case 'to': {
        if (arg === undefined) return answer(ctx, t('errors:stale_button'));
        const report = await services.reports.act(user, number, { kind: 'assign', ownerId: arg });
        const owner = await services.users.byId(report.ownerId ?? -1);
        await answer(ctx);
        await dropButtons(ctx);
        await say(ctx, t('cadre:assigned_to', { ref, owner: owner?.displayName ?? '' }));
        return;
      }
      case 'unassign':
        await services.reports.act(user, number, { kind: 'unassign' });
        return done('cadre:back_to_queue');
      case 'reject':
        await reportFor(ctx, number, 'reject');
        await answer(ctx);
        await say(ctx, t('cadre:choose_close_reason', { ref }), inline([
          [{ text: t('buttons:reject_plain'), callback_data: reportButtonData(number, 'rj') }],
          [{ text: t('buttons:not_responsible'), callback_data: reportButtonData(number, 'nr') }],
          [{ text: t('buttons:duplicate'), callback_data: reportButtonData(number, 'dup') }],
        ]));
        return;
      case 'rj':
      case 'nr':
        await reportFor(ctx, number, op === 'rj' ? 'reject' : 'not_responsible');
        await setPrompt(ctx, { kind: 'reason', number, action: op === 'rj' ? 'reject' : 'not_responsible' });
        await answer(ctx);
        await dropButtons(ctx);
        await say(ctx, t('cadre:ask_reason', { ref }));
        return;
      case 'dup':
        await reportFor(ctx, number, 'duplicate');
        await setPrompt(ctx, { kind: 'duplicate_of', number });
        await answer(ctx);
        await dropButtons(ctx);
        await say(ctx, t('cadre:ask_duplicate_of', { ref }));
        return;
      case 'yes':
        await services.reports.act(user, number, { kind: 'satisfied' });
        return done('cadre:thanks_satisfied');
      case 'no':
        await reportFor(ctx, number, 'not_satisfied');
        {
          const report = await services.reports.byNumber(number);
          if (report?.status !== 'resolved') throw new Refused('not_allowed_now');
        }
        await setPrompt(ctx, { kind: 'reason', number, action: 'not_satisfied' });
        await answer(ctx);
        await dropButtons(ctx);
        await say(ctx, t('cadre:ask_not_satisfied_reason', { ref }));
        return;
      case 'answer': {
        const report = await services.reports.byNumber(number);
        if (!report || report.reporterId !== user.id) throw new Refused('not_permitted');
        if (report.status !== 'needs_info') throw new Refused('not_allowed_now');
        await setPrompt(ctx, { kind: 'answer', number });
        await answer(ctx);
        await say(ctx, t('cadre:ask_answer', { ref }));
        return;
      }
    }
  });
}
