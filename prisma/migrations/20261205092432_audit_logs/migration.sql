-- Coder's audit trail, with the columns, types and enums of coderd/database/dump.sql
-- at Coder 08e17a07fc, so that the gateway writes the same rows here as on a
-- Coder database served with MIGRATE=false. The last index is the gateway's
-- own (an organization's entries newest first); a Coder database lacks it.

-- CreateEnum
CREATE TYPE "resource_type" AS ENUM ('organization', 'template', 'template_version', 'user', 'workspace', 'git_ssh_key', 'api_key', 'group', 'workspace_build', 'license', 'workspace_proxy', 'convert_login', 'health_settings', 'oauth2_provider_app', 'oauth2_provider_app_secret', 'custom_role', 'organization_member', 'notifications_settings', 'notification_template', 'idp_sync_settings_organization', 'idp_sync_settings_group', 'idp_sync_settings_role', 'workspace_agent', 'workspace_app', 'prebuilds_settings');

-- CreateEnum
CREATE TYPE "audit_action" AS ENUM ('create', 'write', 'delete', 'start', 'stop', 'login', 'logout', 'register', 'request_password_reset', 'connect', 'disconnect', 'open', 'close');

COMMENT ON TYPE "audit_action" IS 'NOTE: `connect`, `disconnect`, `open`, and `close` are deprecated and no longer used - these events are now tracked in the connection_logs table.';

-- CreateTable
CREATE TABLE "audit_logs" (
    "id" UUID NOT NULL,
    "time" TIMESTAMPTZ(6) NOT NULL,
    "user_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "ip" INET,
    "user_agent" VARCHAR(256),
    "resource_type" "resource_type" NOT NULL,
    "resource_id" UUID NOT NULL,
    "resource_target" TEXT NOT NULL,
    "action" "audit_action" NOT NULL,
    "diff" JSONB NOT NULL,
    "status_code" INTEGER NOT NULL,
    "additional_fields" JSONB NOT NULL,
    "request_id" UUID NOT NULL,
    "resource_icon" TEXT NOT NULL,

    CONSTRAINT "audit_logs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "idx_audit_log_organization_id" ON "audit_logs"("organization_id");

-- CreateIndex
CREATE INDEX "idx_audit_log_resource_id" ON "audit_logs"("resource_id");

-- CreateIndex
CREATE INDEX "idx_audit_log_user_id" ON "audit_logs"("user_id");

-- CreateIndex
CREATE INDEX "idx_audit_logs_time_desc" ON "audit_logs"("time" DESC);

-- CreateIndex
CREATE INDEX "idx_audit_logs_organization_time" ON "audit_logs"("organization_id", "time" DESC, "id" DESC);
