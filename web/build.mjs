// Builds the console (web/dist) during `npm ci`, so `npm start` serves it with no extra step.
// An install without dev dependencies (npm ci --omit=dev) has no Vite: it keeps a build that is
// there already (the Docker image copies one in) and says so when there is none.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const config = fileURLToPath(new URL("vite.config.ts", import.meta.url));
const index = fileURLToPath(new URL("dist/index.html", import.meta.url));

let vite;
try {
  vite = await import("vite");
} catch {
  console.warn(
    existsSync(index)
      ? "web console: Vite is not installed (no dev dependencies); serving the existing web/dist"
      : "web console: Vite is not installed (no dev dependencies) and web/dist is missing; the service answers / with 503 until `npm run build:web`",
  );
  process.exit(0);
}
const started = Date.now();
await vite.build({ configFile: config, logLevel: "warn" });
console.log(`web console built into web/dist in ${Date.now() - started} ms`);
