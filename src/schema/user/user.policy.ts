// Who may read a user (SPEC B.3): pure decisions over the caller's gate.
import { allow, refuseUnrecorded, type Decision } from '../../access/decision.js';
import type { Gate } from '../../access/gate.js';
import { notFound } from '../../errors.js';
import { rbacObjects } from '../../rbac/index.js';

export const canReadUser = (gate: Gate, userId: string) => gate.can('read', rbacObjects.user(userId));

/** The user a lookup found, if the caller may read it; NOT_FOUND alike for none and a hidden one. */
export function userReading<U extends { id: string }>(gate: Gate, user: U | undefined): Decision<U> {
  return user && canReadUser(gate, user.id) ? allow(user) : refuseUnrecorded(notFound());
}
