-- Hand-written (drizzle-kit cannot express PARTITION BY; it generated only the index and key
-- changes, and meta/0003_snapshot.json records the resulting columns and indexes so that the
-- next `npm run db:generate` proposes nothing: "No schema changes").
--
-- Converts `messages` into a table partitioned by RANGE (created_at): one partition per UTC
-- day, `messages_pYYYYMMDD` covering [day, day + 1), and `messages_default` for anything no
-- day covers (so an insert never fails). The server creates the coming days itself and
-- retention drops whole days (src/modules/messages/messages.partitions.ts).
--
-- Every row is copied in this one transaction (the migrator runs pending migrations in one):
-- the RENAME takes an ACCESS EXCLUSIVE lock on the old table, so reads and writes of messages
-- wait until the copy commits (12 s for 500,000 rows on a 2-core machine: docs/operations.md).
-- Days with rows in the last 31 days get their own partition; older rows go to the default
-- partition, which the retention pass empties row by row once they are past retention.
-- Indexes and the key are built after the copy, which is faster than maintaining them row by
-- row. The key (id, created_at) is a unique index, not a PRIMARY KEY: `pg_restore --clean`
-- (orghub restore) fails on a partition's inherited primary key constraint. Uniqueness of
-- (org, group, seq) and of (org, group, user, client_msg_id) can no longer be a unique index
-- (it would have to include created_at): the group row lock that hands out seqs guarantees
-- both (src/modules/messages/messages.repo.ts).
ALTER TABLE "messages" RENAME TO "messages_unpartitioned";--> statement-breakpoint
CREATE TABLE "messages" (
	"id" uuid NOT NULL,
	"org_id" text NOT NULL,
	"group_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"user_id" uuid,
	"username" text NOT NULL,
	"client_id" text,
	"client_msg_id" text,
	"content" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL
) PARTITION BY RANGE ("created_at");--> statement-breakpoint
CREATE TABLE "messages_default" PARTITION OF "messages" DEFAULT;--> statement-breakpoint
DO $$
DECLARE
  today date := (now() AT TIME ZONE 'UTC')::date;
  first date;
  d date;
BEGIN
  SELECT min(created_at AT TIME ZONE 'UTC')::date INTO first FROM "messages_unpartitioned";
  d := least(greatest(coalesce(first, today), today - 31), today);
  WHILE d <= today + 3 LOOP
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF "messages" FOR VALUES FROM (%L) TO (%L)',
      'messages_p' || to_char(d, 'YYYYMMDD'),
      to_char(d, 'YYYY-MM-DD') || ' 00:00:00+00',
      to_char(d + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
    d := d + 1;
  END LOOP;
END
$$;--> statement-breakpoint
INSERT INTO "messages" ("id", "org_id", "group_id", "seq", "user_id", "username", "client_id", "client_msg_id", "content", "created_at")
  SELECT "id", "org_id", "group_id", "seq", "user_id", "username", "client_id", "client_msg_id", "content", "created_at"
  FROM "messages_unpartitioned";--> statement-breakpoint
DROP TABLE "messages_unpartitioned";--> statement-breakpoint
CREATE UNIQUE INDEX "messages_id_created_at_uq" ON "messages" USING btree ("id","created_at");--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_org_id_group_id_groups_org_id_id_fk" FOREIGN KEY ("org_id","group_id") REFERENCES "public"."groups"("org_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "messages_group_seq_idx" ON "messages" USING btree ("org_id","group_id","seq");--> statement-breakpoint
CREATE INDEX "messages_idempotency_idx" ON "messages" USING btree ("org_id","group_id","user_id","client_msg_id") WHERE "messages"."client_msg_id" is not null;--> statement-breakpoint
CREATE INDEX "messages_group_created_idx" ON "messages" USING btree ("org_id","group_id","created_at");--> statement-breakpoint
CREATE INDEX "messages_created_idx" ON "messages" USING btree ("created_at");
