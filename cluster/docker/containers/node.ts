/**
 * A node's container: PostgreSQL and repmgr from the node image, on the replication network (and,
 * for a data node, the application network), its secrets as root-only files.
 */
import type { DockerClient } from '../docker-client.ts';
import type { TarFile } from '../tar.ts';
import { secretFiles } from '../secret-files.ts';
import { FAKE_CLOCK_ENV } from '../../clock.ts';
import { DATA_FS_MOUNT, DATA_FS_PGDATA } from '../../data-fs.ts';
import { dropletIdOf, names, type ClusterSpec, type NodeSpec } from '../../spec.ts';
import type { SshKeyPair } from '../../ssh-key.ts';
import type { ClusterTls } from '../../tls.ts';
import { ANALYTICS_DATABASE, type ClusterCredentials } from '../cluster-facts.ts';

export { SECRETS_DIR, secretFiles } from '../secret-files.ts';

/** A node container's environment (settings, public material, the secrets' file names) and its secret files. */
export function nodeContainerConfig(
  spec: ClusterSpec,
  node: NodeSpec,
  credentials: ClusterCredentials,
  sshKey: SshKeyPair,
  tls: ClusterTls | undefined,
): { env: Record<string, string>; files: TarFile[] } {
  const server = tls?.servers[node.name];
  const secrets = secretFiles({
    POSTGRES_PASSWORD: credentials.superuser.password,
    REPMGR_PASSWORD: credentials.repmgrPassword,
    APP_DB_PASSWORD: credentials.app.password,
    FLIPDRILL_SSH_PRIVATE_KEY: sshKey.privateKey,
    FLIPDRILL_TLS_KEY: server?.key,
    // Only where the promote hook moves the IP: the witness never does.
    DIGITALOCEAN_TOKEN: spec.endpoint === 'do-simulator' && node.initialRole !== 'witness' ? credentials.doTokens?.hook : undefined,
  });
  const env: Record<string, string> = {
    NODE_NAME: node.name,
    NODE_ID: String(node.id),
    NODE_ROLE: node.initialRole,
    NODE_PRIORITY: String(node.priority),
    PRIMARY_HOST: spec.nodes.find((n) => n.initialRole === 'primary')!.name,
    // The other data nodes: where a restarted old primary looks for the node that replaced it.
    BACK_CIDR: spec.backSubnet,
    FRONT_CIDR: spec.frontSubnet,
    PEER_NODES: spec.nodes.filter((n) => n.initialRole !== 'witness' && n.name !== node.name).map((n) => n.name).join(','),
    APP_DB_USER: credentials.app.user,
    APP_DB_NAME: credentials.app.database,
    APP_EXTRA_DB_NAMES: ANALYTICS_DATABASE,
    MONITOR_INTERVAL_SECS: String(spec.timing.monitorIntervalSecs),
    RECONNECT_ATTEMPTS: String(spec.timing.reconnectAttempts),
    RECONNECT_INTERVAL: String(spec.timing.reconnectInterval),
    FLIPDRILL_SYNC_REPLICATION: spec.replication === 'sync' ? 'on' : 'off',
    FLIPDRILL_SSH_PUBLIC_KEY: sshKey.publicKey,
    FLIPDRILL_SSH_LISTEN: node.backIp,
    ...(server ? { FLIPDRILL_TLS_CERT: server.cert } : {}),
    ...(spec.endpoint === 'do-simulator' && credentials.doTokens
      ? {
          // The node plays a droplet: its promote hook asks the simulator to move the IP here.
          FLIPDRILL_FLOATING_IP: spec.doSimulator.floatingIp,
          FLIPDRILL_DO_API_URL: `http://${spec.doSimulator.backIp}:8080/v2/`,
          FLIPDRILL_METADATA_URL: `http://${spec.doSimulator.backIp}:8080/__meta/${dropletIdOf(node)}`,
        }
      : {}),
    ...(spec.dataFs && node.initialRole !== 'witness' ? { PGDATA: DATA_FS_PGDATA } : {}),
    ...(spec.fakeClock && node.initialRole !== 'witness' ? FAKE_CLOCK_ENV : {}),
    ...(spec.endpoint === 'virtual-ip' && node.initialRole !== 'witness'
      ? { FLIPDRILL_VIP: `${spec.virtualIp.address}/${spec.virtualIp.prefix}`, FLIPDRILL_VIP_SUBNET: spec.frontSubnet }
      : {}),
    ...secrets.env,
  };
  return { env, files: secrets.files };
}

/**
 * Create (not start) the node's container: a data node on both networks (the primary with the
 * endpoint's alias), the witness on the replication network only; its data directory on the
 * size-limited file system when it has one (`dataFsMount`, the host side).
 */
export async function createNodeContainer(
  docker: DockerClient,
  spec: ClusterSpec,
  node: NodeSpec,
  setup: { image: string; credentials: ClusterCredentials; sshKey: SshKeyPair; tls: ClusterTls | undefined; dataFsMount: string | undefined; labels: Record<string, string> },
): Promise<void> {
  const networks = [{ network: names.backNetwork(spec), ipv4Address: node.backIp, aliases: [node.name] }];
  if (node.initialRole !== 'witness') {
    const aliases = node.initialRole === 'primary' ? [node.name, spec.endpointAlias] : [node.name];
    networks.push({ network: names.frontNetwork(spec), ipv4Address: node.frontIp, aliases });
  }
  await docker.createContainer({
    name: names.container(spec, node.name),
    hostname: node.name,
    image: setup.image,
    ...nodeContainerConfig(spec, node, setup.credentials, setup.sshKey, setup.tls),
    ...(setup.dataFsMount ? { binds: [`${setup.dataFsMount}:${DATA_FS_MOUNT}`] } : {}),
    labels: setup.labels,
    publish: { 5432: node.hostPort },
    networks,
    stopTimeoutSecs: 20,
    // Only for the one-way partition's iptables rules, inside the node's own network namespace.
    capAdd: ['NET_ADMIN'],
  });
}
