#!/usr/bin/env node

// src/cli-start.ts
import * as nodeModule from "node:module";
import { homedir } from "node:os";
import path from "node:path";
function compileCacheDir(env, home) {
  if (env["NODE_COMPILE_CACHE"]) return void 0;
  const xdg = env["XDG_CACHE_HOME"];
  const base = xdg && path.isAbsolute(xdg) ? xdg : home ? path.join(home, ".cache") : void 0;
  return base === void 0 ? void 0 : path.join(base, "hydrate", "node-compile-cache");
}
var enable = nodeModule.enableCompileCache;
if (enable && process.env["NODE_DISABLE_COMPILE_CACHE"] !== "1") {
  const dir = compileCacheDir(process.env, homedir());
  if (dir !== void 0 || process.env["NODE_COMPILE_CACHE"]) enable(dir);
}
var cli = await import(new URL("./hydrate-cli.js", import.meta.url).href);
process.exitCode = await cli.main(process.argv.slice(2));
