/**
 * Whether a URL from a dealer's feed may be handed to Wayke's media API to fetch: `http(s)` to
 * a public host. A feed is untrusted input, and the fetch happens from inside Wayke: a URL to
 * `169.254.169.254`, `localhost` or `10.0.0.1` (in any spelling the URL parser accepts, such as
 * `0xA9FEA9FE`) or one carrying `user:pass@` is never passed on.
 */

/** Why a URL is not a public http(s) URL, or null when it is one. */
export function publicUrlProblem(value: string): string | null {
  const plain = plainHostOf(value);
  return plain === null ? parsedUrlProblem(value) : hostNameProblem(plain);
}

/**
 * {@link publicUrlProblem} through the URL parser for every URL, the plain ones included (the
 * tests hold the shortcut for plain URLs to it).
 */
export function parsedUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password';
  // The WHATWG parser has already turned hex, octal and short IPv4 forms into dotted quads.
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('['))
    return isPublicIpv6(host.slice(1, -1)) ? null : 'must point to a public host, not a private or local address';
  const ipv4 = parseIpv4(host);
  if (ipv4) return isPublicIpv4(ipv4) ? null : 'must point to a public host, not a private or local address';
  return hostNameProblem(host);
}

/** Why a host name (not an address) is not a public one, or null. */
function hostNameProblem(host: string): string | null {
  if (!host.includes('.') || LOCAL_SUFFIXES.some((suffix, i) => host === suffix || host.endsWith(DOTTED_SUFFIXES[i]!)))
    return 'must point to a public host name';
  return null;
}

/** `http(s)://` and a host of letters, digits, hyphens and dots, up to the end or a `/`, `?` or `#`. */
const PLAIN_URL_START = /^https?:\/\/([a-z0-9.-]+)(?=[/?#]|$)/i;
/**
 * The host of a URL written the plain way (`https://bilder.example.se/1.jpg`, what nearly every
 * image link is), lower-cased, read without the URL parser, or null for anything else (which the
 * parser reads): the feed checks every image, and parsing each cost ~0.1 s per 10,000 cars.
 * Only hosts the parser takes as they are qualify: no credentials or port (nothing else may
 * stand before the path), no empty label, no `xn--` label (the parser checks its punycode), and
 * a last label that starts with a letter (else the parser may read the host as an IPv4 address).
 */
function plainHostOf(value: string): string | null {
  const match = PLAIN_URL_START.exec(value);
  if (!match) return null;
  // The pattern allowed only letters, digits, hyphens and dots; the labels are checked without a split.
  const host = match[1]!.toLowerCase();
  if (host.startsWith('.') || host.includes('..') || host.startsWith('xn--') || host.includes('.xn--')) return null;
  const lastStart = host.charCodeAt(host.lastIndexOf('.') + 1);
  return lastStart >= 0x61 && lastStart <= 0x7a ? host : null;
}

/** Names that never resolve to the public internet (RFC 6761, RFC 6762, common internal zones). */
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'intranet', 'lan', 'home.arpa', 'localdomain', 'corp'];
/** `.localhost`, `.local` …: built once, as every image URL of a feed is checked against them. */
const DOTTED_SUFFIXES = LOCAL_SUFFIXES.map((suffix) => `.${suffix}`);

const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function parseIpv4(host: string): number[] | null {
  // One test before any split: it runs for every image URL of a feed, and few hosts are addresses.
  if (!DOTTED_QUAD.test(host)) return null;
  const octets = host.split('.').map(Number);
  return octets.every((octet) => octet <= 255) ? octets : null;
}

/**
 * IPv4 ranges that are not the public internet, as `[first octets, prefix length]`: this network,
 * private, carrier-grade NAT, loopback, link-local (the cloud metadata address among them),
 * IETF protocol assignments, benchmarking, and multicast plus reserved (224/3).
 */
const NON_PUBLIC_IPV4: ReadonlyArray<readonly [readonly number[], number]> = [
  [[0], 8],
  [[10], 8],
  [[100, 64], 10],
  [[127], 8],
  [[169, 254], 16],
  [[172, 16], 12],
  [[192, 0, 0], 24],
  [[192, 168], 16],
  [[198, 18], 15],
  [[224], 3],
];

const toUint32 = (octets: readonly number[]): number =>
  (((octets[0] ?? 0) << 24) | ((octets[1] ?? 0) << 16) | ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)) >>> 0;

const NON_PUBLIC_RANGES = NON_PUBLIC_IPV4.map(([octets, prefix]) => {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (toUint32(octets) & mask) >>> 0, mask };
});

function isPublicIpv4(octets: readonly number[]): boolean {
  const address = toUint32(octets);
  return NON_PUBLIC_RANGES.every(({ network, mask }) => (address & mask) >>> 0 !== network);
}

function isPublicIpv6(host: string): boolean {
  // IPv4-mapped and -translated forms are judged by their IPv4 address.
  const mapped = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(host);
  if (mapped) {
    if (mapped[1]) return isPublicIpv4(parseIpv4(mapped[1]) ?? [0]);
    const high = parseInt(mapped[2]!, 16);
    const low = parseInt(mapped[3]!, 16);
    return isPublicIpv4([high >> 8, high & 255, low >> 8, low & 255]);
  }
  if (host === '::' || host === '::1') return false;
  const first = parseInt(host.split(':')[0] || '0', 16);
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast; only 2000::/3 is global unicast.
  return first >= 0x2000 && first <= 0x3fff;
}

/** The URL as messages may show it: a `user:password@` part replaced, so no credential is repeated. */
export function redactUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1***@');
}
