/**
 * A container as the engine's inspect call describes it (GET /containers/{id}/json), reduced to what
 * flipdrill reads. Shared by the dockerode client and the endpoint agent's own small client, which
 * must not pull dockerode into its bundle; so this module imports nothing.
 */
export interface InspectJson {
  Name: string;
  Id: string;
  State: { Running: boolean; Paused: boolean; Status: string; StartedAt?: string };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; IPAMConfig?: { IPv4Address?: string } | null; Aliases?: string[] | null } | undefined> | null } | null;
  Config: { Labels?: Record<string, string> | null; Env?: string[] | null; Image: string };
}

export interface ContainerState {
  name: string;
  id: string;
  running: boolean;
  paused: boolean;
  status: string;
  /** Network name → attachment on that network. */
  networks: Record<string, { ipv4Address: string; aliases: string[] }>;
  labels: Record<string, string>;
  env: Record<string, string>;
  image: string;
  /** When the container last started (ISO), or undefined if it never did. */
  startedAt?: string;
}

/** `withEnv: false` leaves the environment out (the agent never reads other containers' secrets). */
export function containerStateOf(info: InspectJson, options: { withEnv: boolean }): ContainerState {
  const networks: ContainerState['networks'] = {};
  for (const [network, endpoint] of Object.entries(info.NetworkSettings?.Networks ?? {})) {
    if (!endpoint) continue;
    networks[network] = { ipv4Address: endpoint.IPAMConfig?.IPv4Address ?? endpoint.IPAddress ?? '', aliases: endpoint.Aliases ?? [] };
  }
  return {
    name: info.Name.replace(/^\//, ''),
    id: info.Id,
    running: info.State.Running,
    paused: info.State.Paused,
    status: info.State.Status,
    networks,
    labels: info.Config.Labels ?? {},
    env: options.withEnv ? Object.fromEntries((info.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])) : {},
    image: info.Config.Image,
    startedAt: info.State.StartedAt?.startsWith('0001') ? undefined : info.State.StartedAt,
  };
}
