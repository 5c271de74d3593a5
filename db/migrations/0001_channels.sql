CREATE TABLE "messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"rescue_id" text NOT NULL,
	"step" integer NOT NULL,
	"user_id" text NOT NULL,
	"campaign" text NOT NULL,
	"channel" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"provider_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"cost" numeric(10, 4),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "messages_channel_check" CHECK (channel in ('email', 'sms', 'webhook')),
	CONSTRAINT "messages_status_check" CHECK (status in ('queued', 'sending', 'sent', 'delivered', 'failed', 'bounced', 'undelivered', 'suppressed', 'capped', 'deferred'))
);
--> statement-breakpoint
CREATE TABLE "suppressions" (
	"user_id" text NOT NULL,
	"channel" text NOT NULL,
	"reason" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "suppressions_channel_check" CHECK (channel in ('email', 'sms')),
	CONSTRAINT "suppressions_reason_check" CHECK (reason in ('unsubscribed', 'bounced', 'sms_stop', 'complaint'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "messages_rescue_step_key" ON "messages" USING btree ("rescue_id","step");--> statement-breakpoint
CREATE INDEX "messages_user_sent_idx" ON "messages" USING btree ("user_id","sent_at");--> statement-breakpoint
CREATE INDEX "messages_provider_id_idx" ON "messages" USING btree ("provider_id");--> statement-breakpoint
CREATE UNIQUE INDEX "suppressions_user_channel_key" ON "suppressions" USING btree ("user_id","channel");