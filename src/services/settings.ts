import type { Db, Tx } from '../db/client.ts';
import { isLocale, type Locale } from '../i18n/index.ts';
import { toUser } from '../db/mappers.ts';
import type { Clock } from '../domain/time.ts';
import type { Notices } from '../notify/notices.ts';
import { owe } from '../notify/outbox.ts';

/** The leaders' group, if one is bound: its chat id and language. */
export interface LeadersGroup {
  chatId: number;
  locale: Locale;
}

const GROUP = 'leaders_group_chat';
const GROUP_LOCALE = 'leaders_group_locale';

/** Small settings kept in the database. */
export class SettingsService {
  constructor(private readonly deps: { db: Db; clock: Clock; notices: Notices; defaultLocale: Locale; onOwed: () => void }) {}

  async leadersGroup(tx: Tx = this.deps.db): Promise<LeadersGroup | null> {
    const rows = await tx.setting.findMany({ where: { key: { in: [GROUP, GROUP_LOCALE] } } });
    const chat = rows.find((r) => r.key === GROUP)?.value;
    const locale = rows.find((r) => r.key === GROUP_LOCALE)?.value;
    if (!chat) return null;
    return { chatId: Number(chat), locale: isLocale(locale) ? locale : this.deps.defaultLocale };
  }

  async bindLeadersGroup(chatId: number, locale: Locale): Promise<void> {
    await this.set(GROUP, String(chatId));
    await this.set(GROUP_LOCALE, locale);
  }

  async setLeadersGroupLocale(locale: Locale): Promise<void> {
    await this.set(GROUP_LOCALE, locale);
  }

  /** Forgets the binding; returns true when `chatId` was the bound group. */
  async unbindLeadersGroup(chatId: number): Promise<boolean> {
    const current = await this.leadersGroup();
    if (!current || current.chatId !== chatId) return false;
    await this.deps.db.setting.deleteMany({ where: { key: { in: [GROUP, GROUP_LOCALE] } } });
    return true;
  }

  /**
   * The bot was removed from a group: if it was the leaders' group, the binding is cleared and
   * each leader and admin is told privately (digests and escalations now come to them).
   */
  async leadersGroupLost(chatId: number): Promise<boolean> {
    if (!(await this.unbindLeadersGroup(chatId))) return false;
    const { db, clock, notices } = this.deps;
    const now = clock.now();
    const leaders = (await db.user.findMany({ where: { role: { in: ['leader', 'admin'] } } })).map(toUser);
    await db.$transaction((tx) =>
      owe(
        tx,
        leaders.map((l) => {
          const to = notices.recipientOf(l);
          return notices.message(to, { text: notices.reader(to.locale).t('group:unbound') }, now);
        }),
        now,
      ),
    );
    this.deps.onOwed();
    return true;
  }

  private async set(key: string, value: string): Promise<void> {
    await this.deps.db.setting.upsert({ where: { key }, create: { key, value }, update: { value } });
  }
}
