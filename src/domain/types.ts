import type { Locale } from '../i18n/index.ts';
import type { Role, Status } from './lifecycle.ts';

/** Someone who talks to the bot. Only what the service needs. */
export interface User {
  id: number;
  telegramId: number;
  displayName: string;
  locale: Locale | null;
  role: Role;
  unreachableAt: Date | null;
}

/** Names given explicitly by an administrator; otherwise the locale files name it by code. */
export interface Names {
  ug?: string | null;
  zh?: string | null;
  en?: string | null;
}

export interface Category {
  id: number;
  code: string;
  slaHours: number;
  names: Names;
  defaultOwnerId: number | null;
  active: boolean;
}

/** A village, or a group within one. */
export interface Place {
  id: number;
  code: string;
  names: Names;
  parentId: number | null;
  active: boolean;
}

export type Satisfaction = 'satisfied' | 'not_satisfied' | 'no_answer';

export interface Attachment {
  kind: 'photo' | 'voice' | 'resolution_photo' | 'resolution_voice';
  fileId: string;
  durationSec: number | null;
}

/** One entry of the ledger, as the services see it. */
export interface Report {
  id: number;
  number: number;
  category: Category;
  place: Place | null;
  description: string;
  location: { latitude: number; longitude: number } | null;
  reporterId: number;
  anonymous: boolean;
  householdLabel: string | null;
  householdPhone: string | null;
  status: Status;
  ownerId: number | null;
  dueAt: Date;
  affectedHouseholds: number;
  duplicateOfId: number | null;
  satisfaction: Satisfaction | null;
  resolutionNote: string | null;
  createdAt: Date;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  closedAt: Date | null;
  attachments: Attachment[];
}

export interface ReportEvent {
  at: Date;
  kind: string;
  actorId: number | null;
  fromStatus: Status | null;
  toStatus: Status | null;
  note: string | null;
}
