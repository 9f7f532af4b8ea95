import type { Reminder } from '../../protocol/tasks.js';

export interface PlannedReminder {
  position: number;
  spec: Reminder;
  fireAt: Date;
}

/**
 * When each reminder of a task fires. An `at` reminder fires at its instant; a
 * `before_due_minutes` one fires that long before the due date and does not apply (has no
 * row) while the task has no due date.
 */
export function planReminders(reminders: Reminder[], dueDate: Date | null): PlannedReminder[] {
  const planned: PlannedReminder[] = [];
  reminders.forEach((spec, position) => {
    if ('at' in spec) planned.push({ position, spec, fireAt: new Date(spec.at) });
    else if (dueDate)
      planned.push({
        position,
        spec,
        fireAt: new Date(dueDate.getTime() - spec.before_due_minutes * 60_000),
      });
  });
  return planned;
}

/** Identity of a planned reminder: an unchanged one keeps its row (and whether it fired). */
export const reminderKey = (spec: unknown, fireAt: Date) =>
  `${JSON.stringify(spec)}@${fireAt.getTime()}`;
