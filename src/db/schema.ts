import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * The whole OrgHub schema. Every tenant-owned table carries `org_id` and is reached only
 * through repositories that take `orgId` first. Timestamps keep millisecond precision so
 * that values round-trip through JavaScript `Date` exactly (keyset cursors depend on it).
 */
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });
const tsvector = customType<{ data: string }>({
  dataType: () => 'tsvector',
});

export const orgs = pgTable('orgs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: ts('created_at').notNull().defaultNow(),
});

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    username: text('username').notNull(),
    email: text('email').notNull(),
    fullName: text('full_name').notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ['admin', 'member'] })
      .notNull()
      .default('member'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_org_username_uq').on(t.orgId, sql`lower(${t.username})`),
    uniqueIndex('users_org_email_uq').on(t.orgId, sql`lower(${t.email})`),
  ],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: text('org_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** SHA-256 of the token; the token itself is never stored. */
    tokenHash: text('token_hash').notNull(),
    /** Every token rotated from one login shares a family; reuse revokes the user's families. */
    familyId: uuid('family_id').notNull(),
    expiresAt: ts('expires_at').notNull(),
    rotatedAt: ts('rotated_at'),
    revokedAt: ts('revoked_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('refresh_tokens_hash_uq').on(t.tokenHash),
    index('refresh_tokens_user_idx').on(t.userId),
    // Logout and refresh look a session up by family; every node loads recent revocations.
    index('refresh_tokens_family_idx').on(t.familyId),
    index('refresh_tokens_revoked_idx')
      .on(t.revokedAt)
      .where(sql`${t.revokedAt} IS NOT NULL`),
  ],
);

export const groups = pgTable(
  'groups',
  {
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    id: text('id').notNull(),
    name: text('name').notNull(),
    private: boolean('private').notNull().default(false),
    /** `group`, or `dm` for a two-person conversation (private, exactly two members). */
    kind: text('kind', { enum: ['group', 'dm'] })
      .notNull()
      .default('group'),
    createdBy: uuid('created_by'),
    /** The last `seq` handed out; taken under the row lock so seqs are gap-free. */
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

export const groupMembers = pgTable(
  'group_members',
  {
    orgId: text('org_id').notNull(),
    groupId: text('group_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.groupId, t.userId] }),
    foreignKey({
      columns: [t.orgId, t.groupId],
      foreignColumns: [groups.orgId, groups.id],
    }).onDelete('cascade'),
    index('group_members_user_idx').on(t.userId),
  ],
);

/** Each user's last-read `seq` per group (public groups included). */
export const readCursors = pgTable(
  'read_cursors',
  {
    orgId: text('org_id').notNull(),
    groupId: text('group_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    lastReadSeq: bigint('last_read_seq', { mode: 'number' }).notNull().default(0),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.groupId, t.userId] }),
    foreignKey({
      columns: [t.orgId, t.groupId],
      foreignColumns: [groups.orgId, groups.id],
    }).onDelete('cascade'),
  ],
);

/**
 * Messages. In the database this is a table PARTITIONED BY RANGE (created_at), one partition
 * per UTC day plus a DEFAULT one (drizzle/0003_messages_partitioned.sql; the server creates
 * days ahead and retention drops whole days: messages.partitions.ts). Drizzle's schema DSL
 * cannot say "partitioned", so this declaration describes the columns and the indexes of the
 * parent for queries and for drizzle-kit's snapshot only: `npm run db:generate` diffs against
 * drizzle/meta/0003_snapshot.json, which matches this declaration, so it proposes nothing for
 * this table; never use `drizzle-kit push` (it would compare against the live catalog).
 *
 * A unique index on a partitioned table must include the partition key, so none of these is
 * unique on (org, group, seq) or (org, group, user, client_msg_id) any more: seqs are unique
 * because they are handed out under the group row's lock, and a repeated client_msg_id is
 * found by `insertMessages` under that same lock (see messages.repo.ts).
 */
export const messages = pgTable(
  'messages',
  {
    id: uuid('id').notNull(),
    orgId: text('org_id').notNull(),
    groupId: text('group_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    /** Null when the operator wrote it. */
    userId: uuid('user_id'),
    username: text('username').notNull(),
    clientId: text('client_id'),
    clientMsgId: text('client_msg_id'),
    content: text('content').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    // The key, as a unique index rather than a PRIMARY KEY constraint: pg_restore --clean
    // (orghub restore) cannot drop a partition's inherited primary key constraint, while a
    // partitioned index is dropped once, on the parent.
    uniqueIndex('messages_id_created_at_uq').on(t.id, t.createdAt),
    foreignKey({
      columns: [t.orgId, t.groupId],
      foreignColumns: [groups.orgId, groups.id],
    }).onDelete('cascade'),
    index('messages_group_seq_idx').on(t.orgId, t.groupId, t.seq),
    index('messages_idempotency_idx')
      .on(t.orgId, t.groupId, t.userId, t.clientMsgId)
      .where(sql`${t.clientMsgId} is not null`),
    index('messages_group_created_idx').on(t.orgId, t.groupId, t.createdAt),
    index('messages_created_idx').on(t.createdAt),
    // Search over history (messages.search.ts): the newest matches of an org, walked in order
    // for a common word, and the full-text index over `search` for a rare one. `search` is a
    // stored tsvector (GENERATED from content, drizzle/0006) that is deliberately not a column
    // here: every select() of history would carry it. An expression index instead would
    // recompute to_tsvector for every candidate's rank and recheck (measured: p99 358 ms for
    // a common word at 1,000,000 messages).
    index('messages_org_created_idx').on(t.orgId, t.createdAt, t.id),
    index('messages_search_idx').using('gin', sql`search`),
  ],
);

/** Org-wide announcements sent with `POST /orgs/{orgId}/broadcast`. */
export const orgBroadcasts = pgTable(
  'org_broadcasts',
  {
    id: uuid('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    userId: uuid('user_id'),
    username: text('username').notNull(),
    content: text('content').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('org_broadcasts_org_created_idx').on(t.orgId, t.createdAt)],
);

export const tasks = pgTable(
  'tasks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    status: text('status', { enum: ['pending', 'in_progress', 'completed', 'cancelled'] })
      .notNull()
      .default('pending'),
    priority: text('priority', { enum: ['low', 'medium', 'high', 'urgent'] })
      .notNull()
      .default('medium'),
    /** low=1 … urgent=4, kept beside `priority` so that sorting by rank can use an index. */
    priorityRank: integer('priority_rank').notNull().default(2),
    dueDate: ts('due_date'),
    reminders: jsonb('reminders')
      .notNull()
      .default(sql`'[]'::jsonb`),
    version: integer('version').notNull().default(1),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    completedAt: ts('completed_at'),
    search: tsvector('search').generatedAlwaysAs(
      sql`setweight(to_tsvector('english', coalesce("title", '')), 'A') || setweight(to_tsvector('english', coalesce("description", '')), 'B')`,
    ),
  },
  (t) => [
    index('tasks_org_created_idx').on(t.orgId, t.createdAt, t.id),
    index('tasks_org_updated_idx').on(t.orgId, t.updatedAt, t.id),
    index('tasks_org_due_idx').on(t.orgId, t.dueDate, t.id),
    index('tasks_org_priority_idx').on(t.orgId, t.priorityRank, t.id),
    index('tasks_org_user_status_idx').on(t.orgId, t.userId, t.status),
    index('tasks_org_status_due_idx').on(t.orgId, t.status, t.dueDate),
    index('tasks_org_created_by_idx').on(t.orgId, t.createdBy),
    index('tasks_search_idx').using('gin', t.search),
    index('tasks_title_trgm_idx').using('gin', sql`${t.title} gin_trgm_ops`),
  ],
);

export const taskActivity = pgTable(
  'task_activity',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: text('org_id').notNull(),
    taskId: uuid('task_id').notNull(),
    actorId: uuid('actor_id'),
    actorName: text('actor_name').notNull(),
    action: text('action', { enum: ['created', 'updated', 'deleted'] }).notNull(),
    changes: jsonb('changes')
      .notNull()
      .default(sql`'{}'::jsonb`),
    version: integer('version').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('task_activity_task_idx').on(t.orgId, t.taskId, t.createdAt)],
);

/** One row per reminder of a task; claimed with FOR UPDATE SKIP LOCKED when due. */
export const taskReminders = pgTable(
  'task_reminders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: text('org_id').notNull(),
    taskId: uuid('task_id')
      .notNull()
      .references(() => tasks.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    spec: jsonb('spec').notNull(),
    fireAt: ts('fire_at').notNull(),
    firedAt: ts('fired_at'),
  },
  (t) => [
    index('task_reminders_due_idx')
      .on(t.fireAt)
      .where(sql`${t.firedAt} is null`),
    index('task_reminders_task_idx').on(t.taskId),
  ],
);

export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: text('org_id').notNull(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    readAt: ts('read_at'),
  },
  (t) => [index('notifications_user_idx').on(t.orgId, t.userId, t.createdAt)],
);

/**
 * API keys for backends (CONTRACT.md "Integrations"). Only the SHA-256 of a key is stored: a
 * key is 256 random bits, so a hash cannot be reversed or guessed, and a stolen table gives
 * no usable key. A revoked key keeps its row (`revoked_at`) so that every node can load the
 * recent revocations, as it does for sessions.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    scopes: text('scopes').array().notNull(),
    /** The groups the key is limited to; null: the org's public groups. */
    groupIds: text('group_ids').array(),
    keyHash: text('key_hash').notNull(),
    /** The key's first characters, shown in lists so that people can tell keys apart. */
    keyPrefix: text('key_prefix').notNull(),
    /** The admin who created it (null: the operator, or an admin since deleted). */
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    /** Written in batches every few seconds, not per request. */
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [
    uniqueIndex('api_keys_hash_uq').on(t.keyHash),
    index('api_keys_org_idx').on(t.orgId, t.createdAt),
    // Every node loads the recent revocations (at start, after a broker reconnection).
    index('api_keys_revoked_idx')
      .on(t.revokedAt)
      .where(sql`${t.revokedAt} IS NOT NULL`),
  ],
);

export type OrgRow = typeof orgs.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type GroupRow = typeof groups.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;
export type TaskRow = typeof tasks.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
