ALTER TABLE `sms_inbound` ADD `segments_sent` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sms_inbound` ADD `sending_since` integer;