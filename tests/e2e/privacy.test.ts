import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buttons, type BotMessage, type MessageMatcher, type ScriptedUser } from '../../src/emulator/server.ts';
import { visibleText } from '../../src/emulator/buttons.ts';
import { ADMIN_ID, startHarness, type Harness } from '../support/app.ts';
import { startDraft } from '../../src/domain/draft.ts';
import { toUser } from '../../src/db/mappers.ts';
import { ERASED_TELEGRAM_ID } from '../../src/domain/privacy.ts';
import type { Role } from '../../src/domain/lifecycle.ts';

// Every step waits for the bot's message rather than for time: the same test must hold on a
// slow or hostile network (flood limits, injected 502s), where answers take longer.
const PATIENCE = { timeoutMs: 20_000 };
const wait = (u: ScriptedUser, m: MessageMatcher) => u.waitForMessage(m, PATIENCE);
const hasButtons = (m: BotMessage) => buttons(m).length > 0;
const isDocument = (m: BotMessage) => m.kind === 'document';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.app.services.admin.addPlace({ code: 'aqsu', nameUg: 'ئاقسۇ كەنتى', nameZh: '阿克苏村' });
});
afterEach(async () => {
  await h.stop();
});

/**
 * Presses, and returns the alert the bot answers with. An answer to a button press is not
 * retried by the bot when the network drops it, so the press is repeated (it changes nothing
 * the second time: the refusal stands) until an alert for this chat arrives.
 */
async function alertAfter(u: ScriptedUser, press: () => void): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    const seen = h.standin.callbackAnswers.length;
    press();
    try {
      const found = await h.standin.waitUntil(() => h.standin.callbackAnswers.slice(seen).find((a) => a.chatId === u.chatId && a.showAlert), { timeoutMs: 7_000 });
      return found.text ?? '';
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

/** A staff member known to the ledger (as if invited earlier), and their Telegram user. */
async function staff(id: number, role: Role, name: string, languageCode: 'ug' | 'zh' | 'en'): Promise<ScriptedUser> {
  const now = h.clock.now();
  await h.app.services.db.user.create({ data: { telegramId: BigInt(id), displayName: name, role, locale: languageCode, createdAt: now, updatedAt: now } });
  return h.standin.user({ id, firstName: name, languageCode });
}

async function userOf(telegramId: number) {
  return h.app.services.db.user.findUnique({ where: { telegramId: BigInt(telegramId) } });
}

/** Makes a cadre the owner of drinking-water reports. */
async function ownsWater(telegramId: number): Promise<void> {
  const water = (await h.app.services.catalog.categories()).find((c) => c.code === 'drinking_water')!;
  await h.app.services.admin.setDefaultOwner(water.id, (await userOf(telegramId))!.id);
}

/** A Uyghur villager reports a water problem by voice through the bot. */
async function reportByVoice(u: ScriptedUser): Promise<void> {
  u.sendText('/report');
  u.pressButton(await wait(u, hasButtons), 'ئىچىملىك سۇ');
  await wait(u, /ئاۋازلىق ئۇچۇر/);
  u.sendVoice({ duration: 12 });
  u.pressButton(await wait(u, /قەيەردە/), 'ئاقسۇ كەنتى');
  u.pressButton(await wait(u, /تەكشۈرۈڭ/), '✅ جەزملەش');
  // an open report on the same problem nearby is offered first: this one is filed on its own
  const next = await wait(u, /رەھمەت|ئوخشاش مەسىلە/);
  if (!next.text.includes('رەھمەت')) {
    u.pressButton(next, /ئايرىم/);
    await wait(u, /رەھمەت/);
  }
}

/** Someone who chose English with /lang earlier (a Telegram language alone gives Uyghur or Chinese). */
async function english(id: number, name: string): Promise<ScriptedUser> {
  const now = h.clock.now();
  await h.app.services.db.user.create({ data: { telegramId: BigInt(id), displayName: name, locale: 'en', createdAt: now, updatedAt: now } });
  return h.standin.user({ id, firstName: name, languageCode: 'en' });
}

/** Digest figures without the moment they were computed at (the harness clock flows). */
async function figures() {
  const { asOf: _asOf, ...rest } = await h.app.services.digests.figures('week');
  return rest;
}

/** A Chinese villager reports a water problem in words and a photo. */
async function reportInWords(u: ScriptedUser, words: string): Promise<void> {
  u.sendText('/report');
  u.pressButton(await wait(u, /哪一类/), '饮水');
  await wait(u, /请描述问题/);
  u.sendText(words);
  u.pressButton(await wait(u, /问题在哪里/), '阿克苏村');
  u.pressButton(await wait(u, /请核对/), '✅ 确认');
  await wait(u, /编号#\d+/);
}

describe('/privacy', () => {
  it('should say what is kept, who sees it and for how long, in Uyghur, Chinese and English, and be in /help and the menus', async () => {
    const cases = [
      { id: 8101, lang: 'ug', title: /كەنت مەسىلە دەپتىرى سىز ھەققىدە/, who: 'رەھبەرلەر', help: 'بوت سىز ھەققىدە' },
      { id: 8102, lang: 'zh', title: /村务问题台账保存您的哪些信息/, who: '领导只看到统计数字', help: '机器人保存您的哪些信息' },
      { id: 8103, lang: 'en', title: /What Village Desk keeps about you/, who: 'Leaders see figures', help: 'what the bot keeps about you' },
    ] as const;
    for (const c of cases) {
      const u = c.lang === 'en' ? await english(c.id, `P${c.id}`) : h.standin.user({ id: c.id, firstName: `P${c.id}`, languageCode: c.lang });
      u.sendText('/privacy');
      const text = (await wait(u, c.title)).text;
      expect(text).toContain(c.who);
      expect(text).toContain('365');
      expect(text).toContain('/mydata');
      expect(text).toContain('/forget');
      // nothing of the staff's part for a villager
      expect(text).not.toContain('/forget 12');
      u.sendText('/help');
      expect((await wait(u, /\/privacy/)).text).toContain(c.help);
      expect(h.standin.commandsFor({ type: 'default' }, c.lang)?.map((m) => m.command)).toEqual(expect.arrayContaining(['privacy', 'mydata', 'forget']));
    }
  }, 60_000);

  it('should point to the private chat when asked in a group, and show nothing there', async () => {
    const admin = h.standin.user({ id: ADMIN_ID, firstName: 'Admin', languageCode: 'zh' });
    const group = h.standin.group({ id: -100700, title: 'Leaders' });
    h.standin.botAddedToGroup(group, admin);
    group.sendText(admin, '/bindgroup');
    await group.waitForMessage(/本群已设为领导群/, PATIENCE);
    for (const command of ['/privacy', '/mydata', '/forget']) {
      group.sendText(admin, command);
      await group.waitForMessage(/请在与机器人的私聊中发送/, PATIENCE);
    }
    expect(h.standin.documents(-100700)).toEqual([]);
    expect(await userOf(ADMIN_ID)).not.toBeNull();
  });

  it('should tell staff how to hand over first and how to erase a household', async () => {
    const cadre = await staff(8110, 'cadre', 'Memet', 'ug');
    cadre.sendText('/privacy');
    expect((await wait(cadre, /خادىملار ئۈچۈن/)).text).toContain('/forget 12');
  });
});

describe('/mydata', () => {
  it('should send a readable file in the person\'s language with their profile, reports, history and messages, listing files by what they were', async () => {
    await staff(8201, 'cadre', '王磊', 'zh');
    await ownsWater(8201);
    const li = h.standin.user({ id: 8202, firstName: '李', lastName: '华', languageCode: 'zh' });
    await reportInWords(li, '村口水管漏水');
    li.sendText('/mydata');
    const doc = await wait(li, isDocument);
    expect(doc.text).toContain('1个问题');
    const file = h.standin.documents(8202).at(-1)!;
    expect(file.fileName).toMatch(/^mydata-\d{4}-\d{2}-\d{2}\.json$/);
    const data = JSON.parse(file.bytes.toString('utf8')) as Record<string, unknown>;
    expect(data['个人信息']).toMatchObject({ 名字: '李 华', Telegram编号: '8202', 语言: '中文', 角色: '群众' });
    const [report] = data['问题'] as Array<Record<string, unknown>>;
    expect(report).toMatchObject({ 编号: '#1', 您与此问题: '您反映的', 类别: '饮水', 村: '阿克苏村', 问题描述: '村口水管漏水', 匿名: '否' });
    expect((report!['处理记录'] as Array<Record<string, string>>)[0]).toMatchObject({ 事项: '提交反映', 人员: '您' });

    // in Uyghur: a voice message is named, never sent again, and no file id is in the file
    const ayshem = h.standin.user({ id: 8203, firstName: 'Ayshem', languageCode: 'ug' });
    await reportByVoice(ayshem);
    ayshem.sendText('/mydata');
    const ugDoc = await wait(ayshem, isDocument);
    expect(ugDoc.text).toMatch(/^\u200f📄 كەنت مەسىلە دەپتىرىدە/);
    const ugFile = h.standin.documents(8203).at(-1)!.bytes.toString('utf8');
    const ug = JSON.parse(ugFile) as Record<string, Array<Record<string, unknown>>>;
    expect(ug['مەسىلىلەر']![0]!['سۈرەت ۋە ئاۋازلىق ئۇچۇرلار']).toEqual(['ئاۋازلىق ئۇچۇر (12 سېكۇنت)']);
    const voice = (await h.app.services.reports.byNumber(2))!.attachments[0]!.fileId;
    expect(ugFile).not.toContain(voice);
    expect(h.standin.messages(8203).filter((m) => m.kind === 'voice')).toEqual([]);

    // in English, for someone with nothing filed yet
    const en = await english(8204, 'Anna');
    en.sendText('/mydata');
    await wait(en, isDocument);
    const enData = JSON.parse(h.standin.documents(8204).at(-1)!.bytes.toString('utf8')) as Record<string, unknown>;
    expect(enData).toMatchObject({ title: 'Everything Village Desk keeps about you', profile: { name: 'Anna', role: 'resident', language: 'English' }, reports: [] });
  });
});

describe('/forget', () => {
  it('should erase a Uyghur villager after a confirmation, keep the report anonymous, tell its owner, and treat them as new afterwards', async () => {
    const cadre = await staff(8301, 'cadre', 'Ali', 'zh');
    await ownsWater(8301);
    const ayshem = h.standin.user({ id: 8302, firstName: 'Ayshem', username: 'ayshem_k', languageCode: 'ug' });
    await reportByVoice(ayshem);
    await wait(cadre, /新问题#1分派给您/);
    const before = await figures();

    ayshem.sendText('/forget');
    const confirm = await wait(ayshem, /ئۆچۈرەمدۇق/);
    expect(confirm.text).toMatch(/^\u200f⚠️ /);
    expect(confirm.text).toContain('مەسىلىلىرىڭىز');
    expect(confirm.text).toContain('يېڭى ئاھالە');
    expect(buttons(confirm).map((b) => visibleText(b.text))).toEqual(['🗑 مېنى ئۆچۈرۈڭ', '❌ بىكار قىلىش']);
    ayshem.pressButton(confirm, '🗑 مېنى ئۆچۈرۈڭ');
    await wait(ayshem, /سىز كەنت مەسىلە دەپتىرىدىن ئۆچۈرۈلدىڭىز/);

    // the owner is told, on the report's card, which no longer names anyone
    const told = await wait(cadre, /问题#1的反映人已要求删除其信息/);
    expect(told.text).toContain('匿名');
    expect(told.text).not.toContain('Ayshem');
    await expect.poll(() => userOf(8302)).toBeNull();
    const report = (await h.app.services.reports.byNumber(1))!;
    expect(report).toMatchObject({ anonymous: true, attachments: [], status: 'assigned' });
    expect(await figures()).toEqual(before);
    const erased = await userOf(ERASED_TELEGRAM_ID);
    expect(report.reporterId).toBe(erased!.id);
    // the owner's "ask the reporter" says at once that nobody is left to ask
    expect(await alertAfter(cadre, () => cadre.press(told, 'r:1:ask', { forge: true }))).toBe('反映人已要求删除其信息：机器人已无法再向其提问。');

    // writing again: a new resident with nothing
    ayshem.sendText('/my');
    await wait(ayshem, /ھېچقانداق مەسىلە ئىنكاس قىلمىدىڭىز/);
    const again = await userOf(8302);
    expect(again).toMatchObject({ role: 'resident' });
    expect(again!.id).not.toBe(report.reporterId);
  });

  it('should change nothing when cancelled (Chinese), and erase an English villager who confirms', async () => {
    const li = h.standin.user({ id: 8401, firstName: '李', languageCode: 'zh' });
    li.sendText('/forget');
    const confirm = await wait(li, /确定从村务问题台账中删除您吗/);
    li.pressButton(confirm, '❌ 取消');
    await wait(li, /未删除任何内容/);
    expect(await userOf(8401)).not.toBeNull();
    li.sendText('/forget');
    li.pressButton(await wait(li, /确定从村务问题台账中删除您吗/), '🗑 删除我');
    await wait(li, /您已从村务问题台账中删除/);
    await expect.poll(() => userOf(8401)).toBeNull();

    const anna = await english(8402, 'Anna');
    anna.sendText('/forget');
    const en = await wait(anna, /Erase you from Village Desk\?/);
    expect(en.text).toContain('You have filed no reports.');
    anna.pressButton(en, '🗑 Erase me');
    await wait(anna, /you have been erased/);
    await expect.poll(() => userOf(8402)).toBeNull();
  });

  it('should refuse staff who still own open reports, and the last administrator', async () => {
    const cadre = await staff(8501, 'cadre', 'Memet', 'en');
    await ownsWater(8501);
    const villager = h.standin.user({ id: 8502, firstName: '王', languageCode: 'zh' });
    await reportInWords(villager, '没水了');
    cadre.sendText('/forget');
    await wait(cadre, /hand over the reports you still own first/);
    const admin = h.standin.user({ id: ADMIN_ID, firstName: 'Admin', languageCode: 'zh' });
    admin.sendText('/start');
    await wait(admin, () => true);
    admin.sendText('/forget');
    await wait(admin, /您是最后一位管理员/);
    expect(await userOf(8501)).not.toBeNull();
    expect(await userOf(ADMIN_ID)).not.toBeNull();

    // a report taken on between the question and the button: the button says no, in Uyghur
    const ug = await staff(8503, 'cadre', 'Tursun', 'ug');
    ug.sendText('/forget');
    const confirm = await wait(ug, /ئۆچۈرەمدۇق/);
    await h.app.services.db.report.update({ where: { number: 1 }, data: { ownerId: (await userOf(8503))!.id } });
    expect(await alertAfter(ug, () => ug.pressButton(confirm, '🗑 مېنى ئۆچۈرۈڭ'))).toMatch(/ئالدى بىلەن مەسئۇل بولۇۋاتقان مەسىلىلىرىڭىزنى ئۆتكۈزۈپ بېرىڭ/);
    expect(await userOf(8503)).not.toBeNull();
  });

  it('should let the cadre who filed for a household, or an administrator, erase that household (/forget 1)', async () => {
    const cadre = await staff(8601, 'cadre', '王磊', 'zh');
    const other = await staff(8602, 'cadre', 'Memet', 'ug');
    const filer = toUser((await userOf(8601))!);
    const water = (await h.app.services.catalog.categories()).find((c) => c.code === 'drinking_water')!;
    await h.app.services.admin.setDefaultOwner(water.id, (await userOf(8602))!.id);
    const draft = { ...startDraft(crypto.randomUUID(), { staff: true }), onBehalf: true, householdLabel: '14号 阿依古丽家', householdPhone: '13800001111', categoryId: water.id, description: '水龙头没水', placeId: null, step: 'confirm' as const };
    await h.app.services.reports.submit(filer, draft);
    await wait(other, /سىزگە يېڭى مەسىلە/);

    // the owner who did not file it may not; nor a villager
    other.sendText('/forget 1');
    await wait(other, /ھوقۇقىڭىز يوق/);
    const villager = await english(8603, 'x');
    villager.sendText('/forget 1');
    await wait(villager, /not allowed/);
    cadre.sendText('/forget abc');
    await wait(cadre, /发送\/forget删除您自己/);

    cadre.sendText('/forget 1');
    const confirm = await wait(cadre, /确定删除问题#1中所代表的户的信息吗/);
    expect(confirm.text).toContain('14号 阿依古丽家');
    cadre.pressButton(confirm, '🗑 删除该户信息');
    await wait(cadre, /问题#1中该户的信息已删除/);
    expect((await wait(other, /ئىنكاس قىلغۇچى ئۆزىنىڭ ئۇچۇرىنى ئۆچۈرۈشنى تەلەپ قىلدى/)).text).toContain('#1');
    const report = (await h.app.services.reports.byNumber(1))!;
    expect(report).toMatchObject({ householdLabel: null, householdPhone: null, anonymous: true, description: '' });
    expect(await userOf(8601)).not.toBeNull();

    // already erased: there is no household left to erase, even for an administrator
    const admin = h.standin.user({ id: ADMIN_ID, firstName: 'Admin', languageCode: 'ug' });
    admin.sendText('/forget 1');
    await wait(admin, /ھوقۇقىڭىز يوق/);
  });
});

describe('what the ledger keeps about a reporter', () => {
  it('should keep no Telegram username or phone in the report, even when they shared their contact', async () => {
    await staff(8701, 'cadre', 'Ali', 'zh');
    await ownsWater(8701);
    const li = h.standin.user({ id: 8702, firstName: '李', username: 'li_hua_88', languageCode: 'zh' });
    li.sendContact({ phoneNumber: '+8613912345678' });
    await wait(li, () => true);
    await reportInWords(li, '水管坏了');
    const serialise = (v: unknown) => JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
    const report = await h.app.services.db.report.findUniqueOrThrow({ where: { number: 1 }, include: { attachments: true, events: true } });
    const person = await userOf(8702);
    for (const row of [report, person]) {
      expect(serialise(row)).not.toContain('li_hua_88');
      expect(serialise(row)).not.toContain('13912345678');
    }
  });
});
