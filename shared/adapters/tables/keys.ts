import { ValidationError } from '../../errors.js';

/** Azure Table Storage allows up to 1 KiB per key; docs/design.md §7 keeps ours to 512 characters. */
export const MAX_KEY_LENGTH = 512;

/** Forbidden in PartitionKey/RowKey: / \ # ? and control characters (U+0000–U+001F, U+007F–U+009F). */
function isForbidden(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f) || ch === '/' || ch === '\\' || ch === '#' || ch === '?';
}

const percentEscape = (ch: string) => `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * Encodes any well-formed string into a legal table key (percent-escaping the forbidden characters),
 * or throws a ValidationError naming the problem. `decodeKey(encodeKey(x)) === x` for every accepted x.
 */
export function encodeKey(value: string, what = 'key'): string {
  if (value.length === 0) throw new ValidationError('KEY.EMPTY', `${what} must not be empty`);
  if (!value.isWellFormed())
    throw new ValidationError('KEY.MALFORMED', `${what} contains an unpaired surrogate (not valid Unicode)`);
  // '%' is escaped too so that encoding is reversible.
  const encoded = Array.from(value, (ch) => (ch === '%' || isForbidden(ch) ? percentEscape(ch) : ch)).join('');
  if (encoded.length > MAX_KEY_LENGTH) {
    throw new ValidationError(
      'KEY.TOO_LONG',
      `${what} is too long (${encoded.length} characters once encoded; at most ${MAX_KEY_LENGTH})`,
    );
  }
  return encoded;
}

/** Reverses encodeKey. */
export function decodeKey(key: string): string {
  return key.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Throws unless `key` is already a legal table key (for keys the code builds itself, e.g. ids and timestamps). */
export function assertKey(key: string, what = 'key'): string {
  if (key.length === 0) throw new ValidationError('KEY.EMPTY', `${what} must not be empty`);
  if (key.length > MAX_KEY_LENGTH)
    throw new ValidationError('KEY.TOO_LONG', `${what} is longer than ${MAX_KEY_LENGTH} characters`);
  const bad = Array.from(key).find(isForbidden);
  if (bad !== undefined)
    throw new ValidationError(
      'KEY.FORBIDDEN_CHARACTER',
      `${what} contains the forbidden character U+${bad.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
    );
  return key;
}

/** A RowKey that sorts newest first: (max - epoch ms) zero-padded, plus a tiebreaker. */
export function reverseTimeKey(at: Date, tiebreaker = ''): string {
  const inverted = (8_640_000_000_000_000 - at.getTime()).toString().padStart(16, '0');
  return tiebreaker ? `${inverted}_${tiebreaker}` : inverted;
}
