import { isLocale } from '../i18n/index.ts';
import { isRole, isStatus, type Status } from '../domain/lifecycle.ts';
import type { Attachment, Category, Place, Report, ReportEvent, Satisfaction, User } from '../domain/types.ts';
import type * as Rows from '../generated/prisma/models.ts';
import type { UserRow } from './hot.ts';

/**
 * Rows to domain types: the only place that knows how columns are spelled. A user row comes from
 * Prisma (bigint id, Date) or from the hot path (numbers); both read the same.
 */
export function toUser(row: Rows.UserModel | UserRow): User {
  return {
    id: row.id,
    telegramId: Number(row.telegramId),
    displayName: row.displayName,
    locale: isLocale(row.locale) ? row.locale : null,
    role: isRole(row.role) ? row.role : 'resident',
    unreachableAt: row.unreachableAt === null ? null : new Date(row.unreachableAt),
  };
}

export function toCategory(row: Rows.CategoryModel): Category {
  return {
    id: row.id,
    code: row.code,
    slaHours: row.slaHours,
    names: { ug: row.nameUg, zh: row.nameZh, en: row.nameEn },
    defaultOwnerId: row.defaultOwnerId,
    active: row.active,
  };
}

export function toPlace(row: Rows.PlaceModel): Place {
  return { id: row.id, code: row.code, names: { ug: row.nameUg, zh: row.nameZh, en: row.nameEn }, parentId: row.parentId, active: row.active };
}

function status(value: string | null): Status | null {
  return value !== null && isStatus(value) ? value : null;
}

const SATISFACTIONS: readonly string[] = ['satisfied', 'not_satisfied', 'no_answer'];

export type ReportRow = Rows.ReportModel & { category: Rows.CategoryModel; place: Rows.PlaceModel | null; attachments: Rows.AttachmentModel[] };

/** The include that `toReport` needs. */
export const REPORT_INCLUDE = { category: true, place: true, attachments: { orderBy: { id: 'asc' } } } as const;

export function toReport(row: ReportRow): Report {
  return {
    id: row.id,
    number: row.number,
    category: toCategory(row.category),
    place: row.place ? toPlace(row.place) : null,
    description: row.description,
    location: row.latitude !== null && row.longitude !== null ? { latitude: row.latitude, longitude: row.longitude } : null,
    reporterId: row.reporterId,
    anonymous: row.anonymous,
    householdLabel: row.householdLabel,
    householdPhone: row.householdPhone,
    status: status(row.status) ?? 'new',
    ownerId: row.ownerId,
    dueAt: row.dueAt,
    affectedHouseholds: row.affectedHouseholds,
    duplicateOfId: row.duplicateOfId,
    satisfaction: row.satisfaction !== null && SATISFACTIONS.includes(row.satisfaction) ? (row.satisfaction as Satisfaction) : null,
    resolutionNote: row.resolutionNote,
    createdAt: row.createdAt,
    acknowledgedAt: row.acknowledgedAt,
    resolvedAt: row.resolvedAt,
    closedAt: row.closedAt,
    attachments: row.attachments.map(
      (a): Attachment => ({ kind: a.kind as Attachment['kind'], fileId: a.fileId, durationSec: a.durationSec }),
    ),
  };
}

export function toEvent(row: Rows.ReportEventModel): ReportEvent {
  return { at: row.at, kind: row.kind, actorId: row.actorId, fromStatus: status(row.fromStatus), toStatus: status(row.toStatus), note: row.note };
}
