/**
 * The README's "What it looks like" transcript, produced by running the real bot against the
 * Bot API stand-in (as tests/e2e do) rather than written by hand:
 *
 *   npx tsx scripts/transcript.ts           # prints it
 *   npx tsx scripts/transcript.ts --write   # replaces the block between the transcript markers in README.md
 *
 * Markup and the invisible direction marks are dropped; a message's further lines are joined
 * with " / " on one indented line; at most five buttons are listed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BotMessage, ScriptedUser } from '../src/emulator/server.ts';
import { buttons, replyKeyboardButtons } from '../src/emulator/server.ts';
import { plainText } from '../src/i18n/text.ts';
import { ADMIN_ID, startHarness } from '../tests/support/app.ts';

const README = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
const START = '<!-- transcript:start (npx tsx scripts/transcript.ts --write) -->';
const END = '<!-- transcript:end -->';
const SHOWN_BUTTONS = 5;

const out: string[] = [];
const printed = new Map<number, number>();

/** Prints what the bot sent to this user since the last time. */
function botSaid(user: ScriptedUser): void {
  const all = user.messages();
  for (const m of all.slice(printed.get(user.chatId) ?? 0)) out.push(...format(m));
  printed.set(user.chatId, all.length);
}

/** Prints what the bot sent to this user since the last time, one line per line (a digest). */
function botSaidInFull(user: ScriptedUser): void {
  const all = user.messages();
  for (const m of all.slice(printed.get(user.chatId) ?? 0)) out.push(...format(m, true));
  printed.set(user.chatId, all.length);
}

function format(m: BotMessage, full = false): string[] {
  const [first = '', ...rest] = plainText(m.text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const kind = m.kind === 'voice' ? '🎤 (voice message)' : m.kind === 'photo' ? '🖼 (chart) ' : '';
  const lines = [`bot: ${m.kind === 'voice' ? kind : `${kind}${first}`}`];
  if (rest.length > 0) lines.push(...(full ? rest.map((l) => `     ${l}`) : [`     ${rest.join(' / ')}`]));
  const labels = [...buttons(m).map((b) => b.text), ...replyKeyboardButtons(m)].map(plainText);
  if (labels.length > 0) lines.push(`    ${labels.slice(0, SHOWN_BUTTONS).map((l) => `[${l}]`).join(' ')}${labels.length > SHOWN_BUTTONS ? ' …' : ''}`);
  return lines;
}

async function main(): Promise<void> {
  const h = await startHarness();
  try {
    await h.app.services.admin.addPlace({ code: 'aqsu', nameUg: 'ئاقسۇ كەنتى', nameZh: '阿克苏村' });
    const admin = h.standin.user({ id: ADMIN_ID, firstName: 'Admin', languageCode: 'zh' });
    const cadre = h.standin.user({ id: 3001, firstName: '王', lastName: '磊', languageCode: 'zh' });
    const ayshem = h.standin.user({ id: 3002, firstName: 'Ayshem', languageCode: 'ug' });
    const leader = h.standin.user({ id: 3003, firstName: 'Memet', languageCode: 'ug' });

    // set-up, not shown: the cadre is invited and owns drinking water
    admin.sendText('/invite cadre');
    const link = await admin.waitForMessage(/start=inv_/);
    cadre.sendText(`/start ${/start=(inv_[\w-]+)/.exec(link.text)?.[1] ?? ''}`);
    await cadre.waitForMessage(/欢迎/);
    await cadre.waitForMessage(/\/tasks/); // the staff help that follows the welcome
    const water = await h.app.services.catalog.categoryByCode('drinking_water');
    const cadreRow = await h.app.services.db.user.findUniqueOrThrow({ where: { telegramId: 3001n } });
    await h.app.services.admin.setDefaultOwner(water!.id, cadreRow.id);
    printed.set(cadre.chatId, cadre.messages().length);
    admin.sendText('/invite leader');
    const leaderLink = await admin.waitForMessage((m) => /start=inv_/.test(m.text) && m.message_id !== link.message_id);
    leader.sendText(`/start ${/start=(inv_[\w-]+)/.exec(leaderLink.text)?.[1] ?? ''}`);
    await leader.waitForMessage(/\/digest/);
    printed.set(leader.chatId, leader.messages().length);

    const says = (text: string) => out.push(`> Ayshem: ${text}`);
    const presses = (label: string) => out.push(`> Ayshem: [${plainText(label)}]`);

    says('/start');
    ayshem.sendText('/start');
    const welcome = await ayshem.waitForMessage((m) => buttons(m).length > 0);
    botSaid(ayshem);
    const report = buttons(welcome).find((b) => /ئىنكاس/.test(b.text))!;
    presses(report.text);
    ayshem.pressButton(welcome, report.text);
    const categories = await ayshem.waitForMessage(/تۈرگە/);
    botSaid(ayshem);
    const waterButton = buttons(categories)[0]!;
    presses(waterButton.text);
    ayshem.pressButton(categories, waterButton.text);
    await ayshem.waitForMessage(/چۈشەندۈرۈڭ/);
    botSaid(ayshem);
    says('🎤 (voice message, 12 s)');
    ayshem.sendVoice({ duration: 12 });
    const where = await ayshem.waitForMessage(/قەيەردە/);
    botSaid(ayshem);
    presses('ئاقسۇ كەنتى');
    ayshem.pressButton(where, 'ئاقسۇ كەنتى');
    const summary = await ayshem.waitForMessage(/تەكشۈرۈڭ/);
    botSaid(ayshem);
    const confirm = buttons(summary)[0]!;
    presses(confirm.text);
    ayshem.pressButton(summary, confirm.text);
    await ayshem.waitForMessage(/رەھمەت/);
    botSaid(ayshem);

    out.push('', '--- the cadre, in Chinese ---');
    const card = await cadre.waitForMessage(/新问题/);
    await cadre.waitForMessage((m) => m.kind === 'voice'); // the villager's recording follows the card
    botSaid(cadre);
    out.push('> 王磊: [👌 受理]');
    cadre.pressButton(card, '👌 受理');
    await cadre.waitForMessage(/已受理/);
    botSaid(cadre);

    out.push('', '--- back to the villager ---');
    await ayshem.waitForMessage(/قوبۇل قىلىندى/);
    botSaid(ayshem);

    out.push('', '--- the cadre resolves it ---');
    cadre.sendText('/status 1');
    out.push('> 王磊: /status 1');
    const opened = await cadre.waitForMessage(/处理记录/);
    botSaid(cadre);
    out.push('> 王磊: [✅ 办结]');
    cadre.pressButton(opened, '✅ 办结');
    await cadre.waitForMessage(/是怎么处理的/);
    botSaid(cadre);
    out.push('> 王磊: 已清洗水井并消毒');
    cadre.sendText('已清洗水井并消毒');
    const photo = await cadre.waitForMessage(/照片/);
    botSaid(cadre);
    out.push('> 王磊: [✅ 不加照片，完成]');
    cadre.pressButton(photo, '✅ 不加照片，完成');
    await cadre.waitForMessage(/已办结/);
    botSaid(cadre);

    out.push('', '--- the villager answers ---');
    const resolved = await ayshem.waitForMessage(/رازىمۇسىز/);
    botSaid(ayshem);
    const yes = buttons(resolved)[0]!;
    presses(yes.text);
    ayshem.pressButton(resolved, yes.text);
    await ayshem.waitForMessage(/تاقالدى/);
    botSaid(ayshem);
    await cadre.waitForMessage(/已结案/);
    out.push('', '--- the cadre ---');
    botSaid(cadre);

    out.push('', '--- a leader, in Uyghur ---');
    out.push('> Memet: /digest');
    leader.sendText('/digest');
    const choose = await leader.waitForMessage(/قايسى مەزگىل/);
    botSaid(leader);
    const week = buttons(choose)[1]!;
    out.push(`> Memet: [${plainText(week.text)}]`);
    leader.pressButton(choose, week.text);
    await leader.waitForMessage(/مۆھلىتى ئەڭ ئۇزۇن/);
    botSaidInFull(leader);
  } finally {
    await h.stop();
  }

  const block = ['```', ...out, '```'].join('\n');
  if (!process.argv.includes('--write')) {
    console.log(block);
    return;
  }
  const readme = fs.readFileSync(README, 'utf8');
  const from = readme.indexOf(START);
  const to = readme.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md has no ${START} … ${END} block`);
  fs.writeFileSync(README, `${readme.slice(0, from + START.length)}\n${block}\n${readme.slice(to)}`);
  console.log('README.md transcript updated');
}

await main();
