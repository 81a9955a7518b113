CREATE TABLE `delivery_failures` (
	`event_id` text PRIMARY KEY NOT NULL,
	`handler` text NOT NULL,
	`error` text NOT NULL,
	`attempts` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `events` ADD `extensions` text;