import type { Telegraf, Telegram } from 'telegraf';
import type { SendApi } from '../notify/dispatcher.ts';
import type { TelegramGate } from '../notify/telegramGate.ts';
import type { BotContext } from './context.ts';

type CallApi = (method: string, payload: Record<string, unknown>, options?: { signal?: AbortSignal }) => Promise<unknown>;

/** telegraf's Telegram with its one HTTP door visible (its generic signature hides it). */
type Door = { callApi: CallApi };

/** What one update's answers did: the error boundary answers a callback at most once. */
interface UpdateSends {
  callbackAnswered: boolean;
}

const ungatedCalls = new WeakMap<object, CallApi>();
const updateSends = new WeakMap<object, UpdateSends>();

/**
 * Routes every call a Telegram instance makes (ctx.reply, editMessageText, answerCbQuery,
 * replyWithPhoto, replyWithDocument, setMyCommands …) through the gate. getUpdates is left
 * alone: telegraf's polling loop already waits out its failures.
 */
function gate(telegram: Telegram, gateway: TelegramGate, sends?: UpdateSends): void {
  const door = telegram as unknown as Door;
  const raw = door.callApi.bind(telegram);
  ungatedCalls.set(telegram, raw);
  door.callApi = async (method, payload, options) => {
    if (method === 'getUpdates') return raw(method, payload, options);
    if (method === 'answerCallbackQuery' && sends) {
      // once tried, never again: a second answer gets "query is too old" (the gate retries the first)
      if (sends.callbackAnswered) return true;
      sends.callbackAnswered = true;
      return gateway.call(method, payload, (m, p, signal) => raw(m, p, { signal: signal ?? options?.signal }));
    }
    return gateway.call(method, payload, (m, p, signal) => raw(m, p, { signal: signal ?? options?.signal }));
  };
}

/**
 * Puts the bot's Bot API calls behind the gate: bot.telegram (start-up calls, launch) at once,
 * and each update's ctx.telegram by a middleware that must come first.
 */
export function installSendPath(bot: Telegraf<BotContext>, gateway: TelegramGate): void {
  gate(bot.telegram, gateway);
  bot.use((ctx, next) => {
    const sends: UpdateSends = { callbackAnswered: false };
    updateSends.set(ctx, sends);
    gate(ctx.telegram, gateway, sends);
    return next();
  });
}

/** True when this update's callback query has been answered, or an answer was tried. */
export function callbackAnswered(ctx: BotContext): boolean {
  return updateSends.get(ctx)?.callbackAnswered ?? false;
}

/** The Bot API without the gate, for the outbox dispatcher (it reserves with the same limiter itself). */
export function ungated(telegram: Telegram): SendApi {
  const raw = ungatedCalls.get(telegram);
  return { callApi: raw ? (method, params) => raw(method, params) : (method, params) => (telegram as unknown as Door).callApi(method, params) };
}
