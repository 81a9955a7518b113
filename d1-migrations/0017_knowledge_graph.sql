CREATE TABLE `kg_entities` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`properties` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `kg_entities_type_name` ON `kg_entities` (`type`,`name`);--> statement-breakpoint
CREATE TABLE `kg_relations` (
	`id` text PRIMARY KEY NOT NULL,
	`source_id` text NOT NULL,
	`target_id` text NOT NULL,
	`type` text NOT NULL,
	`strength` real,
	`conditions` text NOT NULL,
	`properties` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `kg_relations_source` ON `kg_relations` (`source_id`,`type`);--> statement-breakpoint
CREATE INDEX `kg_relations_target` ON `kg_relations` (`target_id`,`type`);--> statement-breakpoint
CREATE TABLE `kg_updates` (
	`update_id` text PRIMARY KEY NOT NULL,
	`response` text NOT NULL,
	`applied_at` integer NOT NULL
);
