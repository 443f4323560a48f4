/**
 * The one place OData string literals are built. Graph filters embed user input (addresses, names);
 * doubling `'` is the OData escape, so input can never close the literal and inject a clause.
 */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Encodes a query string for Graph: values percent-encoded so `#`, `&`, `+` and `'` survive transport. */
export function queryString(params: Readonly<Record<string, string | number | undefined>>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    parts.push(`${key}=${encodeURIComponent(String(value)).replace(/'/g, '%27')}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Encodes one URL path segment (ids and UPNs such as `o'brien#ops@contoso.com`). */
export function pathSegment(value: string): string {
  return encodeURIComponent(value).replace(/'/g, '%27');
}
