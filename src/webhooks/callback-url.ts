import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { InvalidRequest } from '../common/errors';

/** dns.lookup with `all: true`, as a promise (tests hand in their own to play DNS rebinding). */
export type ResolveAll = (hostname: string, options?: { family?: number }) => Promise<LookupAddress[]>;

export const resolveAll: ResolveAll = (hostname, options = {}) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, family: options.family ?? 0 } satisfies LookupAllOptions, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

const MAX_URL_LENGTH = 2048;

/** What each of ipaddr.js's ranges is, for a message; anything but `unicast` is refused. */
const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  uniqueLocal: 'a private (unique local) address',
  linkLocal: 'a link-local address (cloud metadata lives at 169.254.169.254)',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
};

/** Why a callback URL or an address it resolves to is not delivered to. */
export class CallbackUrlRefused extends InvalidRequest {}

/**
 * Why an address is not one to deliver to (loopback, private, link-local and metadata, CGNAT,
 * unspecified, multicast, reserved, IPv4-mapped IPv6 of any of them), or null when it is public.
 */
export function refusedAddressReason(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // process(): an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 it maps.
    parsed = ipaddr.process(address.replace(/%.*$/, ''));
  } catch {
    return 'not an IP address';
  }
  const range = parsed.range();
  if (range === 'unicast') return null;
  return RANGE_NAMES[range] ?? `a reserved address (${range})`;
}

const allowHint = 'only public addresses are delivered to (WEBHOOK_ALLOW_PRIVATE=true allows others)';

/** The URL's host as an address or a name: without IPv6 brackets. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Parses a callback URL and refuses what is never delivered to: not http(s), credentials in it,
 * too long. Throws CallbackUrlRefused naming `field`.
 */
export function parseCallbackUrl(raw: string, field = 'callback_url'): URL {
  if (raw.length > MAX_URL_LENGTH) throw new CallbackUrlRefused(`${field} is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CallbackUrlRefused(`${field} is not an absolute URL: send e.g. https://example.com/hooks/inbox`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CallbackUrlRefused(`${field} must be an http or https URL, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.username || url.password) {
    throw new CallbackUrlRefused(
      `${field} must not carry credentials (user:password@): check the webhook-signature header instead`,
    );
  }
  return url;
}

/**
 * The check at submit time: a valid http(s) URL whose host (resolved, every address) is public,
 * unless private addresses are allowed. Delivery checks again on the address it connects to.
 */
export async function checkCallbackUrl(
  raw: string,
  options: { allowPrivate: boolean; resolve?: ResolveAll; field?: string },
): Promise<URL> {
  const field = options.field ?? 'callback_url';
  const url = parseCallbackUrl(raw, field);
  if (options.allowPrivate) return url;
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await (options.resolve ?? resolveAll)(host)).map((a) => a.address);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new CallbackUrlRefused(`${field}: its host ${host} does not resolve (${code})`);
    }
  }
  for (const address of addresses) {
    const why = refusedAddressReason(address);
    if (why) {
      const what = address === host ? host : `${host}, which resolves to ${address},`;
      throw new CallbackUrlRefused(`${field}: ${what} is ${why}; ${allowHint}`);
    }
  }
  return url;
}

/** The address a delivery connects to was refused (at connect time, after DNS). */
export class RefusedAddressError extends Error {
  readonly code = 'EWEBHOOKREFUSED';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that resolves the host once, refuses it when any of its addresses
 * is not public (unless allowed), and hands the socket exactly the addresses it checked: the
 * connection goes where the check looked, so DNS rebinding cannot swap the address in between.
 */
export function guardedLookup(options: { allowPrivate: boolean; resolve?: ResolveAll }) {
  const resolve = options.resolve ?? resolveAll;
  return (hostname: string, lookupOptions: { family?: number | string; all?: boolean }, callback: LookupCallback) => {
    const family = typeof lookupOptions.family === 'number' ? lookupOptions.family : undefined;
    resolve(hostname, { family }).then(
      (addresses) => {
        if (addresses.length === 0)
          return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
        if (!options.allowPrivate) {
          for (const a of addresses) {
            const why = refusedAddressReason(a.address);
            if (why)
              return callback(
                new RefusedAddressError(`refused: ${hostname} resolves to ${a.address}, ${why}; ${allowHint}`),
                [],
              );
          }
        }
        if (lookupOptions.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, []),
    );
  };
}

/** The check a delivery makes before connecting to an address literal (no lookup runs for those). */
export function refusedLiteral(url: URL, allowPrivate: boolean): string | null {
  const host = hostOf(url);
  if (allowPrivate || !isIP(host)) return null;
  const why = refusedAddressReason(host);
  return why ? `refused: ${host} is ${why}; ${allowHint}` : null;
}
