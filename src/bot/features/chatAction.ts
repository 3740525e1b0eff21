import type { BotContext } from '../context.ts';

type Action = 'typing' | 'upload_photo' | 'upload_document';

/** Shows "sending a photo/file…" in the chat while slow work runs (Telegram clears it after ~5 s, so it is repeated). */
export async function keepShowing<T>(ctx: BotContext, action: Action, work: () => Promise<T>): Promise<T> {
  const show = () => ctx.sendChatAction(action).catch(() => undefined);
  await show();
  const timer = setInterval(() => void show(), 4_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
