import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_ID, startHarness, type Harness } from '../support/app.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.stop();
});

const left = (chatId: number) => h.standin.callsTo('leaveChat').filter((c) => c.ok && Number(c.params['chat_id']) === chatId).length;

describe('groups other than the leaders group', () => {
  it('should say once, in the language of whoever added it, that it works only privately and in the leaders group, and leave', async () => {
    const villager = h.standin.user({ id: 5101, firstName: '王', languageCode: 'zh-hans' });
    const group = h.standin.group({ id: -200100, title: 'Village chat' });
    h.standin.botAddedToGroup(group, villager);
    const notice = await group.waitForMessage(/只在私聊和领导群/);
    expect(notice.parse_mode).toBe('HTML');
    // the bot leaves right after saying so
    await vi.waitFor(() => expect(left(-200100)).toBe(1), { timeout: 5000 });
    expect(group.messages()).toHaveLength(1);
  });

  it('should stay when an admin adds it, wait for /bindgroup, and leave when someone else uses it first', async () => {
    const admin = h.standin.user({ id: ADMIN_ID, firstName: 'Admin', languageCode: 'zh' });
    const villager = h.standin.user({ id: 5102, firstName: 'Tursun', languageCode: 'ug' });
    const pending = h.standin.group({ id: -200200, title: 'New leaders' });
    const other = h.standin.group({ id: -200300, title: 'Neighbours' });
    h.standin.botAddedToGroup(pending, admin);
    h.standin.botAddedToGroup(other, admin);
    await pending.waitForMessage(/\/bindgroup/);
    await other.waitForMessage(/\/bindgroup/);

    // a command meant for another bot is none of ours
    other.sendText(villager, '/help@weather_bot');
    // someone who is not an admin uses it: it says so in their language, and leaves
    other.sendText(villager, '/help');
    await other.waitForMessage(/پەقەت شەخسىي سۆھبەتتە/);
    await vi.waitFor(() => expect(left(-200300)).toBe(1), { timeout: 5000 });
    expect(other.messages()).toHaveLength(2);

    // the admin binds the other group: it stays, and answers there as before
    pending.sendText(admin, '/bindgroup');
    await pending.waitForMessage(/本群已设为领导群/);
    pending.sendText(villager, '/digest');
    await pending.waitForMessage(/没有权限/); // in the group's language, the binding admin's
    expect(left(-200200)).toBe(0);
    expect((await h.app.services.settings.leadersGroup())?.chatId).toBe(-200200);
  });
});
