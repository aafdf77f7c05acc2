import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { AppConfig } from '../config/app-config';
import {
  OPEN_PRINCIPAL,
  type ApiKeyRole,
  type PrincipalRequest,
  type RequestPrincipal,
} from '../tenants/request-principal';
import { ApiKeyStore } from './api-key-store';
import { Forbidden, Unauthenticated } from './auth-errors';
import { defaultRoleFor, IS_PUBLIC, REQUIRED_ROLE, roleAllows } from './auth.decorators';

/**
 * The global guard (APP_GUARD): every route needs a key unless it is `@Public()`. It reads
 * `Authorization: Bearer <key>` or `X-API-Key: <key>`, looks the key up (no cache: a revoke
 * takes effect on the next request), sets `req.principal`, and checks the route's role
 * (`@RequiresRole`, else read for GET/HEAD, write for the rest). A keyless request is let in as
 * OPEN_PRINCIPAL only with AUTH_DISABLED=true, or while no key is active and the server may run
 * open (a loopback HOST, not production).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyStore,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<PrincipalRequest>();
    try {
      req.principal = await this.principalFor(req);
    } catch (err) {
      if (err instanceof Unauthenticated) {
        context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="doc-inbox"');
      }
      throw err;
    }
    const needed =
      this.reflector.getAllAndOverride<ApiKeyRole | undefined>(REQUIRED_ROLE, targets) ?? defaultRoleFor(req.method);
    if (!roleAllows(req.principal.role, needed)) {
      throw new Forbidden(
        `this key's role is '${req.principal.role}'; ${req.method} ${req.path} needs '${needed}' ` +
          '(read: GET requests; write: uploads, cancel, retry, delete, labels; admin: keys and tenant settings)',
      );
    }
    return true;
  }

  private async principalFor(req: PrincipalRequest): Promise<RequestPrincipal> {
    if (this.config.auth.disabled) return OPEN_PRINCIPAL;
    const key = presentedKey(req);
    if (key === null) {
      // Open only where nobody else can connect, and only until the first key is created.
      if (!this.config.auth.required && !(await this.keys.anyActive())) return OPEN_PRINCIPAL;
      throw new Unauthenticated('this request carries no API key');
    }
    const principal = await this.keys.authenticate(key);
    if (!principal) throw new Unauthenticated('the API key is unknown or revoked');
    return principal;
  }
}

/** The key of `Authorization: Bearer` or `X-API-Key`; null when neither is sent. */
function presentedKey(req: PrincipalRequest): string | null {
  const authorization = req.headers.authorization?.trim();
  const header = req.headers['x-api-key'];
  const apiKey = (Array.isArray(header) ? header[0] : header)?.trim() || undefined;
  let bearer: string | undefined;
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new Unauthenticated("the Authorization header is not 'Bearer <key>'");
    bearer = match[1];
  }
  if (bearer && apiKey && bearer !== apiKey) {
    throw new Unauthenticated('Authorization and X-API-Key carry different keys; send one');
  }
  return bearer ?? apiKey ?? null;
}
