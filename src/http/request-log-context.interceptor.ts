import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { Observable } from 'rxjs';
import type { PrincipalRequest } from '../tenants/request-principal';

/**
 * Adds the caller's tenant to the request's log lines once the auth guard has set it (guards run
 * before interceptors); the request-completed line gets it from the logger's customProps.
 */
@Injectable()
export class RequestLogContextInterceptor implements NestInterceptor {
  constructor(private readonly logger: PinoLogger) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const principal = context.switchToHttp().getRequest<PrincipalRequest>().principal;
      if (principal) this.logger.assign({ tenantId: principal.tenantId });
    }
    return next.handle();
  }
}
