import { X509Certificate, createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JWK } from 'jose';
import { generate } from 'selfsigned';

export interface SimulatorTls {
  keyPem: string;
  certPem: string;
  /** The certificate alone: point NODE_EXTRA_CA_CERTS (or `ca`) at it. */
  caCertPath: string;
}

export interface ApiSigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

const TLS_FILE = 'simulator-tls.json';
const CA_FILE = 'simulator-ca.pem';
const API_KEY_FILE = 'api-signing-key.json';
/** Regenerate the certificate when it has less than this left. */
const RENEW_BEFORE_MS = 24 * 3600 * 1000;

/** The repository root (the directory holding package.json), from source or from dist/. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'tsconfig.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Default certDir: `<repo>/.certs` (git-ignored). */
export function defaultCertDir(): string {
  return path.join(repoRoot(), '.certs');
}

/**
 * Writes `content` to `file` only if it does not exist yet, atomically; returns what is on disk
 * afterwards. Several processes may start simulators at once: whoever links first wins and
 * everyone then uses the winner's file, so all of them serve the same certificate and key.
 */
function createOnce(file: string, content: string, replace: boolean): string {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  try {
    if (replace) renameSync(tmp, file);
    else {
      try {
        linkSync(tmp, file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
  return readFileSync(file, 'utf8');
}

function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

function usable(certPem: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    return new Date(cert.validTo).getTime() - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

async function newTlsPair(): Promise<{ keyPem: string; certPem: string }> {
  const notBeforeDate = new Date(Date.now() - 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'Mailbox Permission Sync tenant simulator' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  return { keyPem: pems.private, certPem: pems.cert };
}

/** Loads the simulator's TLS certificate from certDir, creating it once (or again when missing or expiring). */
export async function ensureSimulatorTls(certDir: string = defaultCertDir()): Promise<SimulatorTls> {
  mkdirSync(certDir, { recursive: true });
  const file = path.join(certDir, TLS_FILE);
  const caCertPath = path.join(certDir, CA_FILE);
  let stored: { keyPem: string; certPem: string } | undefined;
  if (existsSync(file)) {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keyPem?: unknown; certPem?: unknown };
      if (typeof parsed.keyPem === 'string' && typeof parsed.certPem === 'string' && usable(parsed.certPem)) {
        stored = { keyPem: parsed.keyPem, certPem: parsed.certPem };
      }
    } catch {
      stored = undefined;
    }
  }
  if (stored === undefined) {
    const fresh = await newTlsPair();
    stored = JSON.parse(createOnce(file, JSON.stringify(fresh), existsSync(file))) as {
      keyPem: string;
      certPem: string;
    };
  }
  if (!existsSync(caCertPath) || readFileSync(caCertPath, 'utf8') !== stored.certPem)
    writeAtomic(caCertPath, stored.certPem);
  return { keyPem: stored.keyPem, certPem: stored.certPem, caCertPath };
}

/** Loads (or creates once) the RSA key that signs tokens for our own API; published in the simulator's JWKS. */
export function ensureApiSigningKey(certDir: string = defaultCertDir()): ApiSigningKey {
  mkdirSync(certDir, { recursive: true });
  const file = path.join(certDir, API_KEY_FILE);
  let text: string;
  if (existsSync(file)) text = readFileSync(file, 'utf8');
  else {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' }) as JWK;
    const kid = createHash('sha256').update(String(jwk.n)).digest('base64url').slice(0, 16);
    text = createOnce(file, JSON.stringify({ kid, privateJwk: jwk }), false);
  }
  const parsed = JSON.parse(text) as { kid: string; privateJwk: JWK };
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = parsed.privateJwk;
  return { kid: parsed.kid, privateJwk: parsed.privateJwk, publicJwk };
}

const CLIENT_CERT_FILE = 'client-cert.pem';

/**
 * Loads (or creates once) a certificate for the app registration's private_key_jwt credential:
 * one PEM file holding the private key and the certificate, as AZURE_CLIENT_CERTIFICATE_PATH expects.
 */
export async function ensureClientCertificate(
  certDir: string = defaultCertDir(),
): Promise<{ path: string; certPem: string }> {
  mkdirSync(certDir, { recursive: true });
  const file = path.join(certDir, CLIENT_CERT_FILE);
  const certOf = (pem: string): string | undefined =>
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (existsSync(file)) {
    const cert = certOf(readFileSync(file, 'utf8'));
    if (cert !== undefined && usable(cert)) return { path: file, certPem: `${cert}\n` };
  }
  const notBeforeDate = new Date(Date.now() - 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'Mailbox Permission Sync app (simulator)' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 365 * 24 * 3600 * 1000),
  });
  const text = createOnce(file, `${pems.private.trim()}\n${pems.cert.trim()}\n`, existsSync(file));
  return { path: file, certPem: `${certOf(text) ?? pems.cert}\n` };
}
