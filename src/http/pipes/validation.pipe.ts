import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { InvalidRequest } from '../../common/errors';

/** Type rules go first: "cursor must be a string" says more about `?cursor=a&cursor=b` than its length. */
const FIRST_RULES = ['whitelistValidation', 'isDefined', 'isString', 'isInt', 'isNumber', 'isBoolean', 'isArray'];

/**
 * One message per wrong property, joined: the rule that matters most, not every rule the value
 * broke ("limit must be an integer from 1 to 100", never three messages about one value).
 */
export function validationMessages(errors: readonly ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    const rule = FIRST_RULES.find((r) => r in constraints) ?? Object.keys(constraints)[0];
    const own = rule === undefined ? [] : [constraints[rule]];
    return [...own, ...validationMessages(error.children ?? [], path)];
  });
}

/** The app's ValidationPipe: strict DTOs, and a 400 with one message per property that is wrong. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => new InvalidRequest(validationMessages(errors).join('; ')),
  });
}
