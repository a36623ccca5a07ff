import { builder } from '../../builder.js';
import {
  RBAC_ACTIONS,
  RBAC_RESOURCES,
  RESOURCE_ACTIONS,
  WILDCARD,
  isRBACAction,
  isRBACResource,
  type Permission,
  type RBACResource as Resource,
} from '../../rbac/index.js';
import { permissionId } from '../shared/identity.js';

const screaming = (value: string) => value.toUpperCase();
type EnumValues = Record<string, { value: string; description: string }>;

export const RBACAction = builder.enumType('RBACAction', {
  description: "An action of Coder's RBAC (`policy.Action`), such as read or assign.",
  values: Object.fromEntries(
    RBAC_ACTIONS.map((action) => [screaming(action), { value: action, description: `\`${action}\`` }]),
  ) as EnumValues,
});

export const RBACResource = builder.enumType('RBACResource', {
  description: "A resource type of Coder's RBAC. `ALL` is the wildcard `*`.",
  values: {
    ALL: { value: WILDCARD, description: 'Every resource type (`*`).' },
    ...Object.fromEntries(
      RBAC_RESOURCES.map((resource) => [screaming(resource), { value: resource, description: `\`${resource}\`` }]),
    ),
  } as EnumValues,
});

export const PermissionType = builder.objectRef<Permission>('Permission').implement({
  description: 'One RBAC permission: an action on a resource type, granted or (when negated) denied.',
  fields: (t) => ({
    id: t.id({
      description:
        'Names the permission by its content, `<resource>:<action>` (a leading `-` when negated), so that client ' +
        'caches can normalise it without configuration; the same permission in two roles has the same id.',
      resolve: permissionId,
    }),
    action: t.field({ type: RBACAction, description: 'The action.', resolve: (p) => p.action }),
    resourceType: t.field({
      type: RBACResource,
      description: 'The resource type; `ALL` for every one.',
      resolve: (p) => p.resourceType,
    }),
    negate: t.exposeBoolean('negate', { description: 'Whether this permission denies rather than grants.' }),
  }),
});

export const PermissionInput = builder.inputType('PermissionInput', {
  description: 'One RBAC permission to grant in a custom role.',
  fields: (t) => ({
    action: t.field({ type: RBACAction, description: 'The action.' }),
    resourceType: t.field({ type: RBACResource, description: 'The resource type.' }),
    negate: t.boolean({
      required: false,
      defaultValue: false,
      description: 'Deny instead of grant (custom organization roles may not negate).',
    }),
  }),
});

/**
 * Stored permissions as the enums can name them. A stored `*` action (Coder stores one for "every action"; the
 * enum has none) becomes that resource's every action, as the built-in roles are listed, so that a role's
 * listing shows what it grants. A Coder database may also hold permissions of a newer Coder release, whose action
 * or resource our enums cannot name; those are left out rather than failing the whole role.
 */
export function presentable(permissions: Permission[]): Permission[] {
  // A permission stored twice is listed twice, as Coder lists it; one that a `*` beside it stands for too, once.
  const listed: Permission[] = [];
  const listedKeys = new Set<string>();
  const expandedKeys = new Set<string>();
  for (const p of permissions) {
    const resourceKnown = p.resourceType === WILDCARD || isRBACResource(p.resourceType);
    if (!resourceKnown) continue;
    if (isRBACAction(p.action)) {
      const key = permissionId(p);
      if (expandedKeys.has(key)) continue;
      listedKeys.add(key);
      listed.push(p);
    } else if (p.action === WILDCARD) {
      const actions = p.resourceType === WILDCARD ? RBAC_ACTIONS : RESOURCE_ACTIONS[p.resourceType as Resource];
      for (const action of actions) {
        const expanded = { resourceType: p.resourceType, action, negate: p.negate };
        const key = permissionId(expanded);
        if (listedKeys.has(key)) continue;
        listedKeys.add(key);
        expandedKeys.add(key);
        listed.push(expanded);
      }
    }
  }
  return listed;
}
