import type { Problem } from './types';

/** A failed API call carrying the problem+json the API answered with (or one made up for a network failure). */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
  }
}

export type Query = Record<string, string | number | undefined | null>;

export interface Api {
  get<T>(path: string, query?: Query): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T | undefined>;
  /** Fetches with the bearer token and hands the body to the browser as a file download. */
  download(path: string, query: Query, fallbackName: string): Promise<void>;
}

/** `segment` percent-encoded for a path: user and mailbox keys may hold `#`, `'`, `/` or spaces. */
export const seg = encodeURIComponent;

function url(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return `/api/${path.replace(/^\//, '')}${qs ? `?${qs}` : ''}`;
}

async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (typeof body.title === 'string' || typeof body.detail === 'string') {
      return { title: body.title ?? response.statusText, status: response.status, ...body } as Problem;
    }
  } catch {
    // not JSON: fall through to a generic problem
  }
  return {
    type: 'about:blank',
    title: response.statusText || 'Request failed',
    status: response.status,
    detail: `The API answered HTTP ${response.status}.`,
  };
}

/** The API client of one signed-in session; a 401 calls onUnauthorized (token expired or revoked). */
export function createApi(getToken: () => Promise<string>, onUnauthorized: () => void): Api {
  async function call(method: string, target: string, body?: unknown, accept = 'application/json'): Promise<Response> {
    let response: Response;
    try {
      const token = await getToken();
      response = await fetch(target, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: accept,
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new ApiError({
        type: 'about:blank',
        title: 'Network error',
        status: 0,
        detail: `The API could not be reached: ${(error as Error).message}`,
      });
    }
    if (response.status === 401) onUnauthorized();
    if (!response.ok) throw new ApiError(await problemOf(response));
    return response;
  }

  return {
    async get<T>(path: string, query?: Query): Promise<T> {
      return (await (await call('GET', url(path, query))).json()) as T;
    },
    async send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T | undefined> {
      const response = await call(method, url(path), body);
      if (response.status === 204) return undefined;
      const text = await response.text();
      return text ? (JSON.parse(text) as T) : undefined;
    },
    async download(path: string, query: Query, fallbackName: string): Promise<void> {
      const response = await call('GET', url(path, query), undefined, 'text/csv, */*');
      const disposition = response.headers.get('content-disposition') ?? '';
      const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1];
      const blob = await response.blob();
      const href = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = href;
      link.download = name ? decodeURIComponent(name) : fallbackName;
      document.body.append(link);
      link.click();
      link.remove();
      // Revoke later: some browsers read the blob asynchronously after click().
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
    },
  };
}

/** A message for any error: the problem's detail for API errors. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.problem.detail ?? error.problem.title;
  return error instanceof Error ? error.message : String(error);
}
