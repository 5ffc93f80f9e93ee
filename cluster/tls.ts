/**
 * A certificate authority and server certificates for one cluster, so the app can connect the way
 * RDS wants it: TLS required, the server's certificate verified against a CA the app holds
 * (`ssl: { require: true, rejectUnauthorized: true, ca }`).
 *
 * Node's crypto makes and signs keys but has no API to issue an X.509 certificate, and the host
 * may have no openssl; a certificate is a small DER structure (RFC 5280), so it is written here:
 * ECDSA P-256 keys, SHA-256 signatures, v3 extensions. Tests check the result with Node's own
 * X509Certificate and with a real TLS handshake, and PostgreSQL serves it.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import net from 'node:net';

// --- DER, just what a certificate needs -----------------------------------------------------

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}
const seq = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const explicit = (n: number, item: Buffer) => der(0xa0 + n, item);
const octets = (b: Buffer) => der(0x04, b);
const bits = (b: Buffer, unused = 0) => der(0x03, Buffer.concat([Buffer.from([unused]), b]));
const bool = (v: boolean) => der(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));

/**
 * A non-negative DER INTEGER in its one minimal form: leading zero bytes dropped (OpenSSL refuses a
 * padded integer, "illegal padding"), one zero byte put back when the first bit would read as a sign.
 */
export function derInteger(value: Buffer | number): Buffer {
  let b = typeof value === 'number' ? Buffer.from([value]) : value;
  let start = 0;
  while (start < b.length - 1 && b[start] === 0) start++;
  b = b.subarray(start);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return der(0x02, b);
}
const integer = derInteger;

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const part of rest) {
    const chunk = [part & 0x7f];
    for (let v = part >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime (YYMMDDHHMMSSZ), valid for years before 2050. */
function time(date: Date): Buffer {
  const s = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return der(0x17, Buffer.from(`${s}Z`));
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

const name = (cn: string) => seq(set(seq(oid(OID.commonName), utf8(cn))));
const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

function subjectAltName(names: string[]): Buffer {
  return seq(
    ...names.map((n) =>
      net.isIPv4(n)
        ? der(0x87, Buffer.from(n.split('.').map(Number))) // [7] iPAddress
        : der(0x82, Buffer.from(n, 'ascii')), // [2] dNSName
    ),
  );
}

// --- certificates -----------------------------------------------------------------------------

export interface IssuedCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS#8). */
  key: string;
}

export interface ClusterTls {
  /** The CA's certificate, which the app trusts. Its key is not kept: nothing signs again, and a key that does not exist cannot leak. */
  ca: { cert: string };
  /** One server certificate per node name. */
  servers: Record<string, IssuedCertificate>;
}

function pem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function issue(options: {
  subject: string;
  publicKey: KeyObject;
  issuer: string;
  issuerKey: KeyObject;
  ca: boolean;
  altNames?: string[];
  days: number;
}): Buffer {
  const now = Date.now();
  const extensions = options.ca
    ? [
        extension(OID.basicConstraints, true, seq(bool(true))),
        // keyCertSign (bit 5) and cRLSign (bit 6): 0b0000_0110, one unused bit.
        extension(OID.keyUsage, true, bits(Buffer.from([0x06]), 1)),
      ]
    : [
        extension(OID.basicConstraints, true, seq()),
        // digitalSignature (bit 0), seven unused bits: all an ECDSA server key does.
        extension(OID.keyUsage, true, bits(Buffer.from([0x80]), 7)),
        extension(OID.extKeyUsage, false, seq(oid(OID.serverAuth))),
        extension(OID.subjectAltName, false, subjectAltName(options.altNames ?? [])),
      ];
  const algorithm = seq(oid(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  const tbs = seq(
    explicit(0, integer(2)), // v3
    integer(serial),
    algorithm,
    name(options.issuer),
    // An hour back: the nodes' clocks are the host's, but a certificate must not be born in the future.
    seq(time(new Date(now - 3600_000)), time(new Date(now + options.days * 86_400_000))),
    name(options.subject),
    options.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  return seq(tbs, algorithm, bits(sign('sha256', tbs, options.issuerKey)));
}

function keyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/**
 * A CA for the cluster and, for each node, a certificate naming the node, the floating endpoint
 * (whichever node holds it answers to that name) and 127.0.0.1 (the host reaches nodes through
 * published ports).
 */
export function generateClusterTls(cluster: string, nodes: string[], endpointAlias: string, days = 825): ClusterTls {
  const caKeys = keyPair();
  const caName = `flipdrill ${cluster} CA`;
  const ca = { cert: pem('CERTIFICATE', issue({ subject: caName, publicKey: caKeys.publicKey, issuer: caName, issuerKey: caKeys.privateKey, ca: true, days })) };
  const servers: Record<string, IssuedCertificate> = {};
  for (const node of nodes) {
    const keys = keyPair();
    servers[node] = {
      cert: pem('CERTIFICATE', issue({ subject: node, publicKey: keys.publicKey, issuer: caName, issuerKey: caKeys.privateKey, ca: false, altNames: [node, endpointAlias, 'localhost', '127.0.0.1'], days })),
      key: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  }
  return { ca, servers };
}

/** For tests: a certificate authority nobody in the cluster trusts. */
export function generateUnrelatedCa(): string {
  const keys = keyPair();
  return pem('CERTIFICATE', issue({ subject: 'not the cluster CA', publicKey: keys.publicKey, issuer: 'not the cluster CA', issuerKey: keys.privateKey, ca: true, days: 30 }));
}
