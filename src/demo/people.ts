/**
 * The people of the demo: who the web page lets you act as, and the staff and residents the
 * seeded ledger was filed by. Telegram ids are the demo's own (the emulator accepts any).
 */

/** One person (or the leaders' group) on the demo page. */
export interface DemoPerson {
  /** stable key used by the page and the browser test */
  key: 'villager_ug' | 'villager_zh' | 'cadre' | 'leader' | 'admin' | 'group';
  /** Telegram user id, or the group's chat id (negative) */
  id: number;
  name: string;
  /** what the Telegram client would report as from.language_code */
  languageCode: 'ug' | 'zh-hans';
  role: 'resident' | 'cadre' | 'leader' | 'admin' | 'group';
}

export const DEMO_TOKEN = '7100000001:AADemo_VillageDesk_token_emulator_0001';

export const PAGE_PEOPLE: readonly DemoPerson[] = [
  { key: 'villager_ug', id: 5_000_001, name: 'ئايشەم', languageCode: 'ug', role: 'resident' },
  { key: 'villager_zh', id: 5_000_002, name: '李秀英', languageCode: 'zh-hans', role: 'resident' },
  { key: 'cadre', id: 5_000_011, name: 'مەمەت', languageCode: 'ug', role: 'cadre' },
  { key: 'leader', id: 5_000_021, name: '张伟', languageCode: 'zh-hans', role: 'leader' },
  { key: 'admin', id: 5_000_031, name: 'ئادىل', languageCode: 'ug', role: 'admin' },
  { key: 'group', id: -1_005_000_100, name: 'يېزا رەھبەرلىرى · 乡领导群', languageCode: 'zh-hans', role: 'group' },
];

/** Who writes in the leaders' group when you act as the group on the page. */
export const GROUP_SPEAKER = 'leader' as const;

export function pagePerson(key: DemoPerson['key']): DemoPerson {
  const p = PAGE_PEOPLE.find((x) => x.key === key);
  if (!p) throw new Error(`no demo person ${key}`);
  return p;
}

/** Staff who are in the ledger but not on the page. */
export const OTHER_STAFF = [
  { telegramId: 5_000_012, displayName: '王磊', role: 'cadre', locale: 'zh', villages: ['yengiostang'] },
  { telegramId: 5_000_013, displayName: 'ئابدۇكېرىم', role: 'cadre', locale: 'ug', villages: ['aqsu', 'yengiostang'] },
  { telegramId: 5_000_022, displayName: 'گۈلنار', role: 'leader', locale: 'ug', villages: [] },
] as const;

/** Residents who filed the older reports (ids 5000101…), alternating Uyghur and Chinese. */
export const OTHER_RESIDENTS = [
  { telegramId: 5_000_101, name: 'تۇرسۇن', locale: 'ug' },
  { telegramId: 5_000_102, name: '王芳', locale: 'zh' },
  { telegramId: 5_000_103, name: 'پاتىگۈل', locale: 'ug' },
  { telegramId: 5_000_104, name: '刘建国', locale: 'zh' },
  { telegramId: 5_000_105, name: 'ئەخمەت', locale: 'ug' },
  { telegramId: 5_000_106, name: '马丽', locale: 'zh' },
] as const;
