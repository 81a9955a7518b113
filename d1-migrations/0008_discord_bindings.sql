CREATE TABLE `discord_bindings` (
	`discord_user_id` text NOT NULL,
	`guild_id` text DEFAULT '' NOT NULL,
	`user_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`discord_user_id`, `guild_id`)
);
--> statement-breakpoint
CREATE INDEX `discord_bindings_user` ON `discord_bindings` (`user_id`);