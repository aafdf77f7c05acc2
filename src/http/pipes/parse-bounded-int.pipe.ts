import { createParamDecorator, Injectable, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import type { Request } from 'express';
import { ApiParam } from '@nestjs/swagger';
import { InvalidRequest } from '../../common/errors';

/** The largest value of a PostgreSQL `integer`: a bigger number would fail in SQL, as a 500. */
export const MAX_INT32 = 2_147_483_647;

export interface IntegerBounds {
  min: number;
  max: number;
}

const INTEGER = /^[+-]?\d{1,16}$/;

/**
 * The integer a path or query value spells, or undefined when it is not a decimal integer within
 * the bounds ("1.5", "1e3", "0x10", "", "abc" and "99999999999" are not).
 */
export function parseBoundedInt(value: unknown, { min, max }: IntegerBounds): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && INTEGER.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

/** One message for every way a value can be wrong, rather than one per rule it broke. */
export function boundedIntMessage(name: string, { min, max }: IntegerBounds): string {
  return `${name} must be an integer from ${min} to ${max}`;
}

/** A path parameter that must be an integer within bounds, else 400 saying which. */
@Injectable()
export class ParseBoundedIntPipe implements PipeTransform<unknown, number> {
  constructor(
    private readonly name: string,
    private readonly bounds: IntegerBounds,
  ) {}

  transform(value: unknown): number {
    const n = parseBoundedInt(value, this.bounds);
    if (n === undefined) throw new InvalidRequest(boundedIntMessage(this.name, this.bounds));
    return n;
  }
}

/**
 * The raw path parameter. `@Param(name)` would let the global ValidationPipe turn "1e3" into 1000
 * and "0x1" into 1 before our pipe sees it; it leaves custom decorators alone.
 */
const RawPathParam = createParamDecorator(
  (name: string, context: ExecutionContext): unknown => context.switchToHttp().getRequest<Request>().params[name],
);

/** A bounded integer path parameter, checked by ParseBoundedIntPipe and documented with its bounds. */
export function BoundedIntParam(name: string, bounds: IntegerBounds, description?: string): ParameterDecorator {
  return (target, key, index) => {
    RawPathParam(name, new ParseBoundedIntPipe(name, bounds))(target, key, index);
    if (key === undefined) return;
    const method = Object.getOwnPropertyDescriptor(target, key);
    if (!method) return;
    ApiParam({ name, description, schema: { type: 'integer', minimum: bounds.min, maximum: bounds.max } })(
      target,
      key,
      method,
    );
  };
}
