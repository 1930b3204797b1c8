/**
 * Kubernetes' own syntax for the values the configuration carries: object names, label and
 * annotation keys, label values, resource quantities and CIDRs. Each check returns a problem (a
 * sentence fragment) or undefined, so zod refinements and the constructs share one definition.
 * Names, keys and quantities are hand-written: each grammar is a line or two (apimachinery's validation
 * package) and the libraries that implement them are whole Kubernetes clients; CIDRs use ipaddr.js.
 */
import ipaddr from 'ipaddr.js';

/** RFC 1123 label: names of Namespaces, Services, ports' peers ... (at most 63). */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: names of Secrets, ConfigMaps, PriorityClasses, StorageClasses ... (at most 253). */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
/** RFC 1123 host name with at least two labels, optionally with a leading wildcard label. */
export const HOST_PATTERN = /^(\*\.)?(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;

/** A label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) return `key "${key}": its prefix must be a DNS subdomain (lower case, at most 253)`;
  if (!QUALIFIED_NAME.test(name)) return `key "${key}" is not a valid label/annotation key (at most 63 of A-Z a-z 0-9 - _ . after the optional prefix/, starting and ending alphanumeric)`;
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  return LABEL_VALUE.test(value) ? undefined : `value "${value}" is not a valid label value (at most 63 of A-Z a-z 0-9 - _ ., starting and ending alphanumeric)`;
}

/** Namespaces the cluster owns: putting Pod Security `restricted` and a deny-all policy on them would break the cluster. */
export function reservedNamespaceProblem(ns: string): string | undefined {
  return ns === 'default' || ns.startsWith('kube-') ? `"${ns}" is reserved for the cluster (kube-* and default); use a namespace of the application's own` : undefined;
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))((?:[KMGTPE]i)|[numkMGTPE]?|[eE][+-]?[0-9]+)$/;

/** The value of a Kubernetes quantity ("250m" = 0.25, "1Gi" = 1073741824), or undefined when it is not one. */
export function parseQuantity(q: string): number | undefined {
  const m = QUANTITY.exec(q);
  if (!m) return undefined;
  const n = Number(m[1]);
  const s = m[2];
  if (s in BINARY) return n * BINARY[s];
  if (s in DECIMAL) return n * DECIMAL[s];
  return n * 10 ** Number(s.slice(1));
}

const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;

/**
 * The form the API server stores a quantity in ("1000m" -> "1", "1024Mi" -> "1Gi", "0.5" -> "500m"):
 * the largest suffix of the same family (binary or decimal) that keeps the number whole. Manifests
 * carry this form so a client-side `kubectl apply` finds nothing to change.
 */
export function canonicalQuantity(q: string): string {
  const m = QUANTITY.exec(q);
  if (!m || /^[eE]/.test(m[2]) || m[1].startsWith('-')) return q;
  const [int, frac = ''] = m[1].replace(/^\+/, '').split('.');
  const digits = BigInt(`${int || '0'}${frac}`);
  if (m[2] in BINARY) {
    const scaled = digits * BigInt(BINARY[m[2]]);
    const div = 10n ** BigInt(frac.length);
    if (scaled % div !== 0n) return q;
    const bytes = scaled / div;
    for (const suffix of BINARY_SUFFIXES) {
      const mult = BigInt(BINARY[suffix]);
      if (bytes !== 0n && bytes % mult === 0n) return `${bytes / mult}${suffix}`;
    }
    return String(bytes);
  }
  // decimal: count in nano units (10^-9), exactly
  const shift = 9 + DECIMAL_EXPONENT[m[2]] - frac.length;
  if (shift < 0) return q;
  const nanos = digits * 10n ** BigInt(shift);
  for (const [suffix, exp] of Object.entries(DECIMAL_EXPONENT).sort((a, b) => b[1] - a[1])) {
    const mult = 10n ** BigInt(9 + exp);
    if (nanos % mult === 0n && (nanos !== 0n || suffix === '')) return `${nanos / mult}${suffix}`;
  }
  return q;
}

/** CPU in cores: a quantity of at least 1m. */
export function cpuProblem(q: string): string | undefined {
  const v = parseQuantity(q);
  if (v === undefined) return `"${q}" is not a Kubernetes quantity (e.g. 100m, 0.5, 2)`;
  if (v < 0.001) return `"${q}" is below 1m, the smallest CPU amount Kubernetes schedules`;
  return undefined;
}

/** Bytes (memory, storage): a quantity of at least `min` bytes, never a fraction of a byte. */
export function bytesProblem(q: string, min: number, what: string): string | undefined {
  const v = parseQuantity(q);
  if (v === undefined) return `"${q}" is not a Kubernetes quantity (e.g. 256Mi, 1Gi)`;
  if (/m$/.test(q)) return `"${q}" is in milli-bytes ("m"); write ${what} in Mi or Gi`;
  if (v < min) return `"${q}" is below ${min / 2 ** 20}Mi, too little ${what} to run anything`;
  return undefined;
}

/** An IPv4 or IPv6 CIDR as the API server parses it, with no bits set after the prefix (a typo otherwise). */
export function cidrProblem(cidr: string): string | undefined {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let len: number;
  try {
    if (!/^[0-9a-fA-F.:]+\/[0-9]{1,3}$/.test(cidr)) throw new Error('syntax');
    [addr, len] = ipaddr.parseCIDR(cidr);
    // like Go's parser (the API server's): IPv4 only in four decimal parts without leading zeros
    if (addr.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(cidr.split('/')[0])) throw new Error('syntax');
  } catch {
    return `"${cidr}" is not a CIDR (an IPv4 or IPv6 address, "/" and a prefix length)`;
  }
  const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  if (network.toString() !== addr.toString()) return `"${cidr}" has address bits set after the /${len} prefix (the network is ${network.toString()}/${len})`;
  return undefined;
}

/**
 * A container image reference that names a tag or a digest (never implicitly `latest`).
 * Groups: 1 repository (with registry), 2 tag, 3 digest.
 */
export const IMAGE_REF = /^((?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** Why `ref` cannot be deployed: not a reference, no tag or digest, or the tag latest. */
export function imageRefProblem(ref: string): string | undefined {
  const m = IMAGE_REF.exec(ref);
  if (!m) return `"${ref}" is not a valid image reference`;
  if (!m[2] && !m[3]) return `"${ref}" needs a tag or a @sha256 digest`;
  if (m[2] === 'latest') return `"${ref}" must not use the tag latest`;
  return undefined;
}

/** A CIDR with a prefix length of 0 (0.0.0.0/0, ::/0): every address of its family. */
export function isWorldCidr(cidr: string): boolean {
  return /\/0+$/.test(cidr);
}
