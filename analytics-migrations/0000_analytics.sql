CREATE TABLE `analytics_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`day` text NOT NULL,
	`hour` integer NOT NULL,
	`ts` integer NOT NULL,
	`subject` text NOT NULL,
	`source` text NOT NULL,
	`name` text NOT NULL,
	`value` real,
	`game_id` text,
	`correlation_id` text NOT NULL,
	`payload` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `analytics_events_day` ON `analytics_events` (`day`);--> statement-breakpoint
CREATE INDEX `analytics_events_subject_ts` ON `analytics_events` (`subject`,`ts`);--> statement-breakpoint
CREATE TABLE `analytics_snapshots` (
	`hour` integer NOT NULL,
	`day` text NOT NULL,
	`subject` text NOT NULL,
	`name` text NOT NULL,
	`events` integer NOT NULL,
	`value_sum` real,
	`value_min` real,
	`value_max` real,
	`taken_at` integer NOT NULL,
	PRIMARY KEY(`hour`, `subject`, `name`)
);
--> statement-breakpoint
CREATE INDEX `analytics_snapshots_day` ON `analytics_snapshots` (`day`);