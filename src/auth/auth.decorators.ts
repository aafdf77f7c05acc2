import { applyDecorators, SetMetadata } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';
import type { ApiKeyRole } from '../tenants/request-principal';

export const IS_PUBLIC = 'docInbox:public';
export const REQUIRED_ROLE = 'docInbox:requiredRole';

/** The OpenAPI security schemes (src/http-app.ts): every operation takes either, unless public. */
export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'apiKey';

/**
 * A route (or controller) anyone may call without a key: health probes, metrics. In the OpenAPI
 * document its operations carry `security: []` (no key needed).
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), noSecurityInOpenApi);

function noSecurityInOpenApi(target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void {
  Reflect.defineMetadata(DECORATORS.API_SECURITY, [], descriptor ? (descriptor.value as object) : target);
}

/**
 * The least role a route needs, instead of the default by method (GET and HEAD: `read`; any
 * other method: `write`). The keys API is `@RequiresRole('admin')`.
 */
export const RequiresRole = (role: ApiKeyRole): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_ROLE, role);

const RANK: Record<ApiKeyRole, number> = { read: 0, write: 1, admin: 2 };

/** admin can do all that write can, write all that read can. */
export function roleAllows(held: ApiKeyRole, needed: ApiKeyRole): boolean {
  return RANK[held] >= RANK[needed];
}

/** The role a route needs when it names none: reading for safe methods, writing for the rest. */
export function defaultRoleFor(method: string): ApiKeyRole {
  return ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase()) ? 'read' : 'write';
}
