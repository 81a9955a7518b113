CREATE TABLE `feedback` (
	`id` text PRIMARY KEY NOT NULL,
	`metric_name` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`value` text NOT NULL,
	`tags` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `feedback_target` ON `feedback` (`target_type`,`target_id`);--> statement-breakpoint
CREATE TABLE `gateway_configs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`toml` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `inference_cache` (
	`key` text PRIMARY KEY NOT NULL,
	`function_name` text NOT NULL,
	`embedding` text,
	`response` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `inference_cache_function` ON `inference_cache` (`function_name`,`expires_at`);--> statement-breakpoint
CREATE TABLE `inferences` (
	`id` text PRIMARY KEY NOT NULL,
	`episode_id` text NOT NULL,
	`function_name` text,
	`variant_name` text,
	`provider` text,
	`model` text,
	`tier` text,
	`status` text NOT NULL,
	`attempts` text NOT NULL,
	`input_tokens` integer,
	`output_tokens` integer,
	`cost` real,
	`latency_ms` integer,
	`ttft_ms` integer,
	`cache` text,
	`workspace` text,
	`tags` text,
	`request` text,
	`response` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `inferences_created` ON `inferences` (`created_at`);--> statement-breakpoint
CREATE INDEX `inferences_episode` ON `inferences` (`episode_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `inferences_function` ON `inferences` (`function_name`,`created_at`);--> statement-breakpoint
CREATE TABLE `provider_spend` (
	`provider` text NOT NULL,
	`window` text NOT NULL,
	`cost` real NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`provider`, `window`)
);
