import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { DEFAULT_TENANT } from '../jobs/job.model';

export const API_KEY_ROLES = ['admin', 'write', 'read'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/**
 * Who is calling: the tenant and role of the API key the request carried. The auth guard sets
 * it on the request; while the service runs open (no keys), every request is the default
 * tenant's admin.
 */
export interface RequestPrincipal {
  tenantId: string;
  role: ApiKeyRole;
  /** The key's id; null when the service runs open. */
  keyId: string | null;
}

export const OPEN_PRINCIPAL: RequestPrincipal = { tenantId: DEFAULT_TENANT, role: 'admin', keyId: null };

export type PrincipalRequest = Request & { principal?: RequestPrincipal };

export function principalOf(req: PrincipalRequest): RequestPrincipal {
  return req.principal ?? OPEN_PRINCIPAL;
}

/** The calling tenant's id, for a controller method's parameter. */
export const CurrentTenant = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): string =>
    principalOf(ctx.switchToHttp().getRequest<PrincipalRequest>()).tenantId,
);

/** The whole principal (tenant, role, key), for a controller method's parameter. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestPrincipal =>
  principalOf(ctx.switchToHttp().getRequest<PrincipalRequest>()),
);
