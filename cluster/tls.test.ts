import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { derInteger, generateClusterTls, generateUnrelatedCa } from './tls.ts';

/** A real TLS handshake on 127.0.0.1: the server presents `cert`, the client trusts only `ca`. */
async function handshake(cert: { cert: string; key: string }, ca: string, servername: string): Promise<{ authorized: boolean; error?: string }> {
  const server = tls.createServer({ cert: cert.cert, key: cert.key }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, ca, servername, rejectUnauthorized: true }, () => {
        resolve({ authorized: socket.authorized });
        socket.end();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve({ authorized: false, error: error.code }));
    });
  } finally {
    server.close();
  }
}

describe('derInteger', () => {
  it('writes each non-negative integer in its one minimal form', () => {
    const hex = (b: number[] | number) => derInteger(typeof b === 'number' ? b : Buffer.from(b)).toString('hex');
    expect(hex(2)).toBe('020102');
    expect(hex([0x00, 0x05])).toBe('020105');
    expect(hex([0x00, 0x00, 0x7f, 0x01])).toBe('02027f01');
    expect(hex([0x80])).toBe('02020080');
    expect(hex([0x00, 0x80])).toBe('02020080');
    expect(hex([0x00, 0x00])).toBe('020100');
  });
});

describe('generateClusterTls', () => {
  const made = generateClusterTls('test', ['node1', 'node2'], 'pg-primary');

  it('makes a CA and server certificates that Node parses, signed by that CA, for the right names', () => {
    const ca = new X509Certificate(made.ca.cert);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=flipdrill test CA');
    for (const node of ['node1', 'node2']) {
      const cert = new X509Certificate(made.servers[node]!.cert);
      expect(cert.ca).toBe(false);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkIssued(ca)).toBe(true);
      expect(cert.checkHost(node)).toBe(node);
      expect(cert.checkHost('pg-primary')).toBe('pg-primary');
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(cert.checkHost('node9')).toBeUndefined();
      expect(new Date(cert.validFrom).getTime()).toBeLessThan(Date.now());
    }
  });

  it('never issues a certificate OpenSSL refuses (random serials once gave one in 256 a padded integer)', () => {
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const some = generateClusterTls('many', ['node1', 'node2', 'node3'], 'pg-primary');
      for (const pemText of [some.ca.cert, ...Object.values(some.servers).map((s) => s.cert)]) {
        try {
          new X509Certificate(pemText);
        } catch {
          refused++;
        }
      }
    }
    expect(refused).toBe(0);
  });

  it('passes a real TLS handshake with rejectUnauthorized, and only with its own CA and names', async () => {
    expect(await handshake(made.servers.node1!, made.ca.cert, 'pg-primary')).toEqual({ authorized: true });
    expect(await handshake(made.servers.node1!, generateUnrelatedCa(), 'pg-primary')).toMatchObject({ authorized: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(await handshake(made.servers.node1!, made.ca.cert, 'node2')).toMatchObject({ authorized: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});
