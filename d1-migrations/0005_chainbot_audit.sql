CREATE TABLE `chainbot_audit` (
	`id` text PRIMARY KEY NOT NULL,
	`timestamp_ms` integer NOT NULL,
	`user_id` text NOT NULL,
	`session_id` text,
	`action` text NOT NULL,
	`resource` text NOT NULL,
	`outcome` text NOT NULL,
	`status` integer,
	`error` text,
	`metadata` text NOT NULL,
	`trace_id` text
);
--> statement-breakpoint
CREATE INDEX `chainbot_audit_ts` ON `chainbot_audit` (`timestamp_ms`,`id`);--> statement-breakpoint
CREATE INDEX `chainbot_audit_user_ts` ON `chainbot_audit` (`user_id`,`timestamp_ms`);--> statement-breakpoint
CREATE INDEX `chainbot_audit_action_ts` ON `chainbot_audit` (`action`,`timestamp_ms`);--> statement-breakpoint
CREATE INDEX `chainbot_audit_resource_ts` ON `chainbot_audit` (`resource`,`timestamp_ms`);--> statement-breakpoint
CREATE TABLE `chainbot_config_files` (
	`name` text PRIMARY KEY NOT NULL,
	`format` text NOT NULL,
	`content` text NOT NULL,
	`values` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `chainbot_config_runtime` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `chainbot_module_state` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`started_at` integer,
	`stopped_at` integer,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
