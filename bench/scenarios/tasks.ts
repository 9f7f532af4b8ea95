import type { Ctx } from '../lib/context.js';
import { runTaskBench } from '../tasks.js';
import { onBothDatabases } from './both-databases.js';

/** The org task list at size (bench/tasks.ts): PGlite at 100,000 tasks, PostgreSQL at 1,000,000. */
export const runTasks = (ctx: Ctx) => onBothDatabases(ctx, 'tasks', runTaskBench);
