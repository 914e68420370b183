#!/usr/bin/env node

// src/cli-start.ts
import { mkdirSync, statSync } from "node:fs";
import * as nodeModule from "node:module";
import { homedir } from "node:os";
import path from "node:path";
function compileCacheDir(env, home) {
  const xdg = env["XDG_CACHE_HOME"];
  const [base, below] = xdg && path.isAbsolute(xdg) ? [xdg, ["hydrate", "node-compile-cache"]] : [home, [".cache", "hydrate", "node-compile-cache"]];
  if (!base || !path.isAbsolute(base)) return void 0;
  try {
    if (!statSync(base).isDirectory()) return void 0;
    let dir = base;
    for (const name of below) {
      dir = path.join(dir, name);
      try {
        mkdirSync(dir, { mode: 448 });
      } catch (e) {
        if (e.code !== "EEXIST" || !statSync(dir).isDirectory()) return void 0;
      }
    }
    return dir;
  } catch {
    return void 0;
  }
}
var enable = nodeModule.enableCompileCache;
if (enable && process.env["NODE_DISABLE_COMPILE_CACHE"] !== "1") {
  const dir = process.env["NODE_COMPILE_CACHE"] ? void 0 : compileCacheDir(process.env, homedir());
  if (dir !== void 0 || process.env["NODE_COMPILE_CACHE"]) enable(dir);
}
var cli = await import(new URL("./hydrate-cli.js", import.meta.url).href);
process.exitCode = await cli.main(process.argv.slice(2));
