import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { answer, dropButtons, inline, say } from '../reply.ts';
import { reportRef } from '../../i18n/format.ts';
import { DRAFT_TTL_HOURS } from '../../domain/draft.ts';
import { setPersonalMenu } from '../commands.ts';
import { keepShowing } from './chatAction.ts';

/** In a group, nothing about a person is shown or done: they are pointed to the private chat. */
async function privateOnly(ctx: BotContext): Promise<boolean> {
  if (ctx.chat?.type === 'private') return true;
  await say(ctx, ctx.vd.t('privacy:private_only'));
  return false;
}

/** Settings /privacy quotes, so that what it says is what the bot does. */
export interface PrivacyFacts {
  reporterLinkDays: number;
  deliveredMessagesDays: number;
}

/**
 * The person's rights over what the ledger keeps: /privacy says what is kept, who sees it and
 * for how long; /mydata sends a copy as a file; /forget erases them (or, with a number, the
 * household a cadre filed that report for) after a confirmation that says exactly what happens.
 * Private chats only: nothing about a person is said in a group.
 */
export function privacyFeature(facts: PrivacyFacts): (bot: Telegraf<BotContext>) => void {
  return (bot) => {
    bot.command('privacy', async (ctx) => {
      if (!(await privateOnly(ctx))) return;
      const { t, user } = ctx.vd;
      const vars = { draft_hours: DRAFT_TTL_HOURS, message_days: facts.deliveredMessagesDays, link_days: facts.reporterLinkDays };
      const parts = [t('privacy:explain', vars)];
      if (user.role !== 'resident') parts.push(t('privacy:explain_staff'));
      await say(ctx, parts.join('\n\n'));
    });

    bot.command('mydata', async (ctx) => {
      if (!(await privateOnly(ctx))) return;
      const { t, services, user, locale } = ctx.vd;
      await keepShowing(ctx, 'upload_document', async () => {
        const file = await services.privacy.myData(user, locale);
        await ctx.replyWithDocument({ source: file.bytes, filename: file.filename }, { caption: t('privacy:mydata_caption', { reports: file.reports }), parse_mode: 'HTML' });
      });
    });

    bot.command('forget', async (ctx) => {
      if (!(await privateOnly(ctx))) return;
      const { t, services, user } = ctx.vd;
      const arg = ctx.payload.trim().replace(/^#/, '');
      if (arg !== '') {
        const number = Number(arg);
        if (!/^\d{1,9}$/.test(arg)) {
          await say(ctx, t('privacy:forget_usage'));
          return;
        }
        const household = await services.privacy.householdPreview(user, number);
        await say(
          ctx,
          t('privacy:household_confirm', { ref: reportRef(number), label: household.label }),
          inline([[{ text: t('privacy:button_erase_household'), callback_data: `pv:hh:${number}` }, { text: t('buttons:cancel'), callback_data: 'pv:no' }]]),
        );
        return;
      }
      const c = await services.privacy.preview(user);
      const lines = [
        t('privacy:forget_title'),
        t('privacy:forget_name'),
        c.reports > 0 ? t('privacy:forget_reports', { reports: c.reports }) : t('privacy:forget_no_reports'),
        ...(c.open > 0 ? [t('privacy:forget_open', { open: c.open })] : []),
        t('privacy:forget_texts', { texts: c.texts, media: c.media }),
        t('privacy:forget_drafts', { drafts: c.drafts, pending: c.pending }),
        ...(user.role !== 'resident' ? [t('privacy:forget_role', { role: t(`roles:${user.role}`) })] : []),
        t('privacy:forget_again'),
      ];
      await say(ctx, lines.join('\n'), inline([[{ text: t('privacy:button_erase_me'), callback_data: 'pv:me' }, { text: t('buttons:cancel'), callback_data: 'pv:no' }]]));
    });

    bot.action('pv:no', async (ctx) => {
      await answer(ctx);
      await dropButtons(ctx);
      await say(ctx, ctx.vd.t('privacy:forget_cancelled'));
    });

    bot.action('pv:me', async (ctx) => {
      const { t, services, user } = ctx.vd;
      // a refusal (a report taken on since the question) is answered by the error boundary, as an alert
      await services.privacy.forget(user);
      await answer(ctx);
      await dropButtons(ctx);
      if (user.role !== 'resident') await setPersonalMenu(ctx.telegram, services.texts, user.telegramId, 'resident', ctx.vd.locale).catch(() => undefined);
      await say(ctx, t('privacy:forget_done'));
    });

    bot.action(/^pv:hh:(\d{1,9})$/, async (ctx) => {
      const { t, services, user } = ctx.vd;
      const number = Number(ctx.match[1]);
      await services.privacy.forgetHousehold(user, number);
      await answer(ctx);
      await dropButtons(ctx);
      await say(ctx, t('privacy:household_done', { ref: reportRef(number) }));
    });
  };
}
