import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buttons, findButton, type BotMessage } from '../../src/emulator/server.ts';
import { ADMIN_ID, startHarness, type Harness } from '../support/app.ts';
import type { ScriptedUser } from '../../src/emulator/server.ts';

/** Every line of a Uyghur text starts with a right-to-left mark (src/i18n), button labels too. */
const RLM = '\u200F';
const hasButtons = (m: BotMessage) => buttons(m).length > 0;
const inviteCode = (m: BotMessage) => /start=(inv_[\w-]+)/.exec(m.text)?.[1] ?? '';

let h: Harness;
let admin: ScriptedUser;

beforeEach(async () => {
  h = await startHarness();
  await h.app.services.admin.addPlace({ code: 'aqsu', nameUg: 'ئاقسۇ كەنتى', nameZh: '阿克苏村' });
  admin = h.standin.user({ id: ADMIN_ID, firstName: 'Admin', languageCode: 'zh' });
});
afterEach(async () => {
  await h.stop();
});

/** The admin invites someone to a role; they open the link and get it. */
async function invite(person: ScriptedUser, role: 'cadre' | 'leader', welcome: RegExp): Promise<void> {
  admin.sendText(`/invite ${role}`);
  const link = await admin.waitForMessage(/一次性邀请链接/);
  person.sendText(`/start ${inviteCode(link)}`);
  await person.waitForMessage(welcome);
}

/** A villager files a report in Uyghur through the whole conversation. */
/**
 * Two messages that may arrive in either order: the bot's reply and a notice from the outbox
 * (on PostgreSQL the dispatcher often delivers before the handler's own reply).
 */
async function bothInAnyOrder(person: ScriptedUser, a: RegExp, b: RegExp): Promise<[BotMessage, BotMessage]> {
  const first = await person.waitForMessage((m) => a.test(m.text) || b.test(m.text));
  const firstIsA = a.test(first.text);
  const second = await person.waitForMessage(firstIsA ? b : a);
  return firstIsA ? [first, second] : [second, first];
}

async function reportWater(villager: ScriptedUser, text: string): Promise<BotMessage> {
  villager.sendText('/report');
  villager.pressButton(await villager.waitForMessage(hasButtons), `${RLM}ئىچىملىك سۇ`);
  await villager.waitForMessage(/چۈشەندۈرۈڭ/);
  villager.sendText(text);
  villager.pressButton(await villager.waitForMessage(/قەيەردە/), 'ئاقسۇ كەنتى');
  villager.pressButton(await villager.waitForMessage(/تەكشۈرۈڭ/), `${RLM}✅ جەزملەش`);
  return villager.waitForMessage(/رەھمەت/);
}

describe('the life of a report', () => {
  it('should go from a Uyghur villager to a Chinese cadre and back, through question, reopening and satisfaction', async () => {
    const cadre = h.standin.user({ id: 2001, firstName: '王', lastName: '磊', languageCode: 'zh' });
    const leader = h.standin.user({ id: 2002, firstName: 'Leader', languageCode: 'zh' });
    const villager = h.standin.user({ id: 2003, firstName: 'Ayshem', username: 'ayshem_private', languageCode: 'ug' });

    await invite(cadre, 'cadre', /欢迎！您现在是村务问题台账的干部/);
    await invite(leader, 'leader', /欢迎！您现在是村务问题台账的领导/);
    // a used or unknown code changes nothing
    admin.sendText('/invite cadre');
    const code = inviteCode(await admin.waitForMessage(/一次性邀请链接/));
    const grabber = h.standin.user({ id: 2008, firstName: 'Grabber', languageCode: 'zh' });
    grabber.sendText(`/start ${code}`);
    await grabber.waitForMessage(/欢迎/);
    villager.sendText(`/start ${code}`);
    await villager.waitForMessage(/ئىشلىتىلىپ بولغان/);
    villager.sendText('/start inv_doesnotexist');
    await villager.waitForMessage(/ئىناۋەتسىز/);
    const other = h.standin.user({ id: 2009, firstName: 'Other', languageCode: 'ug' });
    expect((await h.app.services.db.user.findUnique({ where: { telegramId: 2003n } }))?.role).toBe('resident');

    // the admin makes the cadre the default owner of drinking water
    admin.sendText('/categories');
    const categories = await admin.waitForMessage(/问题类别/);
    admin.pressButton(categories, '饮水');
    admin.pressButton(await admin.waitForMessage(/默认负责人/), '王 磊');
    await admin.waitForMessage(/饮水的默认负责人：王 磊/);

    const filed = await reportWater(villager, 'قۇدۇق سۈيى لاي، ئىچكىلى بولمايدۇ');
    expect(filed.text).toContain('#1');

    // automatic assignment: the cadre gets the card, in Chinese, without the reporter's username
    const card = await cadre.waitForMessage(/新问题.*#1.*分派给您/s, { timeoutMs: 8000 });
    expect(card.text).toContain('饮水');
    expect(card.text).toContain('阿克苏村');
    expect(card.text).toContain('反映人：Ayshem');
    expect(card.text).not.toContain('ayshem_private');
    expect(buttons(card).map((b) => b.text)).toEqual(expect.arrayContaining(['👌 受理', '🔧 开始处理', '🔁 转交']));

    // a forged callback from the villager changes nothing
    villager.press(card, findButton(card, '👌 受理').callback_data!, { forge: true });
    await expect.poll(() => h.standin.callbackAnswers.some((a) => a.text === `${RLM}بۇنى قىلىشقا ھوقۇقىڭىز يوق.`)).toBe(true);
    expect((await h.app.services.reports.byNumber(1))?.status).toBe('assigned');

    cadre.pressButton(card, '👌 受理');
    await cadre.waitForMessage(/已受理#1/);
    await villager.waitForMessage(/قوبۇل قىلىندى/);

    // question and relayed answer
    cadre.sendText('/status 1');
    const opened = await cadre.waitForMessage(/处理记录/);
    cadre.pressButton(opened, '❓ 询问反映人');
    await cadre.waitForMessage(/请输入要向#1反映人询问/);
    cadre.sendText('是哪一口井？东边还是西边？');
    await cadre.waitForMessage(/询问已发送/);
    const question = await villager.waitForMessage(/سورايدۇ/);
    expect(question.text).toContain('是哪一口井？东边还是西边？');
    villager.sendText('شەرق تەرەپتىكى قۇدۇق');
    await villager.waitForMessage(/جاۋابىڭىز يەتكۈزۈلدى/);
    const relayed = await cadre.waitForMessage(/反映人回答/);
    expect(relayed.text).toContain('شەرق تەرەپتىكى قۇدۇق');

    // resolve with a photo
    cadre.sendText('/tasks');
    const tasks = await cadre.waitForMessage(/未办结问题/);
    cadre.pressButton(tasks, '#1');
    const again = await cadre.waitForMessage(/处理记录/);
    cadre.pressButton(again, '✅ 办结');
    await cadre.waitForMessage(/是怎么处理的/);
    cadre.sendText('已清洗水井并消毒');
    const photoAsk = await cadre.waitForMessage(/照片/);
    expect(buttons(photoAsk)).toHaveLength(1);
    cadre.sendPhoto();
    await cadre.waitForMessage(/已办结/);
    const resolved = await villager.waitForMessage(/ھەل قىلىندى/);
    expect(resolved.text).toContain('已清洗水井并消毒');
    await villager.waitForMessage((m) => m.kind === 'photo');

    // not satisfied, said by voice: reopened, and the owner hears the recording
    villager.pressButton(resolved, `${RLM}😞 ياق`);
    await villager.waitForMessage(/قىسقىچە يېزىڭ/);
    villager.sendVoice({ duration: 6 });
    await villager.waitForMessage(/قايتا ئېچىلدى/);
    await cadre.waitForMessage(/不满意.*🎤/s);
    await cadre.waitForMessage((m) => m.kind === 'voice');
    expect((await h.app.services.reports.byNumber(1))?.status).toBe('reopened');

    // resolved again, and this time satisfied
    cadre.sendText('/status 1');
    cadre.pressButton(await cadre.waitForMessage(/处理记录/), '✅ 办结');
    await cadre.waitForMessage(/是怎么处理的/);
    cadre.sendText('更换了过滤器');
    cadre.pressButton(await cadre.waitForMessage(/照片/), '✅ 不加照片，完成');
    const resolvedAgain = await villager.waitForMessage(/ھەل قىلىندى.*更换了过滤器/s);
    villager.pressButton(resolvedAgain, `${RLM}😊 ھەئە، رازى`);
    await villager.waitForMessage(/رەھمەت!/);
    await cadre.waitForMessage(/表示满意/);

    const report = await h.app.services.reports.byNumber(1);
    expect(report).toMatchObject({ status: 'closed', satisfaction: 'satisfied', resolutionNote: '更换了过滤器' });
    const history = await h.app.services.db.reportEvent.findMany({ where: { reportId: report!.id }, orderBy: { id: 'asc' } });
    expect(history.map((e) => e.toStatus)).toEqual(['new', 'assigned', 'acknowledged', 'needs_info', 'in_progress', 'resolved', 'reopened', 'resolved', 'closed']);

    // the villager sees the history; the leader sees it too; a stranger does not
    villager.sendText('/status 1');
    const mine = await villager.waitForMessage(/تارىخى/);
    expect(mine.text).toContain('ئىنكاس قىلىندى');
    expect(buttons(mine)).toEqual([]);
    leader.sendText('/status 1');
    await leader.waitForMessage(/处理记录/);
    other.sendText('/status 1');
    await other.waitForMessage(/پەقەت ئۆز مەسىلىلىرىڭىزنىلا/);
  });

  it('should send an unowned report to the leaders, who assign it with buttons', async () => {
    const cadre = h.standin.user({ id: 2101, firstName: 'Memet', languageCode: 'ug' });
    const leader = h.standin.user({ id: 2102, firstName: '张', languageCode: 'zh' });
    await invite(cadre, 'cadre', /خۇش كەلدىڭىز/);
    await invite(leader, 'leader', /欢迎/);
    const villager = h.standin.user({ id: 2103, firstName: 'Tursun', languageCode: 'ug' });
    const filed = await reportWater(villager, 'سۇ يوق');
    expect(filed.text).toContain('رەھبەرلەر');
    const queued = await leader.waitForMessage(/暂无负责人/, { timeoutMs: 8000 });
    leader.pressButton(queued, '👤 分派');
    const choose = await leader.waitForMessage(/交给谁负责/);
    leader.pressButton(choose, /Memet/);
    await leader.waitForMessage(/现由Memet负责/);
    const assigned = await cadre.waitForMessage(/سىزگە يېڭى مەسىلە/);
    expect(assigned.text).toContain('#1');
    // forged: the villager tries to hand the report to himself through the leader's button
    villager.press(choose, `r:1:to:${(await h.app.services.db.user.findUnique({ where: { telegramId: 2103n } }))!.id}`, { forge: true });
    await expect.poll(() => h.standin.callbackAnswers.at(-1)?.text).toBe(`${RLM}بۇنى قىلىشقا ھوقۇقىڭىز يوق.`);
    expect((await h.app.services.reports.byNumber(1))?.ownerId).toBe((await h.app.services.db.user.findUnique({ where: { telegramId: 2101n } }))!.id);
  });

  it('should let a cadre file for a household and record its satisfaction after the visit', async () => {
    const cadre = h.standin.user({ id: 2201, firstName: '王', languageCode: 'zh' });
    await invite(cadre, 'cadre', /欢迎/);
    const cadreId = (await h.app.services.db.user.findUnique({ where: { telegramId: 2201n } }))!.id;
    const category = await h.app.services.catalog.categoryByCode('housing_disaster');
    await h.app.services.admin.setDefaultOwner(category!.id, cadreId);
    cadre.sendText('/report');
    cadre.pressButton(await cadre.waitForMessage(/为谁反映/), /代农户反映/);
    await cadre.waitForMessage(/农户标识/);
    cadre.sendText('14号 阿依古丽家');
    await cadre.waitForMessage(/联系电话/);
    cadre.sendText('abc');
    await cadre.waitForMessage(/格式不对/);
    cadre.sendText('138 0000 1111');
    cadre.pressButton(await cadre.waitForMessage(/哪一类/), '住房与灾害');
    await cadre.waitForMessage(/请描述问题/);
    cadre.sendVoice({ duration: 20 });
    cadre.pressButton(await cadre.waitForMessage(/问题在哪里/), '阿克苏村');
    const summary = await cadre.waitForMessage(/请核对/);
    expect(summary.text).toContain('农户：14号 阿依古丽家 13800001111');
    cadre.pressButton(summary, '✅ 确认');
    const [, card] = await bothInAnyOrder(cadre, /编号#1/, /新问题/);
    expect(card.text).toContain('农户：14号 阿依古丽家');
    cadre.pressButton(card, '🔧 开始处理');
    await cadre.waitForMessage(/#1已开始处理，已通知反映人/);
    cadre.sendText('/status 1');
    cadre.pressButton(await cadre.waitForMessage(/处理记录/), '✅ 办结');
    await cadre.waitForMessage(/是怎么处理的/);
    cadre.sendText('已修好屋顶');
    cadre.pressButton(await cadre.waitForMessage(/照片/), '✅ 不加照片，完成');
    const ask = await cadre.waitForMessage(/回访后/);
    cadre.pressButton(ask, '😊 满意');
    await cadre.waitForMessage(/谢谢！#1已结案/);
    expect(await h.app.services.reports.byNumber(1)).toMatchObject({ status: 'closed', satisfaction: 'satisfied', householdLabel: '14号 阿依古丽家' });
  });

  it('should offer a second villager to join an open report of the same problem, and tell them of its resolution', async () => {
    const cadre = h.standin.user({ id: 2301, firstName: '王', languageCode: 'zh' });
    await invite(cadre, 'cadre', /欢迎/);
    const cadreId = (await h.app.services.db.user.findUnique({ where: { telegramId: 2301n } }))!.id;
    await h.app.services.admin.setDefaultOwner((await h.app.services.catalog.categoryByCode('drinking_water'))!.id, cadreId);
    const first = h.standin.user({ id: 2302, firstName: 'Ayshem', languageCode: 'ug' });
    const second = h.standin.user({ id: 2303, firstName: '李', languageCode: 'zh' });
    await reportWater(first, 'تۇرۇبا يېرىلىپ كەتتى');
    const card = await cadre.waitForMessage(/新问题/);

    second.sendText('/report');
    second.pressButton(await second.waitForMessage(hasButtons), '饮水');
    await second.waitForMessage(/请描述问题/);
    second.sendText('水管破了');
    second.pressButton(await second.waitForMessage(/问题在哪里/), '阿克苏村');
    second.pressButton(await second.waitForMessage(/请核对/), '✅ 确认');
    const similar = await second.waitForMessage(/同类未办结/);
    expect(similar.text).toContain('#1');
    second.pressButton(similar, '🤝 我也有这个问题');
    await second.waitForMessage(/已加入问题#1，现涉及2户/);
    expect(await h.app.services.db.report.count()).toBe(1);

    cadre.pressButton(card, '🔧 开始处理');
    await second.waitForMessage(/#1已开始处理/);
    cadre.sendText('/status 1');
    cadre.pressButton(await cadre.waitForMessage(/处理记录/), '✅ 办结');
    await cadre.waitForMessage(/是怎么处理的/);
    cadre.sendVoice({ duration: 8 });
    cadre.pressButton(await cadre.waitForMessage(/照片/), '✅ 不加照片，完成');
    await cadre.waitForMessage(/#1已办结/);
    const told = await second.waitForMessage(/#1已办结：/);
    expect(buttons(told)).toEqual([]); // only the reporter is asked for satisfaction
    await second.waitForMessage((m) => m.kind === 'voice');
    const asked = await first.waitForMessage(/رازىمۇسىز/);
    expect(buttons(asked)).toHaveLength(2);
  });

  it('should close reports as rejected, not our responsibility, or duplicate, with a reason the reporter sees, and hand over', async () => {
    const cadre = h.standin.user({ id: 2401, firstName: '王', languageCode: 'zh' });
    const other = h.standin.user({ id: 2402, firstName: 'Memet', languageCode: 'ug' });
    await invite(cadre, 'cadre', /欢迎/);
    await invite(other, 'cadre', /خۇش كەلدىڭىز/);
    const cadreId = (await h.app.services.db.user.findUnique({ where: { telegramId: 2401n } }))!.id;
    await h.app.services.admin.setDefaultOwner((await h.app.services.catalog.categoryByCode('drinking_water'))!.id, cadreId);
    const villager = h.standin.user({ id: 2403, firstName: 'Ayshem', languageCode: 'ug' });
    for (const text of ['بىرىنچى', 'ئىككىنچى', 'ئۈچىنچى', 'تۆتىنچى']) {
      await reportWater(villager, text);
      await cadre.waitForMessage(/新问题/);
    }

    const close = async (number: number, choice: string, answer: string) => {
      cadre.sendText(`/status ${number}`);
      cadre.pressButton(await cadre.waitForMessage(/处理记录/), '🚫 不予受理／重复');
      cadre.pressButton(await cadre.waitForMessage(/以什么理由结案/), choice);
      await cadre.waitForMessage(/请输入|哪个问题重复/);
      cadre.sendText(answer);
      await cadre.waitForMessage(new RegExp(`#${number}已结案`));
    };
    await close(1, '🚫 不予受理', '这是私人水井，不属于公共服务');
    expect((await villager.waitForMessage(/قوبۇل قىلىنمىدى/)).text).toContain('这是私人水井，不属于公共服务');
    await close(2, '↪️ 非本单位职责', '请联系县水务局');
    expect((await villager.waitForMessage(/مەسئۇلىيىتىمىز ئەمەس/)).text).toContain('请联系县水务局');
    await close(3, '🔁 与其他问题重复', '#4');
    expect((await villager.waitForMessage(/تەكرار|ئوخشاش مەسىلە/)).text).toContain('#4');
    expect(await h.app.services.reports.byNumber(1)).toMatchObject({ status: 'rejected' });
    expect(await h.app.services.reports.byNumber(2)).toMatchObject({ status: 'not_responsible' });
    expect((await h.app.services.reports.byNumber(3))?.status).toBe('duplicate');

    // hand over #4 to Memet, who gets it in Uyghur; then Memet hands it back to the leaders' queue
    cadre.sendText('/status 4');
    cadre.pressButton(await cadre.waitForMessage(/处理记录/), '🔁 转交');
    cadre.pressButton(await cadre.waitForMessage(/交给谁负责/), /Memet/);
    await cadre.waitForMessage(/现由Memet负责/);
    const handed = await other.waitForMessage(/سىزگە ئۆتكۈزۈپ بېرىلدى/);
    other.pressButton(handed, `${RLM}🔁 ئۆتكۈزۈپ بېرىش`);
    other.pressButton(await other.waitForMessage(/كىم مەسئۇل بولسۇن/), /رەھبەرلەرگە قايتۇرۇش/);
    await other.waitForMessage(/رەھبەرلەرگە قايتۇرۇلدى/);
    expect(await h.app.services.reports.byNumber(4)).toMatchObject({ status: 'new', ownerId: null });
    // the old owner's buttons no longer work
    cadre.press(handed as never, 'r:4:ack', { forge: true });
    await expect.poll(() => h.standin.callbackAnswers.at(-1)?.text).toBe('您没有权限进行此操作。');
  });
});

