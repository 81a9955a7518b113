CREATE TABLE `chat_audit` (
	`id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`founder_id` text,
	`workspace_id` text,
	`operation` text NOT NULL,
	`surface` text,
	`outcome` text NOT NULL,
	`code` text,
	`trust_mode` integer,
	`credential` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `chat_audit_at` ON `chat_audit` (`at`);--> statement-breakpoint
CREATE INDEX `chat_audit_founder` ON `chat_audit` (`founder_id`,`at`);--> statement-breakpoint
CREATE TABLE `checklists` (
	`id` text PRIMARY KEY NOT NULL,
	`namespace` text DEFAULT 'wb' NOT NULL,
	`workspace_id` text NOT NULL,
	`title` text,
	`items` text,
	`priority` integer,
	`progress` real,
	`due_date` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `checklists_workspace` ON `checklists` (`workspace_id`,`namespace`);--> statement-breakpoint
CREATE TABLE `goals` (
	`id` text PRIMARY KEY NOT NULL,
	`namespace` text DEFAULT 'wb' NOT NULL,
	`workspace_id` text NOT NULL,
	`title` text,
	`target_value` real,
	`current_value` real,
	`unit` text,
	`deadline` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `goals_workspace` ON `goals` (`workspace_id`,`namespace`);--> statement-breakpoint
CREATE TABLE `scheduled_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`founder_id` text NOT NULL,
	`type` text,
	`schedule` text,
	`enabled` integer DEFAULT true NOT NULL,
	`last_run` integer,
	`next_run` integer
);
--> statement-breakpoint
CREATE INDEX `scheduled_jobs_next_run` ON `scheduled_jobs` (`enabled`,`next_run`);--> statement-breakpoint
CREATE INDEX `scheduled_jobs_founder` ON `scheduled_jobs` (`founder_id`);--> statement-breakpoint
CREATE TABLE `summaries` (
	`id` text PRIMARY KEY NOT NULL,
	`namespace` text DEFAULT 'wb' NOT NULL,
	`workspace_id` text NOT NULL,
	`type` text NOT NULL,
	`content` text,
	`generated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `summaries_workspace` ON `summaries` (`workspace_id`,`namespace`,`type`,`generated_at`);--> statement-breakpoint
CREATE TABLE `transcripts` (
	`id` text PRIMARY KEY NOT NULL,
	`namespace` text DEFAULT 'wb' NOT NULL,
	`session_id` text NOT NULL,
	`workspace_id` text NOT NULL,
	`surface` text,
	`messages` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `transcripts_session` ON `transcripts` (`session_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `transcripts_workspace` ON `transcripts` (`workspace_id`,`namespace`,`created_at`);--> statement-breakpoint
CREATE TABLE `workspaces` (
	`id` text NOT NULL,
	`namespace` text DEFAULT 'wb' NOT NULL,
	`founder_id` text NOT NULL,
	`name` text,
	`stage` text,
	`profile` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`id`, `namespace`)
);
--> statement-breakpoint
CREATE INDEX `workspaces_founder` ON `workspaces` (`founder_id`);