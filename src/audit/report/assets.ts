/**
 * uPlot's script and style, read from the installed package so the report
 * inlines them (no CDN). uPlot was chosen for size: 51 KB minified with its
 * CSS, against ~1 MB for ECharts and ~200 KB for Observable Plot with D3.
 * It is a dependency of dbt-product-kit itself, so the published dbt-run
 * (which depends on the kit) finds it beside the kit's own files.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { KitError } from '../../errors.js';

export interface ReportAssets {
  /** uPlot's IIFE build (defines the global `uPlot`). */
  chartScript: string;
  chartStyle: string;
  /** What the page names as its chart library. */
  chartLibrary: string;
}

/** Reads uPlot from node_modules (resolved from this module, as Node resolves the kit's own imports). */
export async function loadReportAssets(): Promise<ReportAssets> {
  const require = createRequire(import.meta.url);
  try {
    const script = require.resolve('uplot/dist/uPlot.iife.min.js');
    const style = require.resolve('uplot/dist/uPlot.min.css');
    const version = (JSON.parse(await readFile(require.resolve('uplot/package.json'), 'utf8')) as { version: string })
      .version;
    return {
      chartScript: await readFile(script, 'utf8'),
      chartStyle: await readFile(style, 'utf8'),
      chartLibrary: `uPlot ${version}`,
    };
  } catch (cause) {
    throw new KitError(
      `the report's chart library (uplot) is missing from dbt-product-kit's dependencies: reinstall it (npm install)`,
      { cause, exitCode: 2 },
    );
  }
}
