// A local npm registry on 127.0.0.1 for the install test, so installing the packed tarball reaches
// no other address: every runtime dependency npm-shrinkwrap.json pins is offered with the manifest
// it has in this checkout's node_modules (the package.json npm ci installed), and its tarball is
// served from the npm cache `npm ci` filled, found by its integrity (cacache keeps content under
// content-v2/<algorithm>/<hex digest>).
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

interface LockEntry {
  version?: string;
  integrity?: string;
  dev?: boolean;
  link?: boolean;
  [field: string]: unknown;
}

/** Where cacache keeps content with this integrity, or null. */
function cached(cache: string, integrity: string): string | null {
  const [algorithm, digest] = integrity.split(/\s+/)[0]!.split('-');
  const hex = Buffer.from(digest!, 'base64').toString('hex');
  const path = join(cache, '_cacache', 'content-v2', algorithm!, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
  return existsSync(path) ? path : null;
}

export async function startLocalRegistry(root: string, cache: string): Promise<{ url: string; close(): Promise<void> }> {
  const lock = JSON.parse(readFileSync(join(root, 'npm-shrinkwrap.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packuments = new Map<string, { name: string; versions: Record<string, Record<string, unknown>>; 'dist-tags': { latest: string } }>();
  const tarballs = new Map<string, string>();
  let base = '';
  const runtime = Object.entries(lock.packages).filter(([path, entry]) => path !== '' && !entry.dev && !entry.link && entry.version && entry.integrity);
  for (const [path, entry] of runtime) {
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const version = entry.version!;
    const file = `${name.replace('/', '__')}-${version}.tgz`;
    const packument = packuments.get(name) ?? { name, versions: {}, 'dist-tags': { latest: version } };
    const installed = JSON.parse(readFileSync(join(root, path, 'package.json'), 'utf8')) as Record<string, unknown>;
    const manifest = Object.fromEntries(Object.entries(installed).filter(([field]) => !field.startsWith('_')));
    manifest.dist = { integrity: entry.integrity, get tarball() { return `${base}/-/${file}`; } };
    packument.versions[version] = manifest;
    if (version > packument['dist-tags'].latest) packument['dist-tags'].latest = version;
    packuments.set(name, packument);
    const content = cached(cache, entry.integrity!);
    if (content) tarballs.set(file, content);
  }
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname).slice(1);
    if (path.startsWith('-/')) {
      const content = tarballs.get(path.slice(2));
      if (!content) return void res.writeHead(404).end();
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(content));
    }
    const packument = packuments.get(path);
    if (!packument) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
