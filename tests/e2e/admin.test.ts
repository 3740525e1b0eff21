import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buttons, type BotMessage, type ScriptedUser } from '../../src/emulator/server.ts';
import { ADMIN_ID, startHarness, type Harness } from '../support/app.ts';
import { SeedFile } from '../../src/services/admin.ts';

/** Every line of a Uyghur text starts with a right-to-left mark (src/i18n), button labels too. */
const RLM = '\u200F';

const hasButtons = (m: BotMessage) => buttons(m).length > 0;
let h: Harness;
let admin: ScriptedUser;

beforeEach(async () => {
  h = await startHarness();
  admin = h.standin.user({ id: ADMIN_ID, firstName: 'Admin', languageCode: 'zh' });
});
afterEach(async () => {
  await h.stop();
});

describe('administration', () => {
  it('should manage villages, SLAs and village owners, and route new reports by them', async () => {
    const cadre = h.standin.user({ id: 7001, firstName: 'Memet', languageCode: 'ug' });
    admin.sendText('/invite cadre');
    const link = await admin.waitForMessage(/一次性邀请链接/);
    cadre.sendText(`/start ${/start=(inv_[\w-]+)/.exec(link.text)![1]}`);
    await cadre.waitForMessage(/خۇش كەلدىڭىز/);

    admin.sendText('/addvillage');
    await admin.waitForMessage(/添加村：/);
    admin.sendText('/addvillage qumbagh قۇمباغ كەنتى | 库木巴格村');
    await admin.waitForMessage(/已保存村：\u2068قۇمباغ كەنتى\u2069 \/ 库木巴格村/);
    admin.sendText('/sla drinking_water 12');
    await admin.waitForMessage(/饮水办理时限改为12小时/);
    admin.sendText('/sla nothing 12');
    await admin.waitForMessage(/格式：\/sla/);

    admin.sendText('/owner');
    admin.pressButton(await admin.waitForMessage(/哪个村/), '库木巴格村');
    admin.pressButton(await admin.waitForMessage(/哪一类问题/), '饮水');
    admin.pressButton(await admin.waitForMessage(/由谁负责/), 'Memet');
    await admin.waitForMessage(/库木巴格村的饮水：Memet/);

    // tie the cadre to the village
    admin.sendText('/users');
    const users = await admin.waitForMessage(/工作人员/);
    expect(users.text).toContain('Memet · 干部 · —');
    admin.pressButton(users, /Memet/);
    const villages = await admin.waitForMessage(/负责的村/);
    admin.pressButton(villages, '库木巴格村');
    await expect.poll(async () => (await h.app.services.admin.villagesOf((await h.app.services.db.user.findUniqueOrThrow({ where: { telegramId: 7001n } })).id)).length).toBe(1);

    // a villager's report in that village goes to Memet, due in 12 hours
    const villager = h.standin.user({ id: 7002, firstName: '李', languageCode: 'zh' });
    villager.sendText('/report');
    villager.pressButton(await villager.waitForMessage(hasButtons), '饮水');
    await villager.waitForMessage(/请描述问题/);
    villager.sendText('没水了');
    villager.pressButton(await villager.waitForMessage(/问题在哪里/), '库木巴格村');
    villager.pressButton(await villager.waitForMessage(/请核对/), '✅ 确认');
    const filed = await villager.waitForMessage(/编号#1/);
    expect(filed.text).toContain('办理期限2026-11-02 22:00');
    await cadre.waitForMessage(/سىزگە يېڭى مەسىلە/);
    expect((await h.app.services.reports.byNumber(1))?.ownerId).toBe((await h.app.services.db.user.findUniqueOrThrow({ where: { telegramId: 7001n } })).id);

    // revoking the role: the cadre is a resident again and told how many reports they still own
    admin.sendText('/revoke');
    admin.pressButton(await admin.waitForMessage(/收回谁的角色/), /Memet/);
    await admin.waitForMessage(/Memet已恢复为群众。其名下仍有1个未办结问题/);
    cadre.sendText('/tasks');
    await cadre.waitForMessage(/ھوقۇقىڭىز يوق/);
  });

  it('should refuse administration to anyone else', async () => {
    const villager = h.standin.user({ id: 7003, firstName: 'Tursun', languageCode: 'ug' });
    for (const command of ['/invite cadre', '/users', '/revoke', '/categories', '/sla roads 5', '/owner', '/addvillage x a | b', '/queue']) {
      villager.sendText(command);
      await villager.waitForMessage(/ھوقۇقىڭىز يوق/);
    }
    // a forged admin button does nothing either
    villager.press(villager.messages().at(-1)!, 'inv:admin', { forge: true });
    await expect.poll(() => h.standin.callbackAnswers.at(-1)?.text).toBe(`${RLM}بۇنى قىلىشقا ھوقۇقىڭىز يوق.`);
    expect(await h.app.services.db.invite.count()).toBe(0);
  });

  it('should load the example seed file, twice without duplicates', async () => {
    const seed = SeedFile.parse(JSON.parse(fs.readFileSync('prisma/seed.example.json', 'utf8')));
    const first = await h.app.services.admin.loadSeed(seed);
    await h.app.services.admin.loadSeed(seed);
    expect(first).toEqual({ places: 3, categories: 3, people: 3, owners: 2 });
    expect(await h.app.services.db.place.count()).toBe(3);
    expect(await h.app.services.db.ownerRule.count()).toBe(2);
    const heating = await h.app.services.catalog.categoryByCode('heating');
    expect(heating).toMatchObject({ slaHours: 24, names: { ug: 'ئىسسىتىش', zh: '供暖' } });
  });
});
