CREATE TABLE `model_metrics` (
	`model_id` text NOT NULL,
	`name` text NOT NULL,
	`value` real NOT NULL,
	`step` integer,
	`reported_at` integer NOT NULL,
	`event_id` text NOT NULL,
	PRIMARY KEY(`model_id`, `name`)
);
--> statement-breakpoint
CREATE TABLE `strategy_cache` (
	`fingerprint` text PRIMARY KEY NOT NULL,
	`situation` text NOT NULL,
	`strategy` text NOT NULL,
	`hits` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`last_hit_at` integer
);
--> statement-breakpoint
CREATE INDEX `strategy_cache_created` ON `strategy_cache` (`created_at`);