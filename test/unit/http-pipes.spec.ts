import { idForMessage, JobNotFound, InvalidRequest } from '../../src/common/errors';
import {
  boundedIntMessage,
  MAX_INT32,
  parseBoundedInt,
  ParseBoundedIntPipe,
} from '../../src/http/pipes/parse-bounded-int.pipe';
import { ParseJobIdPipe } from '../../src/http/pipes/parse-job-id.pipe';

describe('ParseJobIdPipe', () => {
  const pipe = new ParseJobIdPipe();

  it('passes a UUID through, in either case', () => {
    expect(pipe.transform('6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10')).toBe('6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10');
    expect(pipe.transform('6F1C2B9E-2A5E-4D7F-9A43-2F7B8E3C1D10')).toBe('6F1C2B9E-2A5E-4D7F-9A43-2F7B8E3C1D10');
  });

  it.each(['not-a-uuid', '', '6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d1', "' or 1=1 --", '6f1c2b9e2a5e4d7f9a432f7b8e3c1d10'])(
    'answers 404 job not found for %p',
    (id) => {
      expect(() => pipe.transform(id)).toThrow(JobNotFound);
      expect(() => pipe.transform(id)).toThrow(`job ${id} not found`);
    },
  );

  it('does not echo a 10,000-character id', () => {
    const id = 'a'.repeat(10_000);
    let error: unknown;
    try {
      pipe.transform(id);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(JobNotFound);
    expect((error as JobNotFound).status).toBe(404);
    expect((error as JobNotFound).message).toBe(`job ${'a'.repeat(64)}… (10000 characters) not found`);
  });
});

describe('idForMessage', () => {
  it('keeps an id of up to 64 characters whole and cuts a longer one, saying how long it was', () => {
    expect(idForMessage('x'.repeat(64))).toBe('x'.repeat(64));
    expect(idForMessage('x'.repeat(65))).toBe(`${'x'.repeat(64)}… (65 characters)`);
  });
});

describe('parseBoundedInt and ParseBoundedIntPipe', () => {
  const bounds = { min: 0, max: MAX_INT32 };

  it.each([
    ['0', 0],
    ['7', 7],
    ['+7', 7],
    ['007', 7],
    ['2147483647', MAX_INT32],
  ])('reads %p as %p', (raw, n) => {
    expect(parseBoundedInt(raw, bounds)).toBe(n);
    expect(new ParseBoundedIntPipe('position', bounds).transform(raw)).toBe(n);
  });

  it.each(['2147483648', '-1', '1.5', '1e3', '0x1', ' 1', '', 'abc', '99999999999999999999', 'NaN', 'Infinity'])(
    'refuses %p with one message naming the bounds',
    (raw) => {
      expect(parseBoundedInt(raw, bounds)).toBeUndefined();
      const pipe = new ParseBoundedIntPipe('position', bounds);
      expect(() => pipe.transform(raw)).toThrow(InvalidRequest);
      expect(() => pipe.transform(raw)).toThrow('position must be an integer from 0 to 2147483647');
    },
  );

  it('takes numbers and refuses other types', () => {
    expect(parseBoundedInt(5, { min: 1, max: 100 })).toBe(5);
    expect(parseBoundedInt(5.5, { min: 1, max: 100 })).toBeUndefined();
    expect(parseBoundedInt(['5'], { min: 1, max: 100 })).toBeUndefined();
    expect(parseBoundedInt(undefined, { min: 1, max: 100 })).toBeUndefined();
    expect(boundedIntMessage('limit', { min: 1, max: 100 })).toBe('limit must be an integer from 1 to 100');
  });
});
