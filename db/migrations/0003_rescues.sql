CREATE TABLE "rescues" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"campaign" text NOT NULL,
	"n" integer NOT NULL,
	"arm" text NOT NULL,
	"holdout" boolean NOT NULL,
	"policy_version" integer NOT NULL,
	"assigned_at" timestamp with time zone NOT NULL,
	"window_ends_at" timestamp with time zone NOT NULL,
	"outcome" text,
	"returned_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	CONSTRAINT "rescues_outcome_check" CHECK (outcome in ('rescued', 'not_rescued'))
);
--> statement-breakpoint
CREATE INDEX "rescues_user_campaign_idx" ON "rescues" USING btree ("user_id","campaign");--> statement-breakpoint
CREATE INDEX "rescues_campaign_arm_idx" ON "rescues" USING btree ("campaign","arm");