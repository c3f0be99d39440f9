// Serves web/dist with the SPA fallback and proxies /api, /v2, /s and
// /healthz to a running orsa-deployer (streams pass through unbuffered, so
// SSE works). Used by the e2e run while the deployer cannot serve the app
// itself; `node e2e/serve.mjs DIST BACKEND_URL [PORT]` also works by hand.
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};
const PROXIED = ['/api/', '/v2', '/s/', '/healthz', '/readyz', '/metrics'];

/** Starts the server; resolves { url, close }. */
export function serve(distDir, backend, port = 0) {
  const target = new URL(backend);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (PROXIED.some((p) => url.pathname === p.replace(/\/$/, '') || url.pathname.startsWith(p))) {
      const upstream = http.request(
        {
          hostname: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: target.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end('bad gateway');
      });
      req.pipe(upstream);
      res.on('close', () => upstream.destroy());
      return;
    }
    let file = path.join(distDir, path.normalize(decodeURIComponent(url.pathname)));
    if (!file.startsWith(distDir) || !existsSync(file) || statSync(file).isDirectory()) {
      file = path.join(distDir, 'index.html'); // SPA fallback
    }
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address();
      resolve({
        url: `http://127.0.0.1:${actual}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dist, backend, port] = process.argv.slice(2);
  const { url } = await serve(
    path.resolve(dist ?? 'dist'),
    backend ?? 'http://127.0.0.1:8080',
    Number(port ?? 5174),
  );
  console.log(
    `serving ${dist ?? 'dist'} at ${url}, proxying to ${backend ?? 'http://127.0.0.1:8080'}`,
  );
}
