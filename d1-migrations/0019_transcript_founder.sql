ALTER TABLE `transcripts` ADD `founder_id` text;--> statement-breakpoint
ALTER TABLE `transcripts` ADD `trust_mode` integer;--> statement-breakpoint
CREATE INDEX `transcripts_founder` ON `transcripts` (`founder_id`,`created_at`);