import { ValidationError } from '../../../shared/errors.js';
import type { Page, PageRequest } from '../../../shared/ports/repositories.js';

/** One page of an already ordered list; the continuation token is the offset of the next page. */
export function pageOf<T>(ordered: readonly T[], page: PageRequest): Page<T> {
  const start = page.continuationToken === undefined ? 0 : Number(page.continuationToken);
  if (!Number.isInteger(start) || start < 0)
    throw new ValidationError('PAGING.INVALID_TOKEN', `'${page.continuationToken}' is not a continuation token`);
  const end = start + page.top;
  return { items: ordered.slice(start, end), continuationToken: end < ordered.length ? String(end) : null };
}

/** ETags as the tables hand them out: opaque, and a new one on every write. */
export class EtagSource {
  private version = 0;

  next(): string {
    this.version += 1;
    return `W/"memory-${this.version}"`;
  }
}
