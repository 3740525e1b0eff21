import type { Context } from 'telegraf';
import type { Locale, T } from '../i18n/index.ts';
import type { Reader } from '../notify/render.ts';
import type { User } from '../domain/types.ts';
import type { Services } from '../services/index.ts';

/** What every handler knows about the update it is handling. */
export interface VillageDesk {
  /** the sender, from the database (role re-read for every update) */
  user: User;
  /** the language of this chat: the user's in private chats, the group's in the leaders' group */
  locale: Locale;
  t: T;
  reader: Reader;
  services: Services;
}

/** The context type of Village Desk's handlers, defined once. */
export interface BotContext extends Context {
  vd: VillageDesk;
}
