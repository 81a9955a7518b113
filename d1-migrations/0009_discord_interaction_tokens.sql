CREATE TABLE `discord_interaction_tokens` (
	`interaction_id` text PRIMARY KEY NOT NULL,
	`token` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `discord_interaction_tokens_expiry` ON `discord_interaction_tokens` (`expires_at`);