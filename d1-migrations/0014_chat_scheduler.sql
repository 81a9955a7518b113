CREATE TABLE `chat_founder_preferences` (
	`founder_id` text PRIMARY KEY NOT NULL,
	`time_zone` text DEFAULT 'UTC' NOT NULL,
	`prompt_surface` text DEFAULT 'web' NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `scheduled_jobs_founder`;--> statement-breakpoint
ALTER TABLE `scheduled_jobs` ADD `namespace` text DEFAULT 'wb' NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_jobs` ADD `workspace_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_jobs` ADD `trust_mode` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_jobs` ADD `session_id` text;--> statement-breakpoint
ALTER TABLE `scheduled_jobs` ADD `created_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `scheduled_jobs` ADD `updated_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `scheduled_jobs_founder` ON `scheduled_jobs` (`founder_id`,`namespace`);