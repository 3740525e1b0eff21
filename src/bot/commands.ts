import type { Telegram } from 'telegraf';
import { LOCALES, type Locale, type Texts } from '../i18n/index.ts';
import type { Role } from '../domain/lifecycle.ts';

type Command = 'report' | 'my' | 'status' | 'tasks' | 'queue' | 'digest' | 'export' | 'users' | 'invite' | 'lang' | 'help' | 'cancel' | 'privacy' | 'mydata' | 'forget';

/** What each role sees in Telegram's command menu: villagers only what they use. */
const MENUS: Record<Role, readonly Command[]> = {
  resident: ['report', 'my', 'status', 'lang', 'help', 'cancel', 'privacy', 'mydata', 'forget'],
  cadre: ['tasks', 'report', 'status', 'my', 'lang', 'help', 'cancel', 'privacy', 'mydata', 'forget'],
  leader: ['digest', 'queue', 'export', 'status', 'tasks', 'report', 'lang', 'help', 'cancel', 'privacy', 'mydata', 'forget'],
  admin: ['digest', 'queue', 'export', 'users', 'invite', 'status', 'tasks', 'report', 'lang', 'help', 'cancel', 'privacy', 'mydata', 'forget'],
};
/** The leaders' group menu. */
const GROUP_MENU: readonly Command[] = ['digest', 'export', 'queue', 'status', 'lang'];

const menu = (texts: Texts, locale: Locale, commands: readonly Command[]) => {
  const t = texts.forLocale(locale);
  return commands.map((command) => ({ command, description: t(`commands:${command}`) }));
};

/**
 * Registers the residents' menu in each language (setMyCommands with language_code); English is
 * the default menu. Staff get their own menu per chat (`setStaffMenu`).
 */
export async function registerCommandMenus(telegram: Telegram, texts: Texts): Promise<void> {
  for (const locale of LOCALES) {
    await telegram.setMyCommands(menu(texts, locale, MENUS.resident), { language_code: locale });
    if (locale === 'en') await telegram.setMyCommands(menu(texts, locale, MENUS.resident));
  }
}

/** The menu of one person's private chat for their role (a resident's falls back to the default). */
export async function setPersonalMenu(telegram: Telegram, texts: Texts, chatId: number, role: Role, locale: Locale): Promise<void> {
  const scope = { type: 'chat' as const, chat_id: chatId };
  if (role === 'resident') await telegram.deleteMyCommands({ scope });
  else await telegram.setMyCommands(menu(texts, locale, MENUS[role]), { scope });
}

/** The menu of the leaders' group, in the group's language. */
export async function setGroupMenu(telegram: Telegram, texts: Texts, chatId: number, locale: Locale): Promise<void> {
  await telegram.setMyCommands(menu(texts, locale, GROUP_MENU), { scope: { type: 'chat', chat_id: chatId } });
}
