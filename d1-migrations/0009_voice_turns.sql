CREATE TABLE `voice_turns` (
	`id` text PRIMARY KEY NOT NULL,
	`call_sid` text NOT NULL,
	`phone` text NOT NULL,
	`speech` text NOT NULL,
	`answer` text,
	`polls` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `voice_turns_call` ON `voice_turns` (`call_sid`,`created_at`);