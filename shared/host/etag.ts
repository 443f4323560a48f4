import { createHash } from 'node:crypto';
import type { HttpRequest } from '@azure/functions';
import type { ApiResult } from './http.js';

/** A JSON (or text) result with a strong ETag; answers 304 when the client's If-None-Match matches. */
export function withEtag(request: HttpRequest, result: ApiResult): ApiResult {
  const payload = result.text ?? JSON.stringify(result.json ?? null);
  const etag = `"${createHash('sha256').update(payload).digest('base64url').slice(0, 27)}"`;
  const ifNoneMatch = request.headers.get('if-none-match');
  // Delegation data stays out of every cache (browser disk included); a client keeps the ETag itself to revalidate.
  const headers = { ...(result.headers ?? {}), ETag: etag, 'Cache-Control': 'no-store' };
  if (ifNoneMatch?.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}` || t.trim() === '*')) {
    return { status: 304, headers };
  }
  return { ...result, headers };
}
