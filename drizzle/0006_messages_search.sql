-- Search over history. Hand-edited: drizzle-kit generated the two indexes; the column is
-- added first and is not declared in src/db/schema.ts (see the comment there), so
-- meta/0006_snapshot.json records the indexes only and the next `npm run db:generate`
-- proposes nothing.
--
-- `search` is stored: a rank and a recheck read it instead of recomputing to_tsvector per
-- candidate. Adding it rewrites every partition of messages once.
ALTER TABLE "messages" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (to_tsvector('english', "content")) STORED;--> statement-breakpoint
CREATE INDEX "messages_org_created_idx" ON "messages" USING btree ("org_id","created_at","id");--> statement-breakpoint
CREATE INDEX "messages_search_idx" ON "messages" USING gin ("search");
