import type { ValidationError } from '@nestjs/common';
import { validationMessages } from '../../src/http/pipes/validation.pipe';

const error = (property: string, constraints: Record<string, string>, children: ValidationError[] = []) =>
  ({ property, constraints, children }) as ValidationError;

describe('validationMessages', () => {
  it('gives one message per property, the type rule first', () => {
    expect(
      validationMessages([
        error('cursor', {
          maxLength: 'cursor must be shorter than 200 characters',
          isString: 'cursor must be a string',
        }),
        error('status', { isIn: 'status must be one of: pending, completed' }),
      ]),
    ).toEqual(['cursor must be a string', 'status must be one of: pending, completed']);
  });

  it('takes the first rule when none is a type rule, and walks nested properties', () => {
    expect(
      validationMessages([
        error('label', { matches: 'label must be a category id', maxLength: 'too long' }),
        { property: 'options', children: [error('mode', { isIn: 'mode must be one of: a, b' })] } as ValidationError,
      ]),
    ).toEqual(['label must be a category id', 'mode must be one of: a, b']);
  });
});
