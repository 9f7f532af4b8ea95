import type { Ctx } from '../lib/context.js';
import { runSearchBench } from '../search.js';
import { onBothDatabases } from './both-databases.js';

/** Search over history (bench/search.ts): PGlite at 100,000 messages, PostgreSQL at 1,000,000. */
export const runSearch = (ctx: Ctx) => onBothDatabases(ctx, 'search', runSearchBench);
