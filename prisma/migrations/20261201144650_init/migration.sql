-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "user_status" AS ENUM ('active', 'suspended', 'dormant');

-- CreateEnum
CREATE TYPE "login_type" AS ENUM ('password', 'github', 'oidc', 'token', 'none', 'oauth2_provider_app');

-- CreateEnum
CREATE TYPE "api_key_scope" AS ENUM ('all', 'application_connect');

-- CreateTable
CREATE TABLE "organizations" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,
    "is_default" BOOLEAN NOT NULL DEFAULT false,
    "display_name" TEXT NOT NULL,
    "icon" TEXT NOT NULL DEFAULT '',
    "deleted" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "username" TEXT NOT NULL DEFAULT '',
    "hashed_password" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,
    "status" "user_status" NOT NULL DEFAULT 'dormant',
    "rbac_roles" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "login_type" "login_type" NOT NULL DEFAULT 'password',
    "avatar_url" TEXT NOT NULL DEFAULT '',
    "deleted" BOOLEAN NOT NULL DEFAULT false,
    "last_seen_at" TIMESTAMP(6) NOT NULL DEFAULT '0001-01-01 00:00:00'::timestamp without time zone,
    "quiet_hours_schedule" TEXT NOT NULL DEFAULT '',
    "name" TEXT NOT NULL DEFAULT '',
    "github_com_user_id" BIGINT,
    "hashed_one_time_passcode" BYTEA,
    "one_time_passcode_expires_at" TIMESTAMPTZ(6),
    "is_system" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "organization_members" (
    "user_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,
    "roles" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "organization_members_pkey" PRIMARY KEY ("organization_id","user_id")
);

-- CreateTable
CREATE TABLE "custom_roles" (
    "name" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "site_permissions" JSONB NOT NULL DEFAULT '[]',
    "org_permissions" JSONB NOT NULL DEFAULT '{}',
    "user_permissions" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "organization_id" UUID,
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),

    CONSTRAINT "custom_roles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "hashed_secret" BYTEA NOT NULL,
    "user_id" UUID NOT NULL,
    "last_used" TIMESTAMPTZ(6) NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL,
    "login_type" "login_type" NOT NULL,
    "lifetime_seconds" BIGINT NOT NULL DEFAULT 86400,
    "ip_address" INET NOT NULL DEFAULT '0.0.0.0'::inet,
    "scope" "api_key_scope" NOT NULL DEFAULT 'all',
    "token_name" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "idx_organization_member_organization_id_uuid" ON "organization_members"("organization_id");

-- CreateIndex
CREATE INDEX "idx_organization_member_user_id_uuid" ON "organization_members"("user_id");

-- CreateIndex
CREATE INDEX "idx_custom_roles_id" ON "custom_roles"("id");

-- AddUniqueConstraint (Coder declares it as a constraint, not a bare index)
ALTER TABLE "custom_roles" ADD CONSTRAINT "custom_roles_unique_key" UNIQUE ("name", "organization_id");

-- CreateIndex
CREATE INDEX "api_keys_last_used_idx" ON "api_keys"("last_used" DESC);

-- CreateIndex
CREATE INDEX "idx_api_keys_user" ON "api_keys"("user_id");

-- AddForeignKey
ALTER TABLE "organization_members" ADD CONSTRAINT "organization_members_user_id_uuid_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "organization_members" ADD CONSTRAINT "organization_members_organization_id_uuid_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_uuid_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- What Prisma cannot declare, as Coder's dump.sql has it.

-- Names are unique, case-insensitively, among live rows; one default organization.
CREATE UNIQUE INDEX "idx_organization_name_lower" ON "organizations" USING btree (lower("name")) WHERE ("deleted" = false);
CREATE UNIQUE INDEX "organizations_single_default_org" ON "organizations" USING btree ("is_default") WHERE ("is_default" = true);

CREATE UNIQUE INDEX "idx_users_email" ON "users" USING btree ("email") WHERE (("deleted" = false) AND ("email" <> ''::text));
CREATE UNIQUE INDEX "idx_users_username" ON "users" USING btree ("username") WHERE ("deleted" = false);
CREATE UNIQUE INDEX "users_email_lower_idx" ON "users" USING btree (lower("email")) WHERE (("deleted" = false) AND ("email" <> ''::text));
CREATE UNIQUE INDEX "users_username_lower_idx" ON "users" USING btree (lower("username")) WHERE ("deleted" = false);

CREATE UNIQUE INDEX "idx_custom_roles_name_lower_organization_id" ON "custom_roles" USING btree (lower("name"), COALESCE("organization_id", '00000000-0000-0000-0000-000000000000'::uuid));

CREATE UNIQUE INDEX "idx_api_key_name" ON "api_keys" USING btree ("user_id", "token_name") WHERE ("login_type" = 'token'::login_type);

-- Deleting a custom role takes its name off every member of its organization.
CREATE FUNCTION remove_organization_member_role() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF OLD.organization_id IS NOT NULL THEN
        UPDATE organization_members
        SET roles = array_remove(roles, OLD.name)
        WHERE organization_members.organization_id = OLD.organization_id;
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER remove_organization_member_custom_role
    BEFORE DELETE ON custom_roles
    FOR EACH ROW EXECUTE FUNCTION remove_organization_member_role();
