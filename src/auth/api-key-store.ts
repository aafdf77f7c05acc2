import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DbFunctions } from '../database/db-functions.port';
import { newWebhookSecret } from '../tenants/tenant-store';
import type { Tenant } from '../tenants/tenant.model';
import type { ApiKeyRole, RequestPrincipal } from '../tenants/request-principal';
import { generateApiKey, hashApiKey, isApiKeyShaped, keyReference } from './api-key';

/** A stored key, as listed: never the key itself, nor its hash. */
export interface ApiKeyRecord {
  id: string;
  tenant_id: string;
  /** The 8 characters after 'dik_'. */
  prefix: string;
  role: ApiKeyRole;
  name: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedApiKey {
  /** The key itself: this is the only time it is seen. */
  key: string;
  record: ApiKeyRecord;
  /** Whether this call created the tenant; then `tenant.webhook_secret` is its new signing secret. */
  tenantCreated: boolean;
  tenant: Tenant;
}

interface CreateAnswer {
  key: ApiKeyRecord;
  tenant: Tenant & { created: boolean };
}

/** Draws a new key again when its prefix was taken (47 bits each: practically never twice). */
const CREATE_ATTEMPTS = 5;

/**
 * API keys over the migration's functions (inbox_api_keys). Nothing is cached: a revoked key
 * fails on the very next request, in every server process.
 */
@Injectable()
export class ApiKeyStore {
  constructor(private readonly db: DbFunctions) {}

  /** A new key for the tenant, which is created (with a new webhook signing secret) if need be. */
  async create(options: { tenantId: string; role: ApiKeyRole; name?: string | null }): Promise<CreatedApiKey> {
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      const { key, prefix, hash } = generateApiKey();
      const answer = await this.db.call<CreateAnswer | null>('inbox_create_api_key', {
        p_id: randomUUID(),
        p_tenant: options.tenantId,
        p_prefix: prefix,
        p_hash: hash,
        p_role: options.role,
        p_name: options.name ?? null,
        p_webhook_secret: newWebhookSecret(),
      });
      if (answer) {
        const { created, ...tenant } = answer.tenant;
        return { key, record: answer.key, tenantCreated: created, tenant };
      }
    }
    throw new Error(`could not draw an unused key prefix in ${CREATE_ATTEMPTS} tries`);
  }

  /** Newest first; every tenant's when tenantId is null. */
  list(tenantId: string | null): Promise<ApiKeyRecord[]> {
    return this.db.call('inbox_list_api_keys', { p_tenant: tenantId });
  }

  /**
   * Revokes the key named by its id, its prefix (with or without 'dik_') or the key itself,
   * within the tenant (null: any). Null when there is no such key.
   */
  revoke(reference: string, tenantId: string | null): Promise<ApiKeyRecord | null> {
    return this.db.call('inbox_revoke_api_key', { p_key: keyReference(reference.trim()), p_tenant: tenantId });
  }

  /** The principal of an active key, or null (unknown, malformed or revoked). */
  async authenticate(key: string): Promise<RequestPrincipal | null> {
    if (!isApiKeyShaped(key)) return null;
    const found = await this.db.call<{ tenant_id: string; role: ApiKeyRole; key_id: string } | null>(
      'inbox_authenticate_api_key',
      { p_hash: hashApiKey(key) },
    );
    return found ? { tenantId: found.tenant_id, role: found.role, keyId: found.key_id } : null;
  }

  /** Whether any key is active (while none is, the service may run open on a loopback address). */
  anyActive(): Promise<boolean> {
    return this.db.call('inbox_any_active_api_key', {});
  }
}
