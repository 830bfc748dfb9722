import { type ServiceAppOptions, trustHops } from '@gram/service-kit';

/**
 * TRUST_PROXY: which peers of the gateway are proxies (a load balancer, an ingress) whose `X-Forwarded-For`
 * is believed. The client's address decides the per-IP login limit, so behind a proxy without this setting
 * every client would share the proxy's address (and one attacker could lock everyone out), while believing the
 * header from anyone would let every client pick its own address. Unset: nobody, the socket's peer is the
 * client. Otherwise a hop count (`1`: the nearest proxy, whatever its address: only for a gateway that no client
 * reaches except through the proxies), or, safer, a comma-separated list of addresses and CIDR ranges, which may
 * use the names `loopback`, `linklocal` and `uniquelocal`.
 */
export function trustProxyFromEnv(value: string | undefined): ServiceAppOptions['trustProxy'] {
  const setting = value?.trim();
  if (!setting) return undefined;
  if (/^\d+$/.test(setting)) return trustHops(Number(setting));
  if (setting === 'true' || setting === 'false') {
    // Trusting every peer is what `true` means in fastify: say so in the value, not by accident.
    throw new Error(`TRUST_PROXY=${setting}: give a hop count or the proxies' addresses instead`);
  }
  return setting
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}
