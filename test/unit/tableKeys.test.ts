import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors.js';
import { MAX_KEY_LENGTH, assertKey, decodeKey, encodeKey, reverseTimeKey } from '../../shared/adapters/tables/keys.js';

// \p{Cc} is exactly U+0000–U+001F and U+007F–U+009F, the control characters Table Storage rejects in keys.
const FORBIDDEN = /[/\\#?\p{Cc}]/u;

describe('table keys', () => {
  it('any string either round-trips into a legal key or is rejected with a clear error', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 600 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.string({ maxLength: 50 }).map((s) => `${s}/#?\\\u0001%${s}`),
        ),
        (value) => {
          let key: string;
          try {
            key = encodeKey(value, 'mailbox');
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            expect((error as Error).message).toMatch(
              /^mailbox (must not be empty|contains an unpaired surrogate|is too long)/,
            );
            return;
          }
          expect(key).not.toMatch(FORBIDDEN);
          expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH);
          expect(decodeKey(key)).toBe(value);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ["o'brien#ops@contoso.com", "o'brien%23ops@contoso.com"],
    ['a/b\\c?d', 'a%2Fb%5Cc%3Fd'],
    ['100%', '100%25'],
    ['Zoë Åström', 'Zoë Åström'],
  ])('encodes %j', (input, expected) => {
    expect(encodeKey(input)).toBe(expected);
    expect(decodeKey(expected)).toBe(input);
  });

  it('rejects empty, over-long and malformed input naming the problem', () => {
    expect(() => encodeKey('', 'user')).toThrow('user must not be empty');
    expect(() => encodeKey('x'.repeat(MAX_KEY_LENGTH + 1), 'user')).toThrow(/user is too long/);
    expect(() => encodeKey('#'.repeat(200), 'user')).toThrow(/too long \(600 characters once encoded/);
    expect(() => encodeKey('\ud800', 'user')).toThrow(/unpaired surrogate/);
  });

  it('assertKey rejects forbidden characters in keys the code builds', () => {
    expect(assertKey('run_1')).toBe('run_1');
    expect(() => assertKey('a#b', 'runId')).toThrow('runId contains the forbidden character U+0023');
  });

  it('reverseTimeKey sorts newest first', () => {
    const older = reverseTimeKey(new Date('2026-01-01T00:00:00Z'));
    const newer = reverseTimeKey(new Date('2026-06-01T00:00:00Z'));
    expect(newer < older).toBe(true);
    expect(newer).toHaveLength(16);
  });
});
