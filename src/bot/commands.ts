import type { Telegram } from 'telegraf';
import { LOCALES, type Texts } from '../i18n/index.ts';

/** The commands shown in Telegram's menu, per language (private chats). */
const MENU = ['report', 'my', 'status', 'tasks', 'lang', 'help', 'cancel'] as const;

/** Registers the command menu in each language (setMyCommands with language_code); English is the default menu. */
export async function registerCommandMenus(telegram: Telegram, texts: Texts): Promise<void> {
  for (const locale of LOCALES) {
    const t = texts.forLocale(locale);
    const commands = MENU.map((command) => ({ command, description: t(`commands:${command}`) }));
    await telegram.setMyCommands(commands, { language_code: locale });
    if (locale === 'en') await telegram.setMyCommands(commands);
  }
}
