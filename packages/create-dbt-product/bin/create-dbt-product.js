#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ caches compiled modules between runs; older Node skips this.
module.enableCompileCache?.();
// Imported after enabling the cache, so the kit's modules are cached too.
const { main } = await import('dbt-product-kit/scaffold/cli');

process.exitCode = await main(process.argv.slice(2));
