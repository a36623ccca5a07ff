import { builder } from '../../builder.js';
import type { OrganizationRow } from '../../db/reads/rows.js';

export const Organization = builder.objectRef<OrganizationRow>('Organization').implement({
  description: 'A Coder organization: a group of members with their own roles.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The organization id, a lowercase UUID.' }),
    name: t.exposeString('name', { description: 'Unique (case-insensitively) URL-safe name.' }),
    displayName: t.exposeString('displayName', { description: 'Human-readable name.' }),
    description: t.exposeString('description', { description: 'Free-text description; may be empty.' }),
    icon: t.exposeString('icon', { description: 'Icon URL or emoji; may be empty.' }),
    isDefault: t.exposeBoolean('isDefault', { description: "Whether this is the deployment's default organization." }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the organization was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the organization was last changed.' }),
  }),
});
