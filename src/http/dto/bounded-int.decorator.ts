import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy } from 'class-validator';
import { boundedIntMessage, parseBoundedInt, type IntegerBounds } from '../pipes/parse-bounded-int.pipe';

/**
 * An optional integer query field within bounds, documented with them: one rule with one message
 * ("limit must be an integer from 1 to 100") for "abc", "1.5", "0" or "1e9" alike.
 */
export function OptionalBoundedInt(bounds: IntegerBounds & { default?: number; description?: string }) {
  return applyDecorators(
    ApiPropertyOptional({
      type: 'integer',
      minimum: bounds.min,
      maximum: bounds.max,
      default: bounds.default,
      description: bounds.description,
    }),
    IsOptional(),
    // A value that is no integer in bounds stays as sent, so the rule below refuses it.
    Transform(({ value }: { value: unknown }) => parseBoundedInt(value, bounds) ?? value),
    ValidateBy({
      name: 'boundedInt',
      validator: {
        validate: (value: unknown) => parseBoundedInt(value, bounds) !== undefined,
        defaultMessage: (args) => boundedIntMessage(args?.property ?? 'value', bounds),
      },
    }),
  );
}
