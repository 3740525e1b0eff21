import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buttons, findButton, type BotMessage } from '../../src/emulator/server.ts';
import { startHarness, type Harness } from '../support/app.ts';

const FSI = '\u2068';
const PDI = '\u2069';
const RLM = '\u200F';
const hasButtons = (m: BotMessage) => buttons(m).length > 0;

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.app.services.admin.addPlace({ code: 'aqsu', nameUg: 'ئاقسۇ كەنتى', nameZh: '阿克苏村' });
  await h.app.services.admin.addPlace({ code: 'yengi', nameUg: 'يېڭى ئۆستەڭ كەنتى', nameZh: '新渠村' });
});
afterEach(async () => {
  await h.stop();
});

describe('reporting conversation', () => {
  it('should let a Uyghur-speaking villager report a water problem by voice message and get #1', async () => {
    const ayshem = h.standin.user({ id: 1001, firstName: 'Ayshem', languageCode: 'ug' });
    ayshem.sendText('/start');
    const welcome = await ayshem.waitForMessage(/كەنت مەسىلە دەپتىرى/);
    expect(welcome.parse_mode).toBe('HTML');
    ayshem.pressButton(welcome, /مەسىلە ئىنكاس قىلىش/);
    const categories = await ayshem.waitForMessage(hasButtons);
    expect(categories.text).toContain('تۈرگە');
    ayshem.pressButton(categories, `${RLM}ئىچىملىك سۇ`);
    const ask = await ayshem.waitForMessage(/ئاۋازلىق ئۇچۇر/);
    expect(buttons(ask).map((b) => b.text)).toContain(`${RLM}❌ بىكار قىلىش`);
    ayshem.sendVoice({ duration: 14 });
    const where = await ayshem.waitForMessage(/قەيەردە/);
    ayshem.pressButton(where, 'ئاقسۇ كەنتى');
    const summary = await ayshem.waitForMessage(/تەكشۈرۈڭ/);
    expect(summary.text).toContain('ئىچىملىك سۇ');
    expect(summary.text).toContain('🎤');
    ayshem.pressButton(summary, `${RLM}✅ جەزملەش`);
    const filed = await ayshem.waitForMessage(/رەھمەت/);
    // right to left: the message starts right to left, and the number is isolated
    expect(filed.text).toContain(`${FSI}#1${PDI}`);
    expect(filed.text).toMatch(/^\u200F✅ رەھمەت/);
    expect(filed.text).toContain(`${FSI}2026-11-04 10:00${PDI}`);
    const report = await h.app.services.reports.byNumber(1);
    expect(report).toMatchObject({ number: 1, status: 'new', description: '' });
    expect(report?.category.code).toBe('drinking_water');
    expect(report?.place?.code).toBe('aqsu');
    expect(report?.attachments).toEqual([{ kind: 'voice', fileId: expect.any(String), durationSec: 14 }]);
    ayshem.sendText('/my');
    const mine = await ayshem.waitForMessage(/مەسىلىلىرىڭىز/);
    expect(mine.text).toContain(`${FSI}#1${PDI} · ${FSI}ئىچىملىك سۇ${PDI} · ${FSI}يېڭى${PDI} · مۆھلەت ${FSI}2026-11-04 10:00${PDI}`);
    expect(buttons(mine).map((b) => b.callback_data)).toEqual(['r:1:open']);
  });

  it('should let a Chinese-speaking villager report a road problem with two photos and a location', async () => {
    const li = h.standin.user({ id: 1002, firstName: '李', lastName: '华', languageCode: 'zh-hans' });
    li.sendText('/report');
    const categories = await li.waitForMessage(/哪一类/);
    li.pressButton(categories, '道路');
    await li.waitForMessage(/请描述问题/);
    li.sendPhoto({ caption: '桥下路面塌陷 <危险> & 无护栏' });
    const first = await li.waitForMessage(/已收到1张照片/);
    li.sendPhoto();
    const second = await li.waitForMessage(/已收到2张照片/);
    expect(first.message_id).toBeLessThan(second.message_id);
    li.pressButton(second, '▶️ 下一步');
    const where = await li.waitForMessage(/问题在哪里/);
    li.pressButton(where, '📍 发送我的位置');
    const how = await li.waitForMessage(/发送位置/);
    expect(how.reply_markup).toMatchObject({ keyboard: [[{ request_location: true }]] });
    li.sendLocation(39.4704, 75.9898);
    const placeAgain = await li.waitForMessage(/位置已保存/);
    li.pressButton(placeAgain, '⏭ 跳过');
    const summary = await li.waitForMessage(/请核对/);
    expect(summary.text).toContain('桥下路面塌陷 <危险> & 无护栏');
    expect(summary.text).toContain('📷 2张照片');
    li.pressButton(summary, '✅ 确认');
    const filed = await li.waitForMessage(/编号#1/);
    expect(filed.text).toContain('办理期限2026-11-09 10:00');
    const report = await h.app.services.reports.byNumber(1);
    expect(report?.location).toEqual({ latitude: 39.4704, longitude: 75.9898 });
    expect(report?.attachments.filter((a) => a.kind === 'photo')).toHaveLength(2);
    expect(report?.description).toBe('桥下路面塌陷 <危险> & 无护栏');
  });

  it('should keep an abandoned draft across a restart and let the villager finish it', async () => {
    const tursun = h.standin.user({ id: 1003, firstName: 'Tursun', languageCode: 'ug' });
    tursun.sendText('/report');
    tursun.pressButton(await tursun.waitForMessage(hasButtons), `${RLM}توك`);
    await tursun.waitForMessage(/چۈشەندۈرۈڭ/);
    tursun.sendText('كەچتە توك يوق، ئۈچ كۈن بولدى');
    await tursun.waitForMessage(/قەيەردە/);
    await h.restart();
    tursun.sendText('/report');
    await tursun.waitForMessage(/داۋاملاشتۇرايلى/);
    const where = await tursun.waitForMessage(/قەيەردە/);
    tursun.pressButton(where, 'يېڭى ئۆستەڭ كەنتى');
    tursun.pressButton(await tursun.waitForMessage(/تەكشۈرۈڭ/), `${RLM}✅ جەزملەش`);
    await tursun.waitForMessage(/رەھمەت/);
    const report = await h.app.services.reports.byNumber(1);
    expect(report?.description).toBe('كەچتە توك يوق، ئۈچ كۈن بولدى');
    expect(report?.place?.code).toBe('yengi');
  });

  it('should answer bad input in the user language and keep the draft intact', async () => {
    const li = h.standin.user({ id: 1004, firstName: '王', languageCode: 'zh' });
    li.sendText('/report');
    const categories = await li.waitForMessage(hasButtons);
    const oldRoadButton = findButton(categories, '道路').callback_data!;
    li.sendText('水');
    await li.waitForMessage(/请用上面的按钮选择类别/);
    li.pressButton(categories, '饮水');
    await li.waitForMessage(/请描述问题/);
    li.sendSticker();
    await li.waitForMessage(/无法使用该内容/);
    li.sendAnimation();
    await li.waitForMessage(/无法使用该内容/);
    li.sendContact();
    await li.waitForMessage(/无法使用该内容/);
    li.sendDocument({ fileName: 'well.jpg', mimeType: 'image/jpeg' });
    await li.waitForMessage(/以“照片”方式发送/);
    li.sendText('长'.repeat(2001));
    await li.waitForMessage(/内容太长/);
    li.sendText('/my');
    await li.waitForMessage(/还没有反映过问题/);
    await li.waitForMessage(/未完成的反映已保存/);
    // an old button: the category message was already answered
    li.press(categories, oldRoadButton, { forge: true });
    await expect.poll(() => h.standin.callbackAnswers.at(-1)?.text).toBe('这是旧消息中的按钮，已失效。');
    li.sendText('井水 *浑浊* _有_ `异味` </b>');
    const where = await li.waitForMessage(/问题在哪里/);
    li.pressButton(where, '⏭ 跳过');
    const summary = await li.waitForMessage(/请核对/);
    expect(summary.text).toContain('井水 *浑浊* _有_ `异味` </b>');
    // the same confirm delivered twice, and pressed twice: one report
    const confirmData = findButton(summary, '✅ 确认').callback_data!;
    const press = li.pressButton(summary, '✅ 确认');
    h.standin.redeliver(press);
    await li.waitForMessage(/编号#1/);
    li.press(summary, confirmData, { forge: true });
    await expect.poll(() => h.standin.callbackAnswers.length).toBeGreaterThan(3);
    expect(await h.app.services.db.report.count()).toBe(1);
  });

  it('should cancel a draft with /cancel and start afresh', async () => {
    const li = h.standin.user({ id: 1005, firstName: '赵', languageCode: 'zh' });
    li.sendText('/report');
    await li.waitForMessage(hasButtons);
    li.sendText('/cancel');
    await li.waitForMessage(/已取消/);
    li.sendText('/cancel');
    await li.waitForMessage(/没有可取消/);
    expect(await h.app.services.db.draft.count()).toBe(0);
  });

  it('should take an album of photos in one go and ask once', async () => {
    const li = h.standin.user({ id: 1006, firstName: '周', languageCode: 'zh' });
    li.sendText('/report');
    li.pressButton(await li.waitForMessage(hasButtons), '住房与灾害');
    await li.waitForMessage(/请描述问题/);
    li.sendPhoto({ mediaGroupId: 'album-1', caption: '房顶塌了' });
    li.sendPhoto({ mediaGroupId: 'album-1' });
    li.sendPhoto({ mediaGroupId: 'album-1' });
    const asked = await li.waitForMessage(/已收到3张照片/);
    li.pressButton(asked, '▶️ 下一步');
    await li.waitForMessage(/问题在哪里/);
    expect(li.messages().filter((m) => /已收到\d张照片/.test(m.text))).toHaveLength(1);
    const draft = await h.app.services.drafts.get<{ photos: unknown[]; description: string }>((await h.app.services.db.user.findUniqueOrThrow({ where: { telegramId: 1006n } })).id, 'report');
    expect(draft).toMatchObject({ description: '房顶塌了' });
    expect(draft?.photos).toHaveLength(3);
  });
});

