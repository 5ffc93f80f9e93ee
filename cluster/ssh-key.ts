/**
 * The key pair the nodes of one cluster use to reach each other over SSH, as the postgres user.
 * `repmgr standby switchover` needs it: the standby being promoted stops the primary, checks it
 * and makes it rejoin, all by running repmgr on it over SSH.
 *
 * Made fresh for every cluster with Node's crypto (the host needs no ssh-keygen), handed to the
 * containers in their environment like the database passwords, and never written on the host.
 * sshd listens on the replication network only; no port is published.
 */
import { generateKeyPairSync } from 'node:crypto';

export interface SshKeyPair {
  /** PEM (SEC1), which OpenSSH reads as an identity file. */
  privateKey: string;
  /** One authorized_keys line. */
  publicKey: string;
}

/** An SSH wire-format string: 32-bit big-endian length, then the bytes. */
function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

export function generateSshKeyPair(comment: string): SshKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  // RFC 5656: ecdsa-sha2-nistp256 keys are the curve name and the uncompressed point (0x04 || x || y).
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const blob = Buffer.concat([sshString(Buffer.from('ecdsa-sha2-nistp256')), sshString(Buffer.from('nistp256')), sshString(point)]);
  return {
    privateKey: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    publicKey: `ecdsa-sha2-nistp256 ${blob.toString('base64')} ${comment}`,
  };
}
