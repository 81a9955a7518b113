CREATE TABLE `chainbot_executions` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`workflow_version` integer NOT NULL,
	`status` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`deadline_at` integer
);
--> statement-breakpoint
CREATE INDEX `chainbot_executions_created` ON `chainbot_executions` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `chainbot_executions_status` ON `chainbot_executions` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `chainbot_executions_workflow` ON `chainbot_executions` (`workflow_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `chainbot_executions_finished` ON `chainbot_executions` (`finished_at`);