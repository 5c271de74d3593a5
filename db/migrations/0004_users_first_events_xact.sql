ALTER TABLE "users" ADD COLUMN "first_events_xact" bigint;--> statement-breakpoint
UPDATE "users" SET "first_events_xact" = 0 WHERE EXISTS (SELECT 1 FROM "events" WHERE "events"."user_id" = "users"."id");
