// Lets `node --import ./scripts/ts-register.mjs file.ts` run TypeScript sources directly
// (used by the schema generator and the benchmark), by transpiling with esbuild on load.
import { register } from 'node:module';
register('./ts-loader.mjs', import.meta.url);
