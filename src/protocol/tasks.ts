import { Type, type Static } from 'typebox';
import { Nullable, Slug, Timestamp, Uuid } from './common.js';

/** Schemas of the task and notification routes; also the types the SDK and web app build on. */

export const TASK_STATUSES = ['pending', 'in_progress', 'completed', 'cancelled'] as const;
export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export const TASK_SORTS = [
  'due_date',
  '-due_date',
  'priority',
  '-priority',
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export type TaskSort = (typeof TASK_SORTS)[number];

export const Status = Type.Union([
  Type.Literal('pending'),
  Type.Literal('in_progress'),
  Type.Literal('completed'),
  Type.Literal('cancelled'),
]);
export const Priority = Type.Union([
  Type.Literal('low'),
  Type.Literal('medium'),
  Type.Literal('high'),
  Type.Literal('urgent'),
]);
export const Sort = Type.Union([
  Type.Literal('due_date'),
  Type.Literal('-due_date'),
  Type.Literal('priority'),
  Type.Literal('-priority'),
  Type.Literal('created_at'),
  Type.Literal('-created_at'),
  Type.Literal('updated_at'),
  Type.Literal('-updated_at'),
]);

/** At most a year ahead of the due date; reminders are minutes, not eras. */
const MAX_BEFORE_DUE_MINUTES = 525_600;
export const MAX_REMINDERS = 20;

export const Reminder = Type.Union([
  Type.Object({ at: Timestamp('when to remind') }, { additionalProperties: false }),
  Type.Object(
    {
      before_due_minutes: Type.Integer({
        minimum: 0,
        maximum: MAX_BEFORE_DUE_MINUTES,
        description: 'minutes before `due_date`; recomputed when the due date changes',
      }),
    },
    { additionalProperties: false },
  ),
]);
export type Reminder = { at: string } | { before_due_minutes: number };

export const Task = Type.Object(
  {
    id: Uuid('task id'),
    org_id: Slug('org id'),
    user_id: Uuid('the user the task belongs to (its assignee)'),
    created_by: Nullable(Uuid('who created it; null when the operator did')),
    title: Type.String(),
    description: Type.String(),
    status: Status,
    priority: Priority,
    due_date: Nullable(Timestamp()),
    reminders: Type.Array(Reminder),
    version: Type.Integer({ description: 'starts at 1, grows by 1 on every change' }),
    created_at: Timestamp(),
    updated_at: Timestamp(),
    completed_at: Nullable(Timestamp()),
  },
  { $id: 'Task' },
);
export type Task = Static<typeof Task>;

/** Sent to the task's user (and its previous user on reassignment) after each change. */
export const TaskEvent = Type.Object(
  {
    type: Type.Union([
      Type.Literal('task.created'),
      Type.Literal('task.updated'),
      Type.Literal('task.deleted'),
    ]),
    id: Uuid('event id, for dropping duplicates'),
    task: Type.Ref('Task'),
  },
  { $id: 'TaskEvent' },
);

/** A reminder fired; also stored as a notification with the same `id`. */
export const TaskReminderEvent = Type.Object(
  {
    type: Type.Literal('task.reminder'),
    id: Uuid('the notification id'),
    task: Type.Ref('Task'),
    reminder: Reminder,
  },
  { $id: 'TaskReminderEvent' },
);

const Title = Type.String({ minLength: 1, maxLength: 500 });
const Description = Type.String({ maxLength: 20_000 });
const Reminders = Type.Array(Reminder, { maxItems: MAX_REMINDERS });

export const CreateTaskBody = Type.Object(
  {
    title: Title,
    description: Type.Optional(Description),
    priority: Type.Optional(Priority),
    status: Type.Optional(Status),
    due_date: Type.Optional(Nullable(Timestamp())),
    reminders: Type.Optional(Reminders),
  },
  { additionalProperties: false },
);
export type CreateTaskBody = Static<typeof CreateTaskBody>;

export const UpdateTaskBody = Type.Object(
  {
    title: Type.Optional(Title),
    description: Type.Optional(Description),
    priority: Type.Optional(Priority),
    status: Type.Optional(Status),
    due_date: Type.Optional(Nullable(Timestamp())),
    reminders: Type.Optional(Reminders),
    user_id: Type.Optional(Uuid('reassign to another user of the same org')),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateTaskBody = Static<typeof UpdateTaskBody>;

export const TaskParams = Type.Object({ id: Type.String() });
export const UserTasksParams = Type.Object({ userId: Type.String() });

export const UserTasksQuery = Type.Object(
  { status: Type.Optional(Status) },
  { additionalProperties: false },
);

export const DueSoonQuery = Type.Object(
  {
    hours: Type.Number({
      minimum: 0,
      maximum: 8760,
      default: 24,
      description: 'the window ahead of now, in hours (0 to 8760)',
    }),
  },
  { additionalProperties: false },
);

export const OrgTasksQuery = Type.Object(
  {
    status: Type.Optional(Type.String({ maxLength: 200, description: 'comma-separated statuses' })),
    priority: Type.Optional(
      Type.String({ maxLength: 200, description: 'comma-separated priorities' }),
    ),
    user_id: Type.Optional(Type.String({ maxLength: 64 })),
    created_by: Type.Optional(Type.String({ maxLength: 64 })),
    due_before: Type.Optional(Timestamp('due strictly before this instant')),
    due_after: Type.Optional(Timestamp('due at or after this instant')),
    overdue: Type.Optional(
      Type.Boolean({ description: 'true: open tasks whose due date has passed' }),
    ),
    q: Type.Optional(
      Type.String({ maxLength: 500, description: 'web-search syntax over title and description' }),
    ),
    sort: Type.Optional(Sort),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ maxLength: 1000, description: 'from `next_cursor`' })),
  },
  { additionalProperties: false },
);
export type OrgTasksQuery = Static<typeof OrgTasksQuery>;

export const TaskPage = Type.Object({
  tasks: Type.Array(Type.Ref('Task')),
  next_cursor: Nullable(Type.String()),
});

export const FieldChange = Type.Object({ from: Type.Unknown(), to: Type.Unknown() });
export const TaskActivity = Type.Object({
  id: Uuid('activity entry id'),
  task_id: Uuid('task id'),
  actor_id: Nullable(Uuid('who made the change; null for the operator')),
  actor_name: Type.String(),
  action: Type.Union([Type.Literal('created'), Type.Literal('updated'), Type.Literal('deleted')]),
  changes: Type.Record(Type.String(), FieldChange),
  version: Type.Integer({ description: 'the task version this change produced' }),
  created_at: Timestamp(),
});
export type TaskActivity = Static<typeof TaskActivity>;
export const TaskActivityList = Type.Object({ activity: Type.Array(TaskActivity) });

export const Notification = Type.Object({
  id: Uuid('notification id (also the `id` of the live event)'),
  type: Type.String({ description: '`task.reminder`' }),
  task_id: Nullable(Uuid('the task it is about')),
  payload: Type.Record(Type.String(), Type.Unknown()),
  created_at: Timestamp(),
  read_at: Nullable(Timestamp()),
});
export type Notification = Static<typeof Notification>;

export const NotificationsQuery = Type.Object(
  {
    unread: Type.Optional(Type.Boolean({ description: 'true: only those not read yet' })),
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  },
  { additionalProperties: false },
);
export const NotificationList = Type.Object({ notifications: Type.Array(Notification) });
export const NotificationParams = Type.Object({ id: Type.String() });
