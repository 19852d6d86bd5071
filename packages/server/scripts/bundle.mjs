// Bundles the built server (dist/main.js, dist/worker.js) into dist/bundle/ with esbuild: one minified file per
// entry point plus the chunks they share or load on demand. `npm start`, the worker, the image and the tests that
// run the server as a process use the bundle (decision 0011): V8 keeps every loaded module's source text in the
// heap, and the unbundled tree is ≈ 25 MB of JavaScript over ≈ 1,500 files.
//   node packages/server/scripts/bundle.mjs   (part of `npm run build`)
import { readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const SERVER = fileURLToPath(new URL("..", import.meta.url));
const ROOT = join(SERVER, "../..");
const OUT = join(SERVER, "dist/bundle");

// Left to Node's resolver: native or WebAssembly binaries, and packages that read files next to their own code.
const EXTERNAL = [
  "@electric-sql/pglite", // WebAssembly and file-system bundle located from its own URL
  "@foundry-rs/anvil", // the embedded chain's binary
  "@node-rs/argon2", // native addon
  "@fastify/swagger", // reads its own package.json
  "@fastify/swagger-ui", // serves its static folder
  "pino", // transports run a worker thread from a file of thread-stream
  "pg-native", // optional peer of pg, not installed
];

// Bundled CommonJS that mentions __dirname or __filename gets the bundle's folder (see the banner); each such file
// is listed here with why that is harmless. Any other file fails the build rather than reading the wrong folder.
const DIRNAME_HARMLESS = {
  "node_modules/ioredis/built/Command.js": "only trims ioredis's own frames from error stacks",
  "node_modules/glob/common.js": "in a comment",
};

// Our packages locate their migrations, lexicon and web assets from import.meta.url: rewritten to the same file,
// relative to the bundle, so the bundle finds them where `tsc -b` left them.
const ownMetaUrl = {
  name: "own-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes("import.meta.url")) return undefined;
      const url = `new URL(${JSON.stringify(relative(OUT, args.path).replaceAll("\\", "/"))}, import.meta.url).href`;
      return {
        contents: source.replaceAll("import.meta.url", url),
        loader: "js",
        resolveDir: dirname(args.path),
      };
    });
  },
};

rmSync(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: { main: join(SERVER, "dist/main.js"), worker: join(SERVER, "dist/worker.js") },
  outdir: OUT,
  absWorkingDir: ROOT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  // Maps on disk for reading a stack trace (node --enable-source-maps); licences kept beside the code.
  sourcemap: "linked",
  legalComments: "linked",
  external: EXTERNAL,
  plugins: [ownMetaUrl],
  // Bundled CommonJS calls require() for Node's built-ins.
  banner: {
    js: 'import{createRequire as __cr}from"node:module";import{fileURLToPath as __fu}from"node:url";const require=__cr(import.meta.url),__filename=__fu(import.meta.url),__dirname=__fu(new URL(".",import.meta.url));',
  },
  metafile: true,
  logLevel: "warning",
});

const unsafe = Object.keys(result.metafile.inputs).filter((path) => {
  if (!path.includes("node_modules/") || path in DIRNAME_HARMLESS) return false;
  return /\b__dirname\b|\b__filename\b|import\.meta\.(url|dirname|filename)/.test(
    readFileSync(join(ROOT, path), "utf8"),
  );
});
if (unsafe.length > 0) {
  console.error(
    `bundle: these bundled files locate files from their own path; make their package external or list them as harmless:\n  ${unsafe.join("\n  ")}`,
  );
  process.exit(1);
}
