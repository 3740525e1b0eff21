import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buttons, type BotMessage, type ScriptedUser } from '../../src/emulator/server.ts';
import { ADMIN_ID, startHarness, type Harness } from '../support/app.ts';

const hasButtons = (m: BotMessage) => buttons(m).length > 0;
const PAUSED_UG = /بەك كۆپ ئۇچۇر/;

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ env: { UPDATES_PER_MINUTE: '30', STAFF_UPDATES_PER_MINUTE: '120', FLOOD_PAUSE_SECONDS: '60', REPORTS_PER_DAY: '2' } });
  await h.app.services.admin.addPlace({ code: 'aqsu', nameUg: 'ئاقسۇ كەنتى', nameZh: '阿克苏村' });
  await h.app.services.admin.addPlace({ code: 'yengi', nameUg: 'يېڭى ئۆستەڭ كەنتى', nameZh: '新渠村' });
});
afterEach(async () => {
  await h.stop();
});

/** A Uyghur villager's whole report, button by button; `between` runs before each step. */
async function reportInUyghur(u: ScriptedUser, category: string, between: () => void = () => undefined): Promise<BotMessage> {
  between();
  u.sendText('/report');
  const categories = await u.waitForMessage(hasButtons, { timeoutMs: 15_000 });
  between();
  u.pressButton(categories, category);
  await u.waitForMessage(/ئاۋازلىق ئۇچۇر/, { timeoutMs: 15_000 });
  between();
  u.sendText('سۇ تۇرۇبىسى يېرىلىپ كەتتى');
  const where = await u.waitForMessage(/قەيەردە/, { timeoutMs: 15_000 });
  between();
  u.pressButton(where, 'ئاقسۇ كەنتى');
  const summary = await u.waitForMessage(/تەكشۈرۈڭ/, { timeoutMs: 15_000 });
  between();
  u.pressButton(summary, '✅ جەزملەش');
  return u.waitForMessage(/رەھمەت|چەك/, { timeoutMs: 15_000 });
}

/**
 * Waits until every update sent so far has been handled. The bot handles updates a batch at a
 * time (one getUpdates answer), so a message sent once a first probe is answered comes in a later
 * batch than everything sent before that probe, and its answer means those batches are done.
 */
async function settled(): Promise<void> {
  const probe = h.standin.user({ id: 7999, firstName: 'Probe', languageCode: 'zh' });
  probe.sendText('/help');
  await probe.waitForMessage(undefined, { timeoutMs: 15_000 });
  probe.sendText('/help');
  await probe.waitForMessage(undefined, { timeoutMs: 15_000 });
}

describe('floods', () => {
  it('should pause one account sending thousands of messages, tell it once, and answer everyone else meanwhile', async () => {
    const flooder = h.standin.user({ id: 7001, firstName: 'Spam', languageCode: 'ug' });
    const ayshem = h.standin.user({ id: 7002, firstName: 'Ayshem', languageCode: 'ug' });
    const li = h.standin.user({ id: 7003, firstName: '李', languageCode: 'zh-hans' });
    let sent = 0;
    const flood = (n: number) => {
      for (let i = 0; i < n; i += 1, sent += 1) flooder.sendText(`spam ${sent}`);
    };
    flood(1000);
    const [ayshemFiled, liFiled] = await Promise.all([
      reportInUyghur(ayshem, 'ئىچىملىك سۇ', () => flood(150)),
      (async () => {
        flood(150);
        li.sendText('/report');
        li.pressButton(await li.waitForMessage(/哪一类/, { timeoutMs: 15_000 }), '道路');
        await li.waitForMessage(/请描述问题/, { timeoutMs: 15_000 });
        flood(150);
        li.sendText('桥下路面塌陷');
        const where = await li.waitForMessage(/问题在哪里/, { timeoutMs: 15_000 });
        li.pressButton(where, '新渠村');
        const summary = await li.waitForMessage(/请核对/, { timeoutMs: 15_000 });
        flood(150);
        li.pressButton(summary, '✅ 确认');
        return li.waitForMessage(/编号#\d/, { timeoutMs: 15_000 });
      })(),
    ]);
    flood(3000 - sent);
    expect(sent).toBe(3000);
    expect(ayshemFiled.text).toMatch(/^\u200f✅ رەھمەت/);
    expect(liFiled.text).toContain('编号#');
    await settled();

    const toFlooder = flooder.messages();
    expect(toFlooder.filter((m) => PAUSED_UG.test(m.text))).toHaveLength(1);
    // answered up to the limit (a burst of 30, plus what drained meanwhile), then the notice, then silence
    expect(toFlooder.length).toBeLessThanOrEqual(40);
    expect(toFlooder.at(-1)!.text).toMatch(PAUSED_UG);
    // dropped updates never reached the database: no claim for them
    expect(await h.app.services.db.processedUpdate.count()).toBeLessThan(200);
    expect(await h.app.services.db.report.count()).toBe(2);

    // the pause is over after FLOOD_PAUSE_SECONDS: answered again
    h.clock.advance(61_000);
    flooder.sendText('/help');
    const back = await flooder.waitForMessage(undefined, { timeoutMs: 15_000 });
    expect(back.text).not.toMatch(PAUSED_UG);
  });

  it('should give staff the higher limit', async () => {
    const admin = h.standin.user({ id: ADMIN_ID, firstName: 'Admin', languageCode: 'zh' });
    const resident = h.standin.user({ id: 7010, firstName: 'Tursun', languageCode: 'ug' });
    // the first update tells the bot who is staff
    admin.sendText('/help');
    await admin.waitForMessage();
    for (let i = 0; i < 40; i += 1) {
      admin.sendText('/help');
      resident.sendText('/help');
    }
    // every answer keeps to Telegram's one message a second into a private chat: wait for them all
    await h.standin.waitUntil(() => admin.messages().length >= 41, { timeoutMs: 100_000, description: () => `admin has ${admin.messages().length} of 41 answers` });
    await settled();
    expect(admin.messages().filter((m) => /太多/.test(m.text))).toHaveLength(0);
    expect(admin.messages().length).toBe(41);
    expect(resident.messages().filter((m) => PAUSED_UG.test(m.text))).toHaveLength(1);
    expect(resident.messages().length).toBeLessThanOrEqual(33);
  });

  it('should refuse a report past the daily limit politely, keep the draft, and file it the next day', async () => {
    const u = h.standin.user({ id: 7020, firstName: 'Memet', languageCode: 'ug' });
    expect((await reportInUyghur(u, 'ئىچىملىك سۇ')).text).toMatch(/رەھمەت/);
    expect((await reportInUyghur(u, 'يول')).text).toMatch(/رەھمەت/);
    const refused = await reportInUyghur(u, 'توك');
    expect(refused.text).toContain('بۈگۈن 2 ئىنكاس');
    expect(await h.app.services.db.report.count()).toBe(2);
    const user = await h.app.services.db.user.findUniqueOrThrow({ where: { telegramId: 7020n } });
    expect(await h.app.services.drafts.get(user.id, 'report')).toMatchObject({ step: 'confirm', description: 'سۇ تۇرۇبىسى يېرىلىپ كەتتى' });
    // local midnight in Urumqi has passed: /report picks the draft up at its summary
    h.clock.advance(20 * 3600_000);
    u.sendText('/report');
    u.pressButton(await u.waitForMessage(/تەكشۈرۈڭ/), '✅ جەزملەش');
    expect((await u.waitForMessage(/رەھمەت/)).text).toContain('#3');
  });
});
