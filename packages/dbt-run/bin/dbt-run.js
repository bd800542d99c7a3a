#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ caches compiled modules between runs, in the kit's cache folder (kept by CI caches);
// older Node skips this.
const { compileCacheDir } = await import('dbt-product-kit/toolchain/cache-dir');
module.enableCompileCache?.(compileCacheDir());
// The AWS SDK warns on every run under Node 20 that its 2027 releases will need Node 22: noise in
// each run's output for a user who cannot act on it mid-run. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Imported after enabling the cache, so the kit's modules are cached too.
const { main } = await import('dbt-product-kit/run/cli');

process.exitCode = await main(process.argv.slice(2));
