import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type ErrorCode } from '@mieruka/protocol';
import { HTTP_STATUS, httpStatusFor } from './http-errors.js';

describe('error code → HTTP status', () => {
  it('maps every protocol error code to a 4xx/5xx status', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const status = httpStatusFor(code);
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
    }
    expect(Object.keys(HTTP_STATUS).sort()).toEqual([...Object.keys(ERROR_CODES), 'INTERNAL'].sort());
  });

  it('keeps the client/server split where it matters', () => {
    expect(httpStatusFor('UNAUTHORIZED')).toBe(401);
    expect(httpStatusFor('FORBIDDEN')).toBe(403);
    expect(httpStatusFor('NOT_FOUND')).toBe(404);
    expect(httpStatusFor('RATE_LIMITED')).toBe(429);
    expect(httpStatusFor('BAD_REQUEST')).toBe(400);
    expect(httpStatusFor('INTERNAL')).toBe(500);
  });
});
