/**
 * The demo in a real browser: Debian's Chromium, headless, driven by playwright-core, on the
 * page `npm run demo` serves, with the compiled bot running as a child process. A Uyghur
 * villager reports a problem by pressing and typing, the cadre acknowledges and resolves it,
 * the villager is satisfied; then the jobs run eight days on and each person's chat is read.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startDemo, type Demo } from '../../src/demo/main.ts';
import { pagePerson } from '../../src/demo/people.ts';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.resolve(import.meta.dirname, '../..');
// in CI the browser is installed by .ci/run, so a missing one is a failure there
const runnable = fs.existsSync(CHROMIUM) || process.env.CI !== undefined;
export const SCREENSHOTS = path.join(ROOT, 'tmp', 'screenshots');

let demo: Demo;
let context: BrowserContext;
let page: Page;
let dataDir: string;
let userDataDir: string;
const botLog: string[] = [];

/** The chat's messages from the bot / from the person. */
const incoming = () => page.locator('#messages .msg.in');
const outgoing = () => page.locator('#messages .msg.out');
/** The newest bot message whose text contains `text`. */
const botMessage = (text: string | RegExp): Locator => incoming().filter({ hasText: text }).last();
/** A report's number as the bot writes it in Uyghur: wrapped in directional isolates. */
const isolated = (ref: string) => `\u2068${ref}\u2069`;

/** How a bubble is laid out in the page (measured by BUBBLE_LAYOUT in the browser). */
interface BubbleLayout {
  text: string;
  dir: string | null;
  direction: string;
  align: string;
  /** right edge of the first two characters of the text */
  firstWordRight: number;
  /** right edge of the text block */
  right: number;
}

/** Runs in the page (the test's own types have no DOM): where each bubble's text starts. */
const BUBBLE_LAYOUT = `[...document.querySelectorAll('#messages .msg .bubble')].map((b) => {
  const text = b.querySelector('.text');
  const node = text ? document.createTreeWalker(text, NodeFilter.SHOW_TEXT).nextNode() : null;
  let firstWordRight = 0;
  if (node && node.textContent) {
    const range = document.createRange();
    range.setStart(node, 0);
    range.setEnd(node, Math.min(2, node.textContent.length));
    firstWordRight = range.getBoundingClientRect().right;
  }
  const style = getComputedStyle(b);
  return { text: b.textContent || '', dir: b.getAttribute('dir'), direction: style.direction, align: style.textAlign, firstWordRight, right: (text || b).getBoundingClientRect().right };
})`;

async function open(person: string): Promise<void> {
  await page.locator(`#people .person[data-person="${person}"]`).click();
  await expect.poll(() => page.locator('#messages').getAttribute('data-person')).toBe(person);
}

async function type(text: string): Promise<void> {
  await page.locator('#text').fill(text);
  await page.locator('#text').press('Enter');
  await outgoing().filter({ hasText: text }).last().waitFor();
}

async function press(message: Locator, button: string): Promise<void> {
  await message.locator('.kb button', { hasText: button }).first().click();
}

describe.skipIf(!runnable)('npm run demo in a browser', () => {
  beforeAll(async () => {
    // the demo runs the compiled bot, as npm start does
    const build = spawnSync(process.execPath, ['scripts/build-if-stale.mjs'], { cwd: ROOT, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vd-demo-'));
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vd-chromium-'));
    demo = await startDemo({ port: 0, dataDir, log: (line) => botLog.push(line) });
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1200, height: 860 },
      acceptDownloads: true,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await demo?.stop();
    for (const dir of [dataDir, userDataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('should carry a Uyghur report from the villager to the cadre and back, and show what the jobs send a week later', async () => {
    onTestFailed(async () => {
      await page.screenshot({ path: path.join(SCREENSHOTS, 'failed.png') });
      for (const p of ['villager_ug', 'cadre', 'group'] as const) console.error(demo.emulator.describeChat(pagePerson(p).id));
      console.error(botLog.join('\n'));
    });
    await page.goto(`${demo.url}/?lang=ug&person=villager_ug`);
    await expect.poll(() => page.locator('html').getAttribute('dir')).toBe('rtl');

    // the villager reports by pressing and typing
    await type('/start');
    await press(botMessage('ياخشىمۇسىز'), 'مەسىلە ئىنكاس قىلىش');
    await press(botMessage(/تۈر|تاللاڭ/), 'ئىچىملىك سۇ');
    await botMessage('چۈشەندۈرۈڭ').waitFor();
    await type('بوستان كەنتىدىكى قۇدۇقنىڭ سۈيى ئۈچ كۈندىن بېرى توختاپ قالدى');
    await press(botMessage('قەيەردە'), 'بوستان كەنتى');
    await press(botMessage('تەكشۈرۈڭ'), 'جەزملەش');
    const filed = botMessage('رەھمەت');
    await filed.waitFor();
    const ref = /#\d+/.exec((await filed.textContent()) ?? '')?.[0];
    expect(ref).toMatch(/^#\d+$/);

    // every Uyghur bubble is laid out right to left: its direction, and its first word at the right edge
    const layout = (await page.evaluate(BUBBLE_LAYOUT)) as BubbleLayout[];
    const uyghur = layout.filter((b) => /^[\u200f\u2066-\u2069]*[\u0600-\u06FF]/.test(b.text.trim()));
    expect(uyghur.length).toBeGreaterThanOrEqual(5);
    for (const b of uyghur) {
      expect(b.dir).toBe('rtl');
      expect(b.direction).toBe('rtl');
      expect(b.align).toBe('right');
      expect(b.right - b.firstWordRight).toBeLessThan(4); // the first letters sit at the right edge
    }
    // a command typed in Latin letters stays left to right in its own bubble
    expect(layout.find((b) => b.text.startsWith('/start'))?.dir).toBe('ltr');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'demo-ug.png') });

    // the cadre has an unread card, acknowledges and resolves it
    await expect(page.locator('#people .person[data-person="cadre"] .badge')).toBeVisibleSoon();
    await open('cadre');
    const card = botMessage(`سىزگە يېڭى مەسىلە ${isolated(ref!)}`);
    await card.waitFor();
    expect(await card.textContent()).toContain('بوستان كەنتىدىكى قۇدۇقنىڭ سۈيى');
    await press(card, 'قوبۇل قىلىش');
    await botMessage(`${isolated(ref!)} قوبۇل قىلىندى`).waitFor();
    // the card has done its job; the report is worked on from the cadre's list
    await type('/tasks');
    await press(botMessage('سىز مەسئۇل ھەل قىلىنمىغان مەسىلىلەر'), ref!);
    await press(incoming().filter({ has: page.locator('.kb button', { hasText: 'ھەل قىلىش' }) }).last(), 'ھەل قىلىش');
    await botMessage('نېمە ئىش قىلىندى').waitFor();
    await type('قۇدۇقنىڭ ناسوسى ئالماشتۇرۇلدى، سۇ كېلىۋاتىدۇ');
    await press(botMessage('سۈرەتسىز تاماملاڭ'), 'سۈرەتسىز تاماملاش');
    await botMessage(`${isolated(ref!)} ھەل قىلىندى`).waitFor();

    // back to the villager: told it is resolved, answers that they are satisfied
    await expect(page.locator('#people .person[data-person="villager_ug"] .badge')).toBeVisibleSoon();
    await open('villager_ug');
    const resolved = botMessage('ھەل قىلىندى');
    await resolved.waitFor();
    expect(await resolved.textContent()).toContain('قۇدۇقنىڭ ناسوسى ئالماشتۇرۇلدى');
    await press(resolved, 'رازى');
    await expect(page.locator('#toast')).toBeVisibleSoon();
    const thanks = botMessage(`${isolated(ref!)} تاقالدى`);
    await thanks.waitFor();
    const villagerId = pagePerson('villager_ug').id;
    const villagerCountBefore = demo.emulator.messages(villagerId).length;

    // the scheduled jobs, eight days on
    await page.locator('#jobs-days').selectOption('8');
    await page.locator('#jobs-run').click();
    await expect.poll(() => page.locator('#jobs-run').isDisabled(), { timeout: 60_000 }).toBe(false);
    await expect.poll(() => page.locator('#toast').textContent(), { timeout: 30_000 }).toContain('ئىجرا قىلىندى');

    // the villager's closed report asks nothing more (the jobs have delivered when they answer)
    expect(demo.emulator.messages(villagerId)).toHaveLength(villagerCountBefore);

    // the cadre is reminded of what is overdue (the seeded ledger has some)
    await open('cadre');
    await botMessage('مۆھلىتى ئۆتكەن').waitFor();

    // the leaders' group gets the weekly digest in Chinese, with its chart, laid out left to right
    await page.locator('#ui-lang').selectOption('zh');
    await open('group');
    const digest = botMessage(/汇总|周报/);
    await digest.waitFor({ timeout: 20_000 });
    expect(await digest.locator('.bubble').getAttribute('dir')).toBe('ltr');
    const chart = page.locator('#messages .msg.in img.photo').last();
    await chart.waitFor();
    await expect.poll(() => page.evaluate("[...document.querySelectorAll('#messages .msg.in img.photo')].pop()?.naturalWidth ?? 0"), { timeout: 10_000 }).toBeGreaterThan(300);

    // the leader exports the ledger: a spreadsheet downloads
    await open('leader');
    await type('/export');
    await press(botMessage('导出台账'), '全部');
    await press(botMessage('哪些状态'), '全部');
    await press(botMessage('文件格式'), 'Excel');
    const doc = page.locator('#messages .msg.in a[data-download]').last();
    await doc.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), doc.click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    const saved = path.join(dataDir, download.suggestedFilename());
    await download.saveAs(saved);
    expect(fs.readFileSync(saved).subarray(0, 2).toString('latin1')).toBe('PK');

    // the Chinese villager's page, for the README
    await open('villager_zh');
    await type('/start');
    await press(botMessage('您好'), '反映问题');
    await botMessage(/类别|选择/).waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'demo-zh.png') });

    // a sample photo and a sample voice message describe it; the location goes by the reply keyboard
    await press(botMessage('问题属于哪一类'), '饮水');
    await botMessage('请描述问题').waitFor();
    await page.locator('#attach-photo').click();
    await page.locator('#attach-menu button', { hasText: '示例照片' }).click();
    await botMessage('已收到1张照片').waitFor();
    await expect.poll(() => page.evaluate("[...document.querySelectorAll('#messages .msg.out img.photo')].pop()?.naturalWidth ?? 0"), { timeout: 10_000 }).toBe(640);
    await page.locator('#attach-voice').click();
    await page.locator('#attach-menu button', { hasText: '示例语音' }).click();
    await outgoing().filter({ has: page.locator('.voice') }).last().waitFor();
    await press(botMessage('问题在哪里'), '发送我的位置');
    await page.locator('#reply-kb button', { hasText: '发送位置' }).click();
    await botMessage('已收到位置').waitFor();
    await outgoing().filter({ has: page.locator('.location') }).last().waitFor();
    await expect.poll(() => page.locator('#reply-kb button').count()).toBe(0); // a one-time keyboard goes away
  }, 180_000);
});

declare module 'vitest' {
  interface Assertion<T> {
    toBeVisibleSoon(): Promise<T>;
  }
}

expect.extend({
  async toBeVisibleSoon(locator: Locator) {
    try {
      await locator.waitFor({ state: 'visible', timeout: 15_000 });
      return { pass: true, message: () => 'visible' };
    } catch {
      return { pass: false, message: () => `expected ${String(locator)} to become visible within 15 s` };
    }
  },
});
