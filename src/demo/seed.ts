/**
 * The demo's ledger: villages, categories, staff in every role, the bound leaders' group and a
 * few dozen reports filed and worked on over the last four weeks, in Uyghur and Chinese, in
 * every state. Built through the services with a clock that walks through those weeks, so the
 * ledger is one the product itself could have written.
 */
import { randomUUID } from 'node:crypto';
import { applyMigrations } from '../db/migrate.ts';
import { openDatabase } from '../db/client.ts';
import { loadConfig } from '../config.ts';
import { Texts } from '../i18n/index.ts';
import { createServices, type Services } from '../services/index.ts';
import { startDraft } from '../domain/draft.ts';
import { DAY_MS, HOUR_MS, type Clock } from '../domain/time.ts';
import type { Action } from '../domain/lifecycle.ts';
import type { User } from '../domain/types.ts';
import { Prng } from '../emulator/limits.ts';
import { OTHER_RESIDENTS, OTHER_STAFF, PAGE_PEOPLE, pagePerson } from './people.ts';

/** What each seeded report goes through after it is filed. */
type Story = 'untouched' | 'acknowledged' | 'in_progress' | 'needs_info' | 'resolved' | 'satisfied' | 'not_satisfied' | 'no_answer' | 'rejected' | 'duplicate';

/** Problems as villagers describe them, by category, in both languages. */
const PROBLEMS: Record<string, { ug: string[]; zh: string[] }> = {
  drinking_water: {
    ug: ['كەنت ئوتتۇرىسىدىكى سۇ تۇرۇبىسى يېرىلىپ، ئۈچ كۈندىن بېرى سۇ كەلمىدى', 'ئىچىملىك سۇ لاي، بالىلار ئىچسە قورسىقى ئاغرىۋاتىدۇ'],
    zh: ['村东头的自来水管冻裂了，已经三天没水', '饮用水有异味，烧开后还有白色沉淀'],
  },
  roads: {
    ug: ['مەكتەپكە بارىدىغان يولدا چوڭ ئازگال بار، يامغۇر ياغسا ئۆتكىلى بولمايدۇ', 'كۆۋرۈكنىڭ تۇتقۇسى سۇنۇپ كەتتى'],
    zh: ['去乡里的路面塌了一个大坑，晚上很危险', '村口的桥栏杆断了'],
  },
  health_care: {
    ug: ['كەنت دوختۇرخانىسىدا قان بېسىمى دورىسى تۈگەپ قاپتۇ', 'دوختۇرخانا چۈشتىن كېيىن ئېچىلمايدۇ'],
    zh: ['村卫生室的降压药断货了', '卫生室下午经常没人值班'],
  },
  irrigation: {
    ug: ['ئۆستەڭنىڭ دەرۋازىسى بۇزۇلۇپ، سۇ ئېتىزغا يەتمەيۋاتىدۇ', 'ئېرىق لاي بىلەن تولۇپ قالدى'],
    zh: ['渠道闸门坏了，水到不了地里', '支渠被淤泥堵住了'],
  },
  electricity: {
    ug: ['كەچتە توك دائىم ئۈزۈلۈپ قالىدۇ', 'كوچا چىرىغى بىر ئايدىن بېرى ياناي'],
    zh: ['晚上经常停电', '路灯坏了一个多月'],
  },
  housing_disaster: {
    ug: ['كەلكۈندىن كېيىن ئۆينىڭ تېمى يېرىلدى', 'قار بېسىپ ئېغىلنىڭ ئۆگزىسى ئۆرۈلدى'],
    zh: ['洪水过后房屋墙体开裂', '大雪压塌了牲畜棚的棚顶'],
  },
  school_transport: {
    ug: ['مەكتەپ ئاپتوبۇسى ئەتىگەن كەلمىدى، بالىلار پىيادە ماڭدى'],
    zh: ['校车这周两次没来接学生'],
  },
  livelihood_aid: {
    ug: ['تۇرمۇش ياردەم پۇلى بۇ ئاي كەلمىدى'],
    zh: ['低保金这个月还没到账'],
  },
  other: {
    ug: ['كەنت كۇتۇپخانىسىنىڭ ئىشىكى دائىم قۇلۇپلاقلىق'],
    zh: ['村文化室一直锁着门'],
  },
};

/** The stories of the seeded reports, oldest first: the older ones are finished, the newest still open. */
const STORIES: Story[] = [
  'satisfied', 'satisfied', 'no_answer', 'rejected', 'satisfied', 'not_satisfied', 'satisfied', 'duplicate',
  'satisfied', 'no_answer', 'untouched', 'satisfied', 'acknowledged', 'satisfied', 'in_progress', 'rejected',
  'satisfied', 'resolved', 'needs_info', 'untouched', 'satisfied', 'in_progress', 'acknowledged', 'resolved',
  'satisfied', 'not_satisfied', 'untouched', 'acknowledged', 'needs_info', 'resolved', 'in_progress', 'untouched',
  'acknowledged', 'untouched', 'resolved', 'untouched',
];

const NOTES = {
  resolve: { ug: 'تۇرۇبا ئالماشتۇرۇلدى، سۇ كېلىۋاتىدۇ', zh: '已维修完毕，恢复正常' },
  ask: { ug: 'قايسى كوچىدا؟ سۈرىتىنى ئەۋەتەلەمسىز؟', zh: '具体在哪一段？能发张照片吗？' },
  answer: { ug: 'مەسچىت ئالدىدىكى كوچىدا', zh: '在村委会旁边那段' },
  reject: { ug: 'بۇ يېزىنىڭ ئىشى ئەمەس، ناھىيەگە يوللاندى', zh: '不属于本乡职责，已转县相关部门' },
  notSatisfied: { ug: 'يەنە شۇنداق، ھەل بولمىدى', zh: '还是老样子，没有解决' },
  duplicate: { ug: 'بۇ مەسىلە ئاللىقاچان خاتىرىلەنگەن', zh: '该问题已登记' },
};

/** A clock the seed moves by hand through the last weeks. */
class WalkingClock implements Clock {
  constructor(private at: Date) {}
  now(): Date {
    return this.at;
  }
  set(at: Date): void {
    this.at = at;
  }
}

/** Changes whenever the seed writes a different ledger, so that kept seeded ledgers are made again. */
export const DEMO_SEED_VERSION = 1;

export interface DemoSeedSummary {
  reports: number;
  byStatus: Record<string, number>;
}

/**
 * Creates the demo ledger in an empty database at `databaseUrl`, as of `now`. Owed messages
 * about the past are dropped: the demo's chats start empty, with the ledger behind them.
 */
export async function seedDemo(databaseUrl: string, now: Date, env: NodeJS.ProcessEnv = {}): Promise<DemoSeedSummary> {
  const config = loadConfig({ ...env, BOT_TOKEN: '1:demo-seed-not-a-real-token-0000', DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  applyMigrations(config.DATABASE_URL);
  const db = await openDatabase(config.DATABASE_URL);
  const start = new Date(now.getTime() - 28 * DAY_MS);
  const clock = new WalkingClock(start);
  const s = createServices({ db, clock, texts: new Texts(), config });
  try {
    await s.catalog.seedDefaults(start);
    await s.admin.loadSeed({
      places: [
        { code: 'aqsu', nameUg: 'ئاقسۇ كەنتى', nameZh: '阿克苏村', nameEn: 'Aqsu village' },
        { code: 'yengiostang', nameUg: 'يېڭى ئۆستەڭ كەنتى', nameZh: '新渠村', nameEn: 'Yengi Ostang village' },
        { code: 'bostan', nameUg: 'بوستان كەنتى', nameZh: '博斯坦村', nameEn: 'Bostan village' },
      ],
      categories: [
        { code: 'drinking_water', slaHours: 48, defaultOwnerTelegramId: pagePerson('cadre').id },
        { code: 'roads', slaHours: 168, defaultOwnerTelegramId: OTHER_STAFF[1].telegramId },
        { code: 'health_care', slaHours: 48, defaultOwnerTelegramId: OTHER_STAFF[0].telegramId },
        { code: 'irrigation', slaHours: 72, defaultOwnerTelegramId: pagePerson('cadre').id },
        { code: 'electricity', slaHours: 48, defaultOwnerTelegramId: OTHER_STAFF[0].telegramId },
        { code: 'housing_disaster', slaHours: 72, defaultOwnerTelegramId: OTHER_STAFF[1].telegramId },
        { code: 'school_transport', slaHours: 72, defaultOwnerTelegramId: OTHER_STAFF[0].telegramId },
        { code: 'livelihood_aid', slaHours: 120, defaultOwnerTelegramId: pagePerson('cadre').id },
        { code: 'other', slaHours: 120 },
      ],
      people: [
        { telegramId: pagePerson('cadre').id, displayName: pagePerson('cadre').name, role: 'cadre', locale: 'ug', villages: ['aqsu', 'bostan'] },
        { telegramId: pagePerson('leader').id, displayName: pagePerson('leader').name, role: 'leader', locale: 'zh', villages: [] },
        { telegramId: pagePerson('admin').id, displayName: pagePerson('admin').name, role: 'admin', locale: 'ug', villages: [] },
        ...OTHER_STAFF.map((p) => ({ ...p, villages: [...p.villages] })),
      ],
      owners: [{ village: 'yengiostang', category: 'drinking_water', ownerTelegramId: OTHER_STAFF[0].telegramId }],
    });
    await s.settings.bindLeadersGroup(pagePerson('group').id, 'zh');

    const residents: Array<{ user: User; locale: 'ug' | 'zh' }> = [];
    for (const p of PAGE_PEOPLE.filter((x) => x.role === 'resident')) {
      residents.push({ user: await resident(s, p.id, p.name, p.languageCode === 'ug' ? 'ug' : 'zh'), locale: p.languageCode === 'ug' ? 'ug' : 'zh' });
    }
    for (const r of OTHER_RESIDENTS) residents.push({ user: await resident(s, r.telegramId, r.name, r.locale), locale: r.locale });

    const places = await db.place.findMany({ where: { parentId: null }, orderBy: { id: 'asc' } });
    const categories = await s.catalog.categories();
    const random = new Prng(20_261_204);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random.next() * xs.length)]!;
    const staff = new Map((await s.users.staff()).map((u) => [u.id, u]));
    const step = (27 * DAY_MS) / STORIES.length;
    let previous: number | undefined;

    for (const [i, story] of STORIES.entries()) {
      const filedAt = new Date(start.getTime() + i * step + random.next() * 6 * HOUR_MS);
      clock.set(filedAt);
      const reporter = residents[i % residents.length]!;
      const category = categories[i % categories.length]!;
      const texts = PROBLEMS[category.code] ?? PROBLEMS.other!;
      const draft = {
        ...startDraft(randomUUID(), { staff: false }),
        categoryId: category.id,
        description: pick(texts[reporter.locale]),
        placeId: i % 7 === 6 ? null : places[i % places.length]!.id,
        anonymous: i % 9 === 4,
        step: 'confirm' as const,
      };
      const { report } = await s.reports.submit(reporter.user, draft);
      const owner = report.ownerId !== null ? staff.get(report.ownerId) : undefined;
      const lang = owner?.locale === 'zh' ? 'zh' : 'ug';
      // each step happens some hours after the one before, never after `now`
      const later = (hours: number): boolean => {
        const next = new Date(clock.now().getTime() + hours * HOUR_MS);
        if (next.getTime() >= now.getTime() - HOUR_MS) return false;
        clock.set(next);
        return true;
      };
      const act = async (who: User, action: Action): Promise<void> => {
        await s.reports.act(who, report.number, action);
      };
      if (story !== 'untouched' && owner === undefined) {
        // the leaders' queue hands it to a cadre first
        if (!later(3)) continue;
        const leader = [...staff.values()].find((u) => u.telegramId === pagePerson('leader').id)!;
        const memet = [...staff.values()].find((u) => u.telegramId === pagePerson('cadre').id)!;
        await act(leader, { kind: 'assign', ownerId: memet.id });
      }
      const current = (await s.reports.byNumber(report.number))!;
      const cadre = current.ownerId !== null ? staff.get(current.ownerId) : undefined;
      if (story === 'untouched' || cadre === undefined) continue;
      if (story === 'rejected') {
        if (later(5)) await act(cadre, { kind: 'reject', reason: NOTES.reject[lang] });
        continue;
      }
      if (story === 'duplicate' && previous !== undefined) {
        if (later(4)) await act(cadre, { kind: 'duplicate', ofNumber: previous, reason: NOTES.duplicate[lang] });
        continue;
      }
      if (!later(2 + random.next() * 10)) continue;
      await act(cadre, { kind: 'acknowledge' });
      if (story === 'acknowledged') continue;
      if (story === 'needs_info') {
        if (later(3)) await act(cadre, { kind: 'ask', question: NOTES.ask[lang] });
        continue;
      }
      if (!later(4 + random.next() * 20)) continue;
      await act(cadre, { kind: 'start' });
      if (story === 'in_progress') continue;
      if (!later(6 + random.next() * 40)) continue;
      await act(cadre, { kind: 'resolve', note: NOTES.resolve[lang] });
      if (story === 'resolved') continue;
      if (!later(2 + random.next() * 20)) continue;
      if (story === 'satisfied') await act(reporter.user, { kind: 'satisfied' });
      else if (story === 'not_satisfied') await act(reporter.user, { kind: 'not_satisfied', reason: NOTES.notSatisfied[reporter.locale] });
      else if (story === 'no_answer') await s.reports.actAsSystem(report.number, { kind: 'no_answer' });
      previous = report.number;
    }
    // the notifications of the past were delivered long ago: the demo's chats start empty
    await db.outboxMessage.deleteMany({});
    const byStatus: Record<string, number> = {};
    for (const row of await db.report.groupBy({ by: ['status'], _count: { _all: true } })) byStatus[row.status] = row._count._all;
    return { reports: STORIES.length, byStatus };
  } finally {
    await s.close();
  }
}

async function resident(s: Services, telegramId: number, name: string, locale: 'ug' | 'zh'): Promise<User> {
  const user = await s.users.identify({ id: telegramId, first_name: name });
  await s.users.setLocale(user.id, locale);
  return { ...user, locale };
}
