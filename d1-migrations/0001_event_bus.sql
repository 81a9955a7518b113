CREATE TABLE `events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`subject` text NOT NULL,
	`source` text NOT NULL,
	`correlation_id` text NOT NULL,
	`timestamp_ms` integer NOT NULL,
	`version` integer NOT NULL,
	`metadata` text NOT NULL,
	`payload` text,
	`payload_ref` text,
	`size` integer NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `events_timestamp` ON `events` (`timestamp_ms`,`event_id`);--> statement-breakpoint
CREATE INDEX `events_subject_timestamp` ON `events` (`subject`,`timestamp_ms`);--> statement-breakpoint
CREATE INDEX `events_correlation_timestamp` ON `events` (`correlation_id`,`timestamp_ms`);--> statement-breakpoint
CREATE INDEX `events_source_timestamp` ON `events` (`source`,`timestamp_ms`);--> statement-breakpoint
CREATE INDEX `events_received` ON `events` (`received_at`);--> statement-breakpoint
CREATE TABLE `handler_ledger` (
	`event_id` text NOT NULL,
	`handler` text NOT NULL,
	`applied_at` integer NOT NULL,
	PRIMARY KEY(`event_id`, `handler`)
);
--> statement-breakpoint
CREATE INDEX `handler_ledger_applied` ON `handler_ledger` (`applied_at`);--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`capacity` integer NOT NULL,
	`refill_per_hour` real NOT NULL,
	`burst_per_second` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `dead_letters` ADD `handler` text;--> statement-breakpoint
ALTER TABLE `dead_letters` ADD `replayed_at` integer;--> statement-breakpoint
ALTER TABLE `dead_letters` ADD `replay_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `dead_letters_event_id` ON `dead_letters` (`event_id`);