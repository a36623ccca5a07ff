// Who may read a user (SPEC B.3): pure decisions over the caller's gate.
import type { Gate } from '../../access/gate.js';
import { rbacObjects } from '../../rbac/index.js';

export const canReadUser = (gate: Gate, userId: string) => gate.can('read', rbacObjects.user(userId));
