/**
 * Consistent pseudonyms for a recording: within one recording the same real value (compared without case)
 * always becomes the same pseudonym, wherever it appears (URL, body, header, error sentence). Structure,
 * field names, types, enum values, error codes and exception type names are kept. See docs/recording.md.
 */

const GUID_ONLY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SID_ONLY = /^S-1-\d+(?:-\d+)+$/i;
const EMAIL_ONLY = /^[^\s@]+@(?:[A-Za-z0-9\u0080-\uFFFF-]+\.)+[A-Za-z\u0080-\uFFFF]{2,}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Top-level domains an FQDN in free text must end with to be taken for a host name (not a .NET type name). */
const TLDS =
  'com|net|org|edu|gov|mil|int|io|co|uk|de|fr|nl|be|ch|at|se|no|dk|fi|es|it|pl|cz|eu|us|ca|au|nz|jp|cn|in|br|ru' +
  '|info|biz|local|lan|corp|internal|example|test';

/**
 * One pass over free text: a URL, an e-mail address, a GUID, a directory SID or a host name, in this order of
 * preference at one position. Whatever lies between matches is scanned for known names (`scanNames`).
 */
const TEXT_TOKENS = new RegExp(
  [
    String.raw`(?<url>https?:\/\/[^\s"'<>\\]+)`,
    String.raw`(?<email>[A-Za-z0-9_\u0080-\uFFFF{][A-Za-z0-9.!#$%&'*+\/=?^_\`{|}~\u0080-\uFFFF-]*` +
      String.raw`@(?:[A-Za-z0-9\u0080-\uFFFF-]+\.)+[A-Za-z\u0080-\uFFFF]{2,})`,
    String.raw`(?<guid>\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)`,
    String.raw`(?<sid>\bS-1-(?:5-21(?:-\d+){3,4}|12-1(?:-\d+){4})\b)`,
    String.raw`(?<host>(?<![\w.@-])(?:[A-Za-z0-9-]+\.)+(?:${TLDS})(?![\w.-]))`,
  ].join('|'),
  'gi',
);

/** Well-known values that identify nobody; kept verbatim (compared without case). */
const KEPT_VALUES = new Set(
  [
    // Exchange's system mailbox (X-AnchorMailbox) and the calendar's built-in entries.
    'bb558c35-97f1-4cb9-8ff7-d53741dc928c',
    'SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}',
    'RGVmYXVsdA==',
    'QW5vbnltb3Vz',
    'My Organization',
    'Default',
    'Anonymous',
    // Built-in accounts and role groups of Exchange Online and Active Directory.
    'Administrator',
    'Organization Management',
    'Discovery Management',
    'Recipient Management',
    'View-Only Organization Management',
    'View-Only Recipients',
    'Compliance Management',
    'Records Management',
    'Hygiene Management',
    'Help Desk',
    'Public Folder Management',
    'Security Administrator',
    'Security Reader',
    'UM Management',
    'Delegated Setup',
    'Server Management',
    'Exchange Servers',
    'Exchange Trusted Subsystem',
    'Exchange Windows Permissions',
    'Managed Availability Servers',
    'Exchange Online Domain Servers',
    'ExchangeServiceAdmins',
    'Domain Admins',
    'Enterprise Admins',
    'Schema Admins',
    'Domain Users',
    'Everyone',
    // Containers in Exchange identities (`<forest>/Microsoft Exchange Hosted Organizations/<tenant>/<name>`).
    'Microsoft Exchange Hosted Organizations',
    'Microsoft Exchange Security Groups',
    'Recipients',
    'Configuration',
  ].map((v) => v.toLowerCase()),
);
const SYSTEM_PREFIXES = ['nt authority\\', 'builtin\\', 'nt service\\'];
/** Suffixes kept on tenant domains: only the tenant's own label is replaced. */
const TENANT_SUFFIXES = [
  'mail.onmicrosoft.com',
  'onmicrosoft.com',
  'mail.onmicrosoft.us',
  'onmicrosoft.us',
  'onmschina.cn',
];

/** Field names (lower case) whose values name a principal: an address, an id, a Name, a DN, `DOMAIN\Name`. */
const IDENTITY_FIELDS = new Set([
  'identity',
  'user',
  'trustee',
  'name',
  'displayname',
  'alias',
  'mailnickname',
  'onpremisessamaccountname',
  'samaccountname',
  'userprincipalname',
  'primarysmtpaddress',
  'windowsemailaddress',
  'mail',
  'address',
  'externaldirectoryobjectid',
  'grantsendonbehalfto',
  'distinguishedname',
  'legacyexchangedn',
  'givenname',
  'surname',
  'emailaddresses',
  'proxyaddresses',
  'usersid',
  'trusteesidstring',
]);
/** Field names (lower case) whose values are vocabulary, not data: kept verbatim. */
const KEPT_FIELDS = new Set([
  '@odata.type',
  'adminapi.warnings@odata.type',
  'grouptypes',
  'usertype',
  'accessrights',
  'accesscontroltype',
  'inheritancetype',
  'recipienttype',
  'recipienttypedetails',
  'role',
  'allowedroles',
  'code',
  'type',
  'cmdletname',
  'status',
  'method',
  'resultsize',
  'includeunresolvedpermissions',
  'content-type',
  'accept',
  'prefer',
  'consistencylevel',
  'retry-after',
  'date',
]);
const URL_FIELDS = new Set(['url', '@odata.nextlink', '@odata.context', '@odata.deltalink', '@odata.id']);
/** Field names (lower case) holding free text the services write: names and addresses inside are replaced. */
const TEXT_FIELDS = new Set(['message', '@adminapi.warnings', 'target', 'x-anchormailbox']);
/** Values of other fields that identify nobody: booleans, numbers, dates. */
const DATE = String.raw`\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?|\/Date\(\d+\)\/`;
const PLAIN_VALUE = new RegExp(String.raw`^(?:|true|false|-?\d+(?:\.\d+)*|${DATE})$`, 'i');
const OPAQUE_QUERY_KEYS = new Set(['$skiptoken', '$deltatoken']);
/** Path segments after these carry an id, UPN or tenant. */
const ID_PATH_PARENTS = new Set(['users', 'groups', 'contacts', 'devices', 'directoryobjects', 'beta']);

export interface PseudonymCounts {
  guids: number;
  emailLocalParts: number;
  domains: number;
  names: number;
  sids: number;
  hosts: number;
  opaqueTokens: number;
  /** Values of fields the product does not read (office, department, server names, …), replaced whole. */
  redactedValues: number;
}

/** The origins of the two services: their URLs become placeholders the replay maps back to its own server. */
export interface ServiceOrigins {
  graph: string;
  exchange: string;
}

class NumberedMap {
  private readonly map = new Map<string, string>();
  constructor(private readonly make: (n: number, original: string) => string) {}

  get(original: string): string {
    const key = original.toLowerCase();
    let value = this.map.get(key);
    if (value === undefined) {
      value = this.make(this.map.size + 1, original);
      this.map.set(key, value);
    }
    return value;
  }

  has(original: string): boolean {
    return this.map.has(original.toLowerCase());
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  get size(): number {
    return this.map.size;
  }
}

/** Characters whose presence changes how a value must be escaped or encoded; a pseudonym keeps them. */
const SIGNIFICANT = `'#%&+?,"();=!$*`;

function markers(original: string, allowed: string = SIGNIFICANT): string {
  let out = '';
  for (const ch of original) if (allowed.includes(ch) && !out.includes(ch)) out += ch;
  // Non-ASCII letters exercise encoding and case folding: keep one.
  if (/\P{ASCII}/u.test(original)) out += 'é';
  return out;
}

function guidBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  const bytes = Buffer.from(hex, 'hex');
  // The first three groups are little-endian in the binary form (as in an Entra SID).
  bytes.subarray(0, 4).reverse();
  bytes.subarray(4, 6).reverse();
  bytes.subarray(6, 8).reverse();
  return bytes;
}

function guidFromBytes(bytes: Buffer): string {
  const b = Buffer.from(bytes);
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function isKept(value: string): boolean {
  const lower = value.trim().toLowerCase();
  return KEPT_VALUES.has(lower) || SYSTEM_PREFIXES.some((p) => lower.startsWith(p));
}

/**
 * Replaces the personal and tenant-identifying values of a recording, consistently. Run every value of the
 * recording through it twice: the first pass learns the names that structured fields carry (so they are also
 * found inside error sentences and OData filters), the second pass (after `freeze`) produces the output.
 */
export class Pseudonymizer {
  private readonly guids = new NumberedMap((n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`);
  private readonly locals = new NumberedMap((n, o) => `${/[^.]\.[^.]/.test(o) ? 'user.' : 'user'}${n}${markers(o)}`);
  private readonly domains = new NumberedMap((n) => `domain${n}.example`);
  private readonly tenantLabels = new NumberedMap((n) => `tenant${n}`);
  private readonly names = new NumberedMap((n, o) => `${/\s/.test(o.trim()) ? 'Name ' : 'Name'}${n}${markers(o)}`);
  private readonly sidDomains = new NumberedMap((n) => `${1000000000 + n}-${2000000000 + n}-${3000000000 + n}`);
  private readonly opaque = new NumberedMap((n) => `opaque${n}`);
  private readonly redacted = new NumberedMap((n) => `redacted${n}`);
  private readonly origins = new Map<string, string>();
  private readonly otherHosts = new NumberedMap((n) => `https://host${n}.invalid`);
  /** Known names by the lower-cased first word, longest first: found again inside free text. */
  private nameIndex: Map<string, string[]> | undefined;

  constructor(services: ServiceOrigins) {
    const graph = new URL(services.graph).origin.toLowerCase();
    const exchange = new URL(services.exchange).origin.toLowerCase();
    if (graph === exchange) this.origins.set(graph, 'https://graph-and-exchange.invalid');
    else {
      this.origins.set(graph, 'https://graph.invalid');
      this.origins.set(exchange, 'https://exchange.invalid');
    }
  }

  /** The placeholder origins of Graph and Exchange in the output. */
  placeholders(services: ServiceOrigins): ServiceOrigins {
    const graph = this.origin(new URL(services.graph).origin);
    return { graph, exchange: this.origin(new URL(services.exchange).origin) };
  }

  /** Ends the learning pass: names learnt so far are looked for inside free text from now on. */
  freeze(): void {
    const index = new Map<string, string[]>();
    for (const name of this.names.keys()) {
      const first = /^[\p{L}\p{N}]+/u.exec(name)?.[0];
      if (!first) continue;
      const list = index.get(first) ?? [];
      list.push(name);
      index.set(first, list);
    }
    for (const list of index.values()) list.sort((a, b) => b.length - a.length);
    this.nameIndex = index;
  }

  /**
   * Real values that must not appear anywhere in the output: every GUID, domain and tenant label replaced, and
   * the names and address local parts distinctive enough to search for (a check, not the mechanism).
   */
  originals(): string[] {
    const distinctive = (v: string, pattern: RegExp, min: number): boolean => v.length >= min && pattern.test(v);
    return [
      ...this.guids.keys(),
      ...[...this.domains.keys()].filter((d) => d.includes('.')),
      ...[...this.tenantLabels.keys()].filter((l) => l.length >= 5),
      ...[...this.names.keys()].filter((n) => distinctive(n, /\s/, 8)),
      ...[...this.locals.keys()].filter((l) => distinctive(l, /\./, 6)),
    ];
  }

  counts(): PseudonymCounts {
    return {
      guids: this.guids.size,
      emailLocalParts: this.locals.size,
      domains: this.domains.size + this.tenantLabels.size,
      names: this.names.size,
      sids: this.sidDomains.size,
      hosts: this.origins.size + this.otherHosts.size,
      opaqueTokens: this.opaque.size,
      redactedValues: this.redacted.size,
    };
  }

  guid(value: string): string {
    return isKept(value) ? value : this.guids.get(value);
  }

  /** A directory SID: the domain part of S-1-5-21-a-b-c[-rid] (RID kept), or the object id inside S-1-12-1-…. */
  sid(value: string): string {
    const parts = value.split('-');
    if (/^S-1-5-21-/i.test(value) && parts.length >= 7) {
      const mapped = this.sidDomains.get(parts.slice(4, 7).join('-'));
      return ['S-1-5-21', mapped, ...parts.slice(7)].join('-');
    }
    if (/^S-1-12-1-/i.test(value) && parts.length === 8) {
      const bytes = Buffer.alloc(16);
      for (const [i, p] of parts.slice(4).entries()) bytes.writeUInt32LE(Number(p) >>> 0, i * 4);
      const guid = guidBytes(this.guid(guidFromBytes(bytes)));
      return ['S-1-12-1', ...[0, 1, 2, 3].map((i) => String(guid.readUInt32LE(i * 4)))].join('-');
    }
    return value;
  }

  email(value: string): string {
    const at = value.lastIndexOf('@');
    const domain = value.slice(at + 1);
    // A guest's UPN (`jane_fabrikam.com#EXT#@…`) keeps its marker; the home address inside is replaced.
    const guest = /#EXT#$/i.exec(value.slice(0, at))?.[0] ?? '';
    const local = value.slice(0, at - guest.length);
    const mappedLocal = isKept(local) ? local : GUID_ONLY.test(local) ? this.guid(local) : this.locals.get(local);
    return `${mappedLocal}${guest}@${this.domain(domain)}`;
  }

  domain(value: string): string {
    const lower = value.toLowerCase().replace(/\.$/, '');
    const suffix = TENANT_SUFFIXES.find((s) => lower.endsWith(`.${s}`));
    if (suffix) return `${this.tenantLabels.get(lower.slice(0, -suffix.length - 1))}.${suffix}`;
    return this.domains.get(lower);
  }

  name(value: string): string {
    if (isKept(value)) return value;
    const pseudonym = this.names.get(value.trim());
    // Case-insensitive equality survives: "AllStaff" and "allstaff" become "Name3" and "name3".
    return value === value.toLowerCase() ? pseudonym.toLowerCase() : pseudonym;
  }

  /** A value that names a principal: address, object id, SID, `DOMAIN\Name`, DN, Exchange identity path or Name. */
  identity(value: string): string {
    const t = value.trim();
    if (t === '' || isKept(t)) return value;
    if (GUID_ONLY.test(t)) return this.guid(t);
    if (SID_ONLY.test(t)) return this.sid(t);
    const proxy = /^(smtp|sip|x500|eum|spo):(.*)$/i.exec(t);
    if (proxy?.[1] !== undefined && proxy[2] !== undefined) return `${proxy[1]}:${this.identity(proxy[2])}`;
    if (EMAIL_ONLY.test(t)) return this.email(t);
    if (/^(cn|ou|dc|o)=/i.test(t)) return this.distinguishedName(t);
    if (t.startsWith('/o=')) return this.legacyDn(t);
    const slash = t.split('/');
    if (slash.length > 1) {
      return slash.map((s) => (isHost(s) ? this.domain(s) : s === '' ? s : this.identity(s))).join('/');
    }
    const backslash = /^([^\\]+)\\([^\\]+)$/.exec(t);
    if (backslash?.[1] !== undefined && backslash[2] !== undefined) {
      return `${this.name(backslash[1])}\\${this.identity(backslash[2])}`;
    }
    return this.name(t);
  }

  /** Free text (error messages, warnings, filters): the token pass, then known names between the tokens. */
  text(value: string): string {
    let out = '';
    let last = 0;
    for (const match of value.matchAll(TEXT_TOKENS)) {
      const index = match.index;
      out += this.scanNames(value.slice(last, index));
      const groups = match.groups ?? {};
      if (groups.url !== undefined) out += this.url(groups.url);
      else if (groups.email !== undefined) out += this.email(groups.email);
      else if (groups.guid !== undefined) out += this.guid(groups.guid);
      else if (groups.sid !== undefined) out += this.sid(groups.sid);
      else if (groups.host !== undefined) out += this.domain(groups.host);
      last = index + match[0].length;
    }
    return out + this.scanNames(value.slice(last));
  }

  /** An absolute or relative URL: origin → placeholder, ids in the path, filters and opaque paging tokens. */
  url(value: string): string {
    const origin = /^https?:\/\/[^/?#]+/i.exec(value)?.[0];
    const rest = origin ? value.slice(origin.length) : value;
    const hash = rest.indexOf('#');
    const beforeHash = hash >= 0 ? rest.slice(0, hash) : rest;
    const fragment = hash >= 0 ? rest.slice(hash) : '';
    const q = beforeHash.indexOf('?');
    const path = q >= 0 ? beforeHash.slice(0, q) : beforeHash;
    const query = q >= 0 ? beforeHash.slice(q + 1) : undefined;

    const segments = path.split('/');
    const mappedPath = segments
      .map((segment, i) => {
        const decoded = safeDecode(segment);
        const parent = (segments[i - 1] ?? '').toLowerCase();
        const carriesId = ID_PATH_PARENTS.has(parent) || GUID_ONLY.test(decoded) || EMAIL_ONLY.test(decoded);
        if (decoded === '' || !carriesId) return segment;
        const mapped = this.identity(decoded);
        return mapped === decoded ? segment : encodeSegment(mapped);
      })
      .join('/');
    const pairs = query === undefined ? undefined : query.split('&').map((pair) => this.queryPair(pair));
    const mappedQuery = pairs === undefined ? '' : `?${pairs.join('&')}`;
    return `${origin ? this.origin(origin) : ''}${mappedPath}${mappedQuery}${fragment ? this.text(fragment) : ''}`;
  }

  /**
   * Any JSON value, by the name of the field holding it: principals, URLs, ids, vocabulary (kept) or free
   * text. Keys are never changed, nor are numbers, booleans and null.
   */
  json(value: unknown, field = ''): unknown {
    if (typeof value === 'string') return this.field(field, value);
    if (Array.isArray(value)) return value.map((v) => this.json(v, field));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) out[key] = this.json(inner, key);
      return out;
    }
    return value;
  }

  /** One string value of field `field`. */
  field(field: string, value: string): string {
    const key = field.toLowerCase();
    if (key === 'authorization') return 'REDACTED';
    if (KEPT_FIELDS.has(key)) return value;
    if (IDENTITY_FIELDS.has(key)) return this.identity(value);
    if (URL_FIELDS.has(key)) return this.url(value);
    if (key === 'id') return this.id(value);
    if (TEXT_FIELDS.has(key)) return this.text(value);
    return this.other(value);
  }

  /**
   * A field the product does not read (a full Get-Mailbox row has hundreds: Office, Department, Database, …):
   * addresses, ids and SIDs keep their type, other text is replaced whole, booleans, numbers and dates stay.
   */
  private other(value: string): string {
    const t = value.trim();
    if (PLAIN_VALUE.test(t)) return value;
    if (GUID_ONLY.test(t) || SID_ONLY.test(t) || EMAIL_ONLY.test(t)) return this.identity(value);
    return this.redacted.get(value);
  }

  private id(value: string): string {
    if (/^\d{1,6}$/.test(value) || isKept(value)) return value;
    if (GUID_ONLY.test(value)) return this.guid(value);
    if (BASE64.test(value)) {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      // Calendar entries' ids are base64 legacy DNs (`/o=ExchangeLabs/…/cn=Recipients/cn=<alias>`).
      if (/^[\x20-\x7e]+$/.test(decoded)) return Buffer.from(this.identity(decoded), 'utf8').toString('base64');
    }
    return this.opaque.get(value);
  }

  private queryPair(pair: string): string {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    const rawKey = pair.slice(0, eq);
    const rawValue = pair.slice(eq + 1);
    const key = safeDecode(rawKey).toLowerCase();
    const decoded = safeDecode(rawValue);
    let mapped: string;
    if (OPAQUE_QUERY_KEYS.has(key)) mapped = this.opaque.get(decoded);
    else if (key === '$filter' || key === '$search') mapped = this.odata(decoded);
    else if (key.startsWith('$')) mapped = decoded;
    else mapped = this.text(decoded);
    return mapped === decoded ? pair : `${rawKey}=${encodeQueryValue(mapped)}`;
  }

  /** An OData expression: every string literal is a principal (address, id, Name or prefix of one). */
  private odata(expression: string): string {
    let out = '';
    let last = 0;
    for (const match of expression.matchAll(/'((?:[^']|'')*)'/g)) {
      out += this.text(expression.slice(last, match.index));
      const literal = (match[1] ?? '').replace(/''/g, "'");
      out += `'${this.identity(literal).replace(/'/g, "''")}'`;
      last = match.index + match[0].length;
    }
    return out + this.text(expression.slice(last));
  }

  private distinguishedName(dn: string): string {
    const parts = dn.split(/(?<!\\),/);
    const out: string[] = [];
    for (let i = 0; i < parts.length; ) {
      const part = parts[i] ?? '';
      const eq = part.indexOf('=');
      const type = part.slice(0, eq).trim();
      if (type.toLowerCase() === 'dc') {
        const run: string[] = [];
        while (i < parts.length && /^\s*dc=/i.test(parts[i] ?? '')) run.push((parts[i++] ?? '').split('=')[1] ?? '');
        for (const label of this.domain(run.join('.')).split('.')) out.push(`${type}=${label}`);
        continue;
      }
      out.push(`${type}=${this.name(part.slice(eq + 1))}`);
      i += 1;
    }
    return out.join(',');
  }

  private legacyDn(dn: string): string {
    return dn
      .split('/')
      .map((part) => {
        const eq = part.indexOf('=');
        if (eq < 0 || part.slice(0, eq).toLowerCase() !== 'cn') return part;
        return `${part.slice(0, eq)}=${this.name(part.slice(eq + 1))}`;
      })
      .join('/');
  }

  private origin(origin: string): string {
    const lower = origin.toLowerCase();
    return this.origins.get(lower) ?? this.otherHosts.get(lower);
  }

  /** Known names inside text: a quoted span that is one (any length), or a run of words (3+ characters). */
  private scanNames(text: string): string {
    const index = this.nameIndex;
    if (!index || text === '') return text;
    const lower = text.toLowerCase();
    let out = '';
    let i = 0;
    while (i < text.length) {
      if (text[i] === "'") {
        const close = text.indexOf("'", i + 1);
        const inner = close > i ? text.slice(i + 1, close) : undefined;
        if (inner !== undefined && inner.trim() !== '' && this.names.has(inner.trim()) && !isKept(inner)) {
          out += `'${this.name(inner)}'`;
          i = close + 1;
          continue;
        }
      }
      const wordStart = /[\p{L}\p{N}]/u.test(text[i] ?? '') && (i === 0 || !/[\p{L}\p{N}]/u.test(text[i - 1] ?? ''));
      if (wordStart) {
        const word = /^[\p{L}\p{N}]+/u.exec(lower.slice(i))?.[0] ?? '';
        const endsWord = (name: string): boolean => !/[\p{L}\p{N}]/u.test(text[i + name.length] ?? '');
        const candidates = index.get(word) ?? [];
        const found = candidates.find((name) => name.length >= 3 && lower.startsWith(name, i) && endsWord(name));
        if (found && !isKept(found)) {
          out += this.name(text.slice(i, i + found.length));
          i += found.length;
          continue;
        }
      }
      out += text[i];
      i += 1;
    }
    return out;
  }
}

function isHost(value: string): boolean {
  return new RegExp(`^(?:[A-Za-z0-9-]+\\.)+(?:${TLDS})$`, 'i').test(value);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(/'/g, '%27');
}

function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/'/g, '%27');
}
