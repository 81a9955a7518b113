CREATE TABLE `phone_bindings` (
	`phone` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`trust_mode` integer NOT NULL,
	`session_id` text,
	`opted_out_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sms_inbound` (
	`message_sid` text PRIMARY KEY NOT NULL,
	`phone` text NOT NULL,
	`event_id` text NOT NULL,
	`received_at` integer NOT NULL,
	`reply` text,
	`claimed_at` integer,
	`sent_at` integer
);
--> statement-breakpoint
CREATE INDEX `sms_inbound_phone` ON `sms_inbound` (`phone`,`received_at`);--> statement-breakpoint
CREATE TABLE `voice_turns` (
	`id` text PRIMARY KEY NOT NULL,
	`call_sid` text NOT NULL,
	`phone` text NOT NULL,
	`speech` text NOT NULL,
	`answer` text,
	`polls` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `voice_turns_call` ON `voice_turns` (`call_sid`,`created_at`);