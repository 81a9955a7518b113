CREATE TABLE `edge_devices` (
	`device_id` text PRIMARY KEY NOT NULL,
	`first_seen` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`agent_version` text,
	`online` integer NOT NULL,
	`telemetry` text,
	`over_temperature` integer NOT NULL,
	`models` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `edge_devices_first_seen` ON `edge_devices` (`first_seen`,`device_id`);