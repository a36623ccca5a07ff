// The RBAC vocabulary: actions, resource types and which actions make sense on
// which resource (SPEC B.3). Strings are Coder's, so stored permissions from a
// Coder database read the same here.

/** Matches any resource type or any action in a permission. */
export const WILDCARD = '*';

export const RBAC_ACTIONS = [
  'create',
  'read',
  'update',
  'delete',
  'use',
  'ssh',
  'application_connect',
  'view_insights',
  'start',
  'stop',
  'assign',
  'unassign',
  'read_personal',
  'update_personal',
  'create_agent',
  'delete_agent',
] as const;

export type RBACAction = (typeof RBAC_ACTIONS)[number];

export const RBAC_RESOURCES = [
  'api_key',
  'assign_org_role',
  'assign_role',
  'audit_log',
  'connection_log',
  'crypto_key',
  'debug_info',
  'deployment_config',
  'deployment_stats',
  'file',
  'group',
  'group_member',
  'idpsync_settings',
  'inbox_notification',
  'license',
  'notification_message',
  'notification_preference',
  'notification_template',
  'oauth2_app',
  'oauth2_app_code_token',
  'oauth2_app_secret',
  'organization',
  'organization_member',
  'prebuilt_workspace',
  'provisioner_daemon',
  'provisioner_jobs',
  'replicas',
  'system',
  'tailnet_coordinator',
  'template',
  'user',
  'webpush_subscription',
  'workspace',
  'workspace_agent_devcontainers',
  'workspace_agent_resource_monitor',
  'workspace_dormant',
  'workspace_proxy',
] as const;

export type RBACResource = (typeof RBAC_RESOURCES)[number];

const CRUD = ['create', 'read', 'update', 'delete'] as const;

const WORKSPACE_ACTIONS = [
  'application_connect',
  'create',
  'create_agent',
  'delete',
  'delete_agent',
  'read',
  'ssh',
  'start',
  'stop',
  'update',
] as const;

/** The valid (resource, action) pairs; a permission outside them means nothing. */
export const RESOURCE_ACTIONS: Readonly<Record<RBACResource, readonly RBACAction[]>> = {
  api_key: CRUD,
  assign_org_role: ['assign', 'create', 'delete', 'read', 'unassign', 'update'],
  assign_role: ['assign', 'read', 'unassign'],
  audit_log: ['create', 'read'],
  connection_log: ['read', 'update'],
  crypto_key: CRUD,
  debug_info: ['read'],
  deployment_config: ['read', 'update'],
  deployment_stats: ['read'],
  file: ['create', 'read'],
  group: CRUD,
  group_member: ['read'],
  idpsync_settings: ['read', 'update'],
  inbox_notification: ['create', 'read', 'update'],
  license: ['create', 'delete', 'read'],
  notification_message: CRUD,
  notification_preference: ['read', 'update'],
  notification_template: ['read', 'update'],
  oauth2_app: CRUD,
  oauth2_app_code_token: ['create', 'delete', 'read'],
  oauth2_app_secret: CRUD,
  organization: CRUD,
  organization_member: CRUD,
  prebuilt_workspace: ['delete', 'update'],
  provisioner_daemon: CRUD,
  provisioner_jobs: ['create', 'read', 'update'],
  replicas: ['read'],
  system: CRUD,
  tailnet_coordinator: CRUD,
  template: [...CRUD, 'use', 'view_insights'],
  user: [...CRUD, 'read_personal', 'update_personal'],
  webpush_subscription: ['create', 'delete', 'read'],
  workspace: WORKSPACE_ACTIONS,
  workspace_agent_devcontainers: ['create'],
  workspace_agent_resource_monitor: ['create', 'read', 'update'],
  workspace_dormant: WORKSPACE_ACTIONS,
  workspace_proxy: CRUD,
};

export function isRBACAction(value: string): value is RBACAction {
  return (RBAC_ACTIONS as readonly string[]).includes(value);
}

export function isRBACResource(value: string): value is RBACResource {
  // Object.hasOwn rather than `in`, so 'constructor' and friends are not resources.
  return Object.hasOwn(RESOURCE_ACTIONS, value);
}

/** Whether the pair is in the table. Wildcards are not pairs: callers reject them separately. */
export function isValidPermissionPair(resource: string, action: string): boolean {
  return isRBACResource(resource) && (RESOURCE_ACTIONS[resource] as readonly string[]).includes(action);
}
