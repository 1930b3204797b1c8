import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** One file of the built app, held in memory with its precompressed variants (made at build time). */
export interface Asset {
  /** URL path, e.g. `/assets/index-3f2a1b.js`. */
  urlPath: string;
  contentType: string;
  /** Vite's content-hashed output (under /assets/): cached for a year, never revalidated. */
  immutable: boolean;
  identity: Variant;
  br?: Variant;
  gzip?: Variant;
}

export interface Variant {
  body: Buffer;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function variant(body: Buffer, suffix: string): Variant {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return { body, etag: `"${hash}${suffix}"` };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/**
 * Reads the whole built app (a few hundred kB) into memory once, so that requests never touch the
 * file system and a read-only root file system is no concern. `x.br` / `x.gz` files are attached
 * to `x` as its compressed variants instead of being served on their own.
 */
export async function loadAssets(publicDir: string): Promise<Map<string, Asset>> {
  const files = await walk(publicDir);
  const contents = new Map<string, Buffer>();
  await Promise.all(files.map(async (f) => contents.set(f, await readFile(f))));
  const assets = new Map<string, Asset>();
  for (const [file, body] of contents) {
    if (file.endsWith('.br') || file.endsWith('.gz')) {
      if (contents.has(file.slice(0, -3))) continue; // a variant, attached below
    }
    const urlPath = '/' + path.relative(publicDir, file).split(path.sep).join('/');
    const asset: Asset = {
      urlPath,
      contentType: contentTypeOf(file),
      immutable: urlPath.startsWith('/assets/'),
      identity: variant(body, ''),
    };
    const br = contents.get(`${file}.br`);
    if (br) asset.br = variant(br, '-br');
    const gz = contents.get(`${file}.gz`);
    if (gz) asset.gzip = variant(gz, '-gz');
    assets.set(urlPath, asset);
  }
  if (!assets.has('/index.html')) throw new Error(`no index.html in ${publicDir}: build the app first (npm run build -w frontend)`);
  return assets;
}

/** Picks the best encoding the client accepts among those the asset has (br, then gzip). */
export function chooseEncoding(asset: Asset, acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  const accepted = parseAcceptEncoding(acceptEncoding ?? '');
  if (asset.br && accepted('br')) return 'br';
  if (asset.gzip && accepted('gzip')) return 'gzip';
  return 'identity';
}

function parseAcceptEncoding(header: string): (coding: string) => boolean {
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q=([0-9.]+)\s*$/.exec(p);
      if (m) weight = Number(m[1]);
    }
    q.set(name, weight);
  }
  return (coding) => {
    const w = q.get(coding) ?? q.get('*');
    return w !== undefined && w > 0;
  };
}
