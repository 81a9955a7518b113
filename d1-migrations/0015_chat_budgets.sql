CREATE TABLE `chat_rate_notices` (
	`key` text PRIMARY KEY NOT NULL,
	`until` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `chat_recall_vectors` (
	`id` text PRIMARY KEY NOT NULL,
	`namespace` text DEFAULT 'wb' NOT NULL,
	`workspace_id` text NOT NULL,
	`session_id` text NOT NULL,
	`text` text NOT NULL,
	`embedding` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `chat_recall_vectors_workspace` ON `chat_recall_vectors` (`workspace_id`,`namespace`,`created_at`);--> statement-breakpoint
CREATE TABLE `chat_workspace_budgets` (
	`workspace_id` text PRIMARY KEY NOT NULL,
	`monthly_nano_usd` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `chat_workspace_costs` (
	`workspace_id` text NOT NULL,
	`month` text NOT NULL,
	`cost_nano_usd` integer DEFAULT 0 NOT NULL,
	`input_tokens` integer DEFAULT 0 NOT NULL,
	`output_tokens` integer DEFAULT 0 NOT NULL,
	`turns` integer DEFAULT 0 NOT NULL,
	`budget_notified_at` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`workspace_id`, `month`)
);
