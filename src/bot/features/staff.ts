import type { Telegraf } from 'telegraf';
import type { BotContext } from '../context.ts';
import { answer, dropButtons, grid, inline, say } from '../reply.ts';
import type { StaffRole } from '../../services/invites.ts';
import { categoryName, formatDateTime, listSeparator, placeName } from '../../i18n/format.ts';
import { truncate } from '../../i18n/text.ts';
import { setPersonalMenu } from '../commands.ts';

const STAFF_ROLES: readonly StaffRole[] = ['cadre', 'leader', 'admin'];

/** Refuses (politely, in private) anyone who is not an admin. */
async function requireAdmin(ctx: BotContext): Promise<boolean> {
  if (ctx.vd.user.role === 'admin') return true;
  if (ctx.callbackQuery) await answer(ctx, ctx.vd.t('errors:not_permitted'), true);
  else if (ctx.chat?.type === 'private') await say(ctx, ctx.vd.t('errors:not_permitted'));
  return false;
}

/** Administration: invitations, staff and roles, categories and SLAs, villages and owners. */
export function registerStaff(bot: Telegraf<BotContext>): void {
  bot.command('invite', async (ctx) => {
    if (ctx.chat.type !== 'private' || !(await requireAdmin(ctx))) return;
    const { t } = ctx.vd;
    const role = ctx.payload.trim().toLowerCase() as StaffRole;
    if (!STAFF_ROLES.includes(role)) {
      await say(ctx, t('staff:invite_usage'), inline([STAFF_ROLES.map((r) => ({ text: t(`roles:${r}`), callback_data: `inv:${r}` }))]));
      return;
    }
    await sendInvite(ctx, role);
  });
  bot.action(/^inv:(cadre|leader|admin)$/, async (ctx) => {
    if (!(await requireAdmin(ctx))) return;
    await answer(ctx);
    await dropButtons(ctx);
    await sendInvite(ctx, ctx.match[1] as StaffRole);
  });

  bot.command('users', async (ctx) => {
    if (ctx.chat.type !== 'private' || !(await requireAdmin(ctx))) return;
    const { t, services } = ctx.vd;
    const staff = await services.users.staff();
    if (staff.length === 0) {
      await say(ctx, t('staff:no_staff'));
      return;
    }
    const lines = [];
    for (const s of staff) {
      const villages = await services.admin.villagesOf(s.id);
      lines.push(
        t('staff:user_line', {
          name: s.displayName,
          role: t(`roles:${s.role}`),
          villages: villages.map((v) => placeName(v, ctx.vd.locale)).join(listSeparator(ctx.vd.locale)) || '—',
          unreachable: s.unreachableAt ? t('staff:unreachable') : '',
        }),
      );
    }
    const buttons = staff.filter((s) => s.role === 'cadre').map((s) => ({ text: `📍 ${truncate(s.displayName, 24)}`, callback_data: `stv:${s.id}` }));
    await say(ctx, `${t('staff:users_title')}\n${lines.join('\n')}\n\n${t('staff:users_hint')}`, buttons.length ? inline(grid(buttons, 2)) : undefined);
  });

  // tie a cadre to villages: toggle buttons
  bot.action(/^stv:(\d+)(?::(\d+))?$/, async (ctx) => {
    if (!(await requireAdmin(ctx))) return;
    const { services, t, locale } = ctx.vd;
    const userId = Number(ctx.match[1]);
    const target = await services.users.byId(userId);
    if (!target || target.role === 'resident') return answer(ctx, t('errors:user_not_found'), true);
    if (ctx.match[2] !== undefined) await services.admin.toggleCadreVillage(userId, Number(ctx.match[2]));
    await answer(ctx);
    const tied = new Set((await services.admin.villagesOf(userId)).map((p) => p.id));
    const villages = await services.catalog.villages();
    if (villages.length === 0) {
      await say(ctx, t('staff:no_villages'));
      return;
    }
    const rows = grid(villages.map((v) => ({ text: `${tied.has(v.id) ? '✅ ' : ''}${placeName(v, locale)}`, callback_data: `stv:${userId}:${v.id}` })), 2);
    const text = t('staff:villages_of', { name: target.displayName });
    if (ctx.match[2] !== undefined) await ctx.editMessageText(text, { parse_mode: 'HTML', reply_markup: inline(rows) }).catch(() => undefined);
    else await say(ctx, text, inline(rows));
  });

  bot.command('revoke', async (ctx) => {
    if (ctx.chat.type !== 'private' || !(await requireAdmin(ctx))) return;
    const { t, services, user } = ctx.vd;
    const staff = (await services.users.staff()).filter((s) => s.id !== user.id);
    if (staff.length === 0) {
      await say(ctx, t('staff:no_staff'));
      return;
    }
    const buttons = staff.map((s) => ({ text: t('staff:revoke_button', { name: truncate(s.displayName, 24), role: t(`roles:${s.role}`) }), callback_data: `rv:${s.id}` }));
    await say(ctx, t('staff:revoke_choose'), inline(grid(buttons, 1)));
  });
  bot.action(/^rv:(\d+)$/, async (ctx) => {
    if (!(await requireAdmin(ctx))) return;
    const { t, services, user } = ctx.vd;
    const userId = Number(ctx.match[1]);
    const target = await services.users.byId(userId);
    if (!target || target.role === 'resident' || target.id === user.id) {
      await answer(ctx, t('errors:stale_button'));
      return;
    }
    const { stillOwns } = await services.admin.revoke(userId);
    await setPersonalMenu(ctx.telegram, services.texts, target.telegramId, 'resident', target.locale ?? services.defaultLocale).catch(() => undefined);
    await answer(ctx);
    await dropButtons(ctx);
    await say(ctx, t('staff:revoked', { name: target.displayName, count: stillOwns }));
  });

  bot.command('categories', async (ctx) => {
    if (ctx.chat.type !== 'private' || !(await requireAdmin(ctx))) return;
    const { t, services, locale } = ctx.vd;
    const categories = await services.catalog.categories({ includeInactive: true });
    const lines = [];
    for (const c of categories) {
      const owner = c.defaultOwnerId !== null ? await services.users.byId(c.defaultOwnerId) : null;
      lines.push(
        t('staff:category_line', {
          code: c.code,
          name: categoryName(c, locale, t),
          hours: c.slaHours,
          owner: owner?.displayName ?? '—',
          active: c.active ? '' : t('staff:inactive'),
        }),
      );
    }
    const buttons = categories.map((c) => ({ text: categoryName(c, locale, t), callback_data: `cat:${c.id}` }));
    await say(ctx, `${t('staff:categories_title')}\n${lines.join('\n')}\n\n${t('staff:categories_hint')}`, inline(grid(buttons, 2)));
  });

  // category default owner: choose a staff member (or nobody)
  bot.action(/^cat:(\d+)(?::(\d+))?$/, async (ctx) => {
    if (!(await requireAdmin(ctx))) return;
    const { t, services, locale } = ctx.vd;
    const category = await services.catalog.category(Number(ctx.match[1]));
    if (!category) return answer(ctx, t('errors:category_not_found'), true);
    await answer(ctx);
    if (ctx.match[2] !== undefined) {
      const ownerId = Number(ctx.match[2]);
      await services.admin.setDefaultOwner(category.id, ownerId === 0 ? null : ownerId);
      await dropButtons(ctx);
      const owner = ownerId === 0 ? null : await services.users.byId(ownerId);
      await say(ctx, t('staff:default_owner_set', { category: categoryName(category, locale, t), owner: owner?.displayName ?? '—' }));
      return;
    }
    const staff = await services.users.withRoles(['cadre', 'leader', 'admin']);
    const buttons = staff.map((s) => ({ text: truncate(s.displayName, 24), callback_data: `cat:${category.id}:${s.id}` }));
    buttons.push({ text: t('buttons:nobody'), callback_data: `cat:${category.id}:0` });
    await say(ctx, t('staff:choose_default_owner', { category: categoryName(category, locale, t) }), inline(grid(buttons, 2)));
  });

  bot.command('sla', async (ctx) => {
    if (ctx.chat.type !== 'private' || !(await requireAdmin(ctx))) return;
    const { t, services, locale } = ctx.vd;
    const [code, hours] = ctx.payload.trim().split(/\s+/);
    const category = code ? await services.catalog.categoryByCode(code) : null;
    const h = Number(hours);
    if (!category || !Number.isInteger(h) || h < 1 || h > 24 * 90) {
      await say(ctx, t('staff:sla_usage'));
      return;
    }
    await services.admin.setSla(category.id, h);
    await say(ctx, t('staff:sla_set', { category: categoryName(category, locale, t), count: h }));
  });

  bot.command('villages', async (ctx) => {
    if (ctx.chat.type !== 'private' || !(await requireAdmin(ctx))) return;
    const { t, services } = ctx.vd;
    const villages = await services.catalog.villages();
    const lines = villages.map((v) => t('staff:village_line', { code: v.code, ug: v.names.ug ?? '', zh: v.names.zh ?? '' }));
    await say(ctx, `${t('staff:villages_title')}\n${lines.join('\n') || '—'}\n\n${t('staff:addvillage_usage')}`);
  });

  bot.command('addvillage', async (ctx) => {
    if (ctx.chat.type !== 'private' || !(await requireAdmin(ctx))) return;
    const { t, services } = ctx.vd;
    const match = /^([a-z0-9_-]{1,32})\s+(.+?)\s*\|\s*(.+)$/i.exec(ctx.payload.trim());
    if (!match) {
      await say(ctx, t('staff:addvillage_usage'));
      return;
    }
    const place = await services.admin.addPlace({ code: match[1]!.toLowerCase(), nameUg: match[2]!.trim(), nameZh: match[3]!.trim() });
    await say(ctx, t('staff:village_added', { ug: place.names.ug ?? '', zh: place.names.zh ?? '' }));
  });

  // owner per village and category: /owner -> village -> category -> person
  bot.command('owner', async (ctx) => {
    if (ctx.chat.type !== 'private' || !(await requireAdmin(ctx))) return;
    const { t, services, locale } = ctx.vd;
    const villages = await services.catalog.villages();
    if (villages.length === 0) {
      await say(ctx, t('staff:no_villages'));
      return;
    }
    await say(ctx, t('staff:owner_choose_village'), inline(grid(villages.map((v) => ({ text: placeName(v, locale), callback_data: `own:${v.id}` })), 2)));
  });
  bot.action(/^own:(\d+)(?::(\d+))?(?::(\d+))?$/, async (ctx) => {
    if (!(await requireAdmin(ctx))) return;
    const { t, services, locale } = ctx.vd;
    const place = await services.catalog.place(Number(ctx.match[1]));
    if (!place) return answer(ctx, t('errors:place_not_found'), true);
    await answer(ctx);
    await dropButtons(ctx);
    if (ctx.match[2] === undefined) {
      const categories = await services.catalog.categories();
      await say(ctx, t('staff:owner_choose_category', { place: placeName(place, locale) }), inline(grid(categories.map((c) => ({ text: categoryName(c, locale, t), callback_data: `own:${place.id}:${c.id}` })), 2)));
      return;
    }
    const category = await services.catalog.category(Number(ctx.match[2]));
    if (!category) return;
    if (ctx.match[3] === undefined) {
      const staff = await services.users.withRoles(['cadre', 'leader', 'admin']);
      const buttons = staff.map((s) => ({ text: truncate(s.displayName, 24), callback_data: `own:${place.id}:${category.id}:${s.id}` }));
      buttons.push({ text: t('buttons:nobody'), callback_data: `own:${place.id}:${category.id}:0` });
      await say(ctx, t('staff:owner_choose_person', { place: placeName(place, locale), category: categoryName(category, locale, t) }), inline(grid(buttons, 2)));
      return;
    }
    const ownerId = Number(ctx.match[3]);
    await services.admin.setVillageOwner(place.id, category.id, ownerId === 0 ? null : ownerId);
    const owner = ownerId === 0 ? null : await services.users.byId(ownerId);
    await say(ctx, t('staff:owner_set', { place: placeName(place, locale), category: categoryName(category, locale, t), owner: owner?.displayName ?? '—' }));
  });
}

async function sendInvite(ctx: BotContext, role: StaffRole): Promise<void> {
  const { t, services, user } = ctx.vd;
  const { code, expiresAt } = await services.invites.create(user, role);
  const link = `https://t.me/${ctx.botInfo.username}?start=${code}`;
  await say(ctx, t('staff:invite_created', { role: t(`roles:${role}`), link, expires: formatDateTime(expiresAt, services.timeZone) }));
}
