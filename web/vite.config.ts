import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzip } from "node:zlib";
import { promisify } from "node:util";
import { defineConfig, type Plugin } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));
const COMPRESSIBLE = /\.(js|css|html|svg|json|map)$/;

/**
 * Writes a .gz next to every text file of the build, once, at build time: the service hands them to
 * clients that accept gzip (sirv picks them) instead of compressing on every request.
 */
function precompress(): Plugin {
  return {
    name: "precompress",
    apply: "build",
    async writeBundle(options) {
      const dir = options.dir!;
      const walk = async (d: string): Promise<string[]> =>
        (await Promise.all((await readdir(d, { withFileTypes: true })).map((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)])))).flat();
      for (const file of (await walk(dir)).filter((f) => COMPRESSIBLE.test(f))) {
        await writeFile(`${file}.gz`, await promisify(gzip)(await readFile(file), { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root,
  base: "/",
  // Source maps are written next to the build but not linked from it (hidden): the service serves
  // them, with a SourceMap header, only when CONSOLE_SOURCE_MAPS allows.
  build: { outDir: "dist", emptyOutDir: true, sourcemap: "hidden", modulePreload: { polyfill: false }, target: "es2022", reportCompressedSize: true },
  plugins: [precompress()],
  // `npm run dev:web` serves the console with hot reload against a service on port 4000.
  server: { proxy: { "/graphql": { target: "http://127.0.0.1:4000", ws: true } } },
});
