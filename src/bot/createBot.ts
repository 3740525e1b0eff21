import { Telegraf, TelegramError } from 'telegraf';
import type { Logger } from '../logger.ts';
import { resolveLocale } from '../domain/locale.ts';
import type { Services } from '../services/index.ts';
import { Refused } from '../services/errors.ts';
import type { BotContext } from './context.ts';
import { answer, say } from './reply.ts';
import { KeyedQueue } from './serialize.ts';
import { registerStart } from './features/start.ts';
import { registerLanguage } from './features/language.ts';
import { registerHelp } from './features/help.ts';
import { registerReporting } from './features/reporting.ts';
import { registerMine } from './features/mine.ts';
import { registerCadreWork } from './features/cadreWork.ts';
import { registerStaff } from './features/staff.ts';
import { registerGroup } from './features/group.ts';
import { registerFallback } from './features/fallback.ts';
import { FloodGate, floodGuard, type FloodLimits } from './middleware/flood.ts';
import { StorageHealth, storageGuard } from './middleware/storage.ts';
import { registerGroupGuard } from './middleware/groups.ts';
import { isStaff } from '../domain/lifecycle.ts';
import { callbackAnswered, installSendPath } from './sendPath.ts';
import { AnswerUndelivered, type TelegramGate } from '../notify/telegramGate.ts';
import type { OutboxHandoff } from '../notify/handoff.ts';

export interface BotOptions {
  token: string;
  apiRoot: string;
  services: Services;
  logger: Logger;
  /** features added by later layers (digest, export), registered before the fallback */
  extraFeatures?: ReadonlyArray<(bot: Telegraf<BotContext>) => void>;
  /** per-sender flood limits (UPDATES_PER_MINUTE, STAFF_UPDATES_PER_MINUTE, FLOOD_PAUSE_SECONDS) */
  floodLimits?: FloodLimits;
  /** the one send path (limits, 429 and 5xx handling) and the outbox behind it; without it, calls go straight out */
  sendPath?: { gate: TelegramGate; outbox: Pick<OutboxHandoff, 'keptNotice'> };
}

/**
 * The Telegram adapter: the one place features are registered. Every update is claimed once
 * (duplicates are ignored), its sender is read from the database (role re-checked each time),
 * and any error ends in a polite sentence for the user and a log line with the update id.
 */
export function createBot(options: BotOptions): Telegraf<BotContext> {
  const { services, logger } = options;
  // webhookReply off: an answer smuggled into the webhook response cannot report a failure
  const bot = new Telegraf<BotContext>(options.token, { telegram: { apiRoot: options.apiRoot, webhookReply: false }, handlerTimeout: 60_000 });
  if (options.sendPath) installSendPath(bot, options.sendPath.gate);

  const perUser = new KeyedQueue();
  // first, before any database work: a flooding sender costs a map lookup per update
  const gate = new FloodGate(options.floodLimits ?? { perMinute: 30, staffPerMinute: 120, pauseMs: 60_000 });
  bot.use(floodGuard({ gate, clock: services.clock, texts: services.texts, defaultLocale: services.defaultLocale, logger, perUser }));
  bot.use((ctx, next) => perUser.run(String(ctx.from?.id ?? ctx.chat?.id ?? 'anonymous'), next));
  const storage = new StorageHealth({ logger, clock: services.clock });
  bot.use(storageGuard({ health: storage, texts: services.texts, defaultLocale: services.defaultLocale, localeOf: (id) => gate.localeOf(id), logger }));

  bot.use(async (ctx, next) => {
    const claim = await services.updates.claim(ctx.update.update_id, services.clock.now());
    if (!claim) {
      logger.info({ updateId: ctx.update.update_id }, 'duplicate update ignored');
      return;
    }
    // recorded as handled once handled (an error answered by the boundary counts): a process
    // that dies half-way leaves the update to its next delivery
    try {
      await next();
    } finally {
      await claim.done();
    }
  });

  bot.use(async (ctx, next) => {
    const from = ctx.from;
    if (!from || from.is_bot) return;
    // In groups the bot only listens to commands, buttons and its own membership: people
    // chatting there are not stored.
    const chat = ctx.chat;
    const text = ctx.message && 'text' in ctx.message ? ctx.message.text : '';
    if (chat && chat.type !== 'private' && !ctx.callbackQuery && !ctx.myChatMember && !text.startsWith('/')) return;
    const user = await services.users.identify(from);
    const guess = resolveLocale(user.locale, from.language_code, services.defaultLocale);
    if (user.locale === null) {
      await services.users.setLocale(user.id, guess);
      user.locale = guess;
    }
    let locale = guess;
    if (chat && chat.type !== 'private') {
      const group = await services.settings.leadersGroup();
      locale = group && group.chatId === chat.id ? group.locale : services.defaultLocale;
    }
    const t = services.texts.forLocale(locale);
    ctx.vd = { user, locale, t, reader: { locale, t, timeZone: services.timeZone }, services };
    return next();
  });

  // the flood gate learns each sender's role (staff get the higher limit) and language
  bot.use((ctx, next) => {
    if (ctx.vd && ctx.from) gate.remember(ctx.from.id, isStaff(ctx.vd.user.role), resolveLocale(ctx.vd.user.locale, ctx.from.language_code, services.defaultLocale));
    return next();
  });

  // A command typed in the middle of a report is answered, and the draft is still there.
  bot.use(async (ctx, next) => {
    await next();
    const text = ctx.message && 'text' in ctx.message ? ctx.message.text : '';
    if (ctx.chat?.type !== 'private' || !text.startsWith('/') || /^\/(report|cancel|start)\b/.test(text) || !ctx.vd) return;
    if (await services.drafts.get(ctx.vd.user.id, 'report')) await say(ctx, ctx.vd.t('report:draft_waiting'));
  });

  registerGroupGuard(bot);
  registerGroup(bot);
  registerStart(bot);
  registerLanguage(bot);
  registerHelp(bot);
  registerStaff(bot);
  registerMine(bot);
  registerCadreWork(bot);
  for (const feature of options.extraFeatures ?? []) feature(bot);
  registerReporting(bot);
  registerFallback(bot);

  bot.catch(async (error, ctx) => {
    const updateId = ctx.update.update_id;
    if (error instanceof Refused && ctx.vd) {
      const text = ctx.vd.t(`errors:${error.code}`);
      if (ctx.callbackQuery && !callbackAnswered(ctx)) await answer(ctx, text, true);
      else await say(ctx, text).catch(() => undefined);
      return;
    }
    if (error instanceof AnswerUndelivered) {
      // Telegram kept failing: another message now would fail too. What they entered is saved;
      // the outbox tells them so once Telegram is back.
      logger.warn({ err: error, updateId }, 'answer not delivered; the person will be told their input is kept');
      const chatId = ctx.chat?.id;
      if (ctx.vd && chatId !== undefined && options.sendPath) {
        await options.sendPath.outbox.keptNotice(chatId, ctx.vd.t('errors:answer_late'), updateId).catch((err: unknown) => logger.error({ err, updateId }, 'could not owe the kept notice'));
      }
      return;
    }
    const telegram = error instanceof TelegramError ? { code: error.code, description: error.description } : undefined;
    if (telegram?.code === 403 && ctx.chat?.type === 'private' && ctx.vd) {
      // they blocked the bot between writing and our answer: nothing more to say to them
      await services.users.markUnreachable(ctx.vd.user.id).catch(() => undefined);
      logger.warn({ updateId, telegram }, 'user blocked the bot');
      return;
    }
    logger.error({ err: error, updateId, telegram }, 'update failed');
    if (!ctx.vd) return;
    try {
      // a callback is answered at most once; after that, the sentence goes as a message
      if (ctx.callbackQuery && !callbackAnswered(ctx)) await answer(ctx, ctx.vd.t('errors:internal'), true);
      else if (ctx.chat) await say(ctx, ctx.vd.t('errors:internal'));
    } catch (second) {
      logger.warn({ err: second, updateId }, 'could not tell the user about the failure');
    }
  });
  return bot;
}
