// A static file server on 127.0.0.1 for the benchmark page: the SDK as `make sdk` built it,
// onnxruntime-web's own files from node_modules (nothing comes from a CDN), the model and its
// golden rows, and the demo catalogue. Plain responses with no COOP/COEP headers, as a store
// that has not opted into cross-origin isolation would serve them.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");

/** URL prefix → directory. Only files under these directories are served. */
const ROOTS = {
  "/bench/": here,
  "/vitrine/": join(repo, "js", "dist"),
  "/ort/": join(here, "node_modules", "onnxruntime-web", "dist"),
  "/models/": join(repo, "models"),
  "/catalogue/": join(repo, "demo-site", "catalogue"),
  "/sessions/": join(repo, "tests", "fixtures", "eval"),
};

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".csv": "text/csv; charset=utf-8",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
};

async function resolveFile(pathname) {
  const prefix = Object.keys(ROOTS).find((p) => pathname.startsWith(p));
  if (!prefix) return null;
  const root = ROOTS[prefix];
  const file = normalize(join(root, decodeURIComponent(pathname.slice(prefix.length))));
  // No `..` escapes from a root, and no directory listings.
  if (!file.startsWith(root + sep) || !TYPES[extname(file)]) return null;
  const info = await stat(file).catch(() => null);
  return info?.isFile() ? { file, size: info.size } : null;
}

/** Serves on a free loopback port; resolves to `{ origin, stop() }`. */
export async function startStaticServer() {
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url, "http://127.0.0.1");
    const found = request.method === "GET" ? await resolveFile(pathname) : null;
    if (!found) {
      response.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${pathname}`);
      return;
    }
    response.writeHead(200, {
      "content-type": TYPES[extname(found.file)],
      "content-length": found.size,
      "cache-control": "no-store",
    });
    createReadStream(found.file).pipe(response);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
