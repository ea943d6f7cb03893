import { Api } from './app';

/** The bootstrap key of test apps that require auth. */
export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';

/** An Api sending `Authorization: Bearer <credential>`. */
export function bearer(baseUrl: string, credential: string, headers: Record<string, string> = {}): Api {
  return new Api(baseUrl, { authorization: `Bearer ${credential}`, ...headers });
}

export type KeyRole = 'org_admin' | 'member' | 'read_only';

export interface TenantWithKeys {
  orgId: string;
  userId: string;
  keys: Record<KeyRole, { id: string; key: string }>;
  /** Apis with the organization's keys, one per role. */
  as: Record<KeyRole, Api>;
}

/**
 * A fresh organization with one user and one API key per role (all acting as that user),
 * created with the admin key.
 */
export async function tenantWithKeys(admin: Api, name: string): Promise<TenantWithKeys> {
  const org = await admin.post('/v1/admin/orgs', { name: `${name}-org` });
  if (org.status !== 200) throw new Error(`creating org failed: ${org.status} ${JSON.stringify(org.body)}`);
  const user = await admin.post('/v1/admin/users', { name: `${name}-user`, organization_id: org.body.id });
  if (user.status !== 200) throw new Error(`creating user failed: ${JSON.stringify(user.body)}`);
  const keys = {} as TenantWithKeys['keys'];
  const as = {} as TenantWithKeys['as'];
  for (const role of ['org_admin', 'member', 'read_only'] as const) {
    const k = await admin.post('/v1/admin/api-keys', {
      name: `${name}-${role}`,
      organization_id: org.body.id,
      user_id: user.body.id,
      role,
    });
    if (k.status !== 200) throw new Error(`creating key failed: ${JSON.stringify(k.body)}`);
    keys[role] = { id: k.body.id, key: k.body.key };
    as[role] = bearer(admin.baseUrl, k.body.key);
  }
  return { orgId: org.body.id, userId: user.body.id, keys, as };
}
