#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ caches compiled modules between runs, in the kit's cache folder (kept by CI caches);
// older Node skips this.
const { compileCacheDir } = await import('dbt-product-kit/toolchain/cache-dir');
module.enableCompileCache?.(compileCacheDir());
// Imported after enabling the cache, so the kit's modules are cached too.
const { main } = await import('dbt-product-kit/scaffold/cli');

process.exitCode = await main(process.argv.slice(2));
