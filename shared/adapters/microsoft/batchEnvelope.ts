import { PermanentUpstreamError } from '../../errors.js';

export interface BatchAnswer {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: unknown;
}

/** Reads a `$batch` response envelope (Graph and Exchange share it) into answers keyed by request id. */
export function readBatchResponses(json: unknown, operation: string): Map<string, BatchAnswer> {
  const responses = (json as { responses?: unknown } | undefined)?.responses;
  if (!Array.isArray(responses)) {
    throw new PermanentUpstreamError('MICROSOFT.BAD_BATCH', `${operation}: the response has no "responses" array`);
  }
  const answers = new Map<string, BatchAnswer>();
  for (const entry of responses) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { id, status, headers, body } = entry as {
      id?: unknown;
      status?: unknown;
      headers?: unknown;
      body?: unknown;
    };
    if (typeof id !== 'string' && typeof id !== 'number') continue;
    const lowered: Record<string, string> = {};
    if (typeof headers === 'object' && headers !== null) {
      for (const [name, value] of Object.entries(headers)) {
        if (typeof value === 'string' || typeof value === 'number') lowered[name.toLowerCase()] = String(value);
      }
    }
    answers.set(String(id), { status: typeof status === 'number' ? status : Number(status), headers: lowered, body });
  }
  return answers;
}
