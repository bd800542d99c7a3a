/** The report page's own CSS (inlined; uPlot's comes from its package). System fonts: nothing to fetch. */
export const PAGE_STYLE = `
:root { color-scheme: light; --muted: #5f6368; --line: #dadce0; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 3rem; color: #202124; background: #fff; }
h1 { font-size: 1.6rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 0.5rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem; }
.meta, footer { color: var(--muted); }
footer { margin-top: 3rem; font-size: 0.85rem; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.tiles { display: flex; gap: 1rem; margin: 1rem 0; flex-wrap: wrap; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 1rem; min-width: 9rem; }
.tile .value { display: block; font-size: 1.5rem; font-weight: 600; }
.tile .label { color: var(--muted); }
.chart { width: 100%; min-height: 300px; margin: 0.5rem 0 1rem; }
.nothing { color: var(--muted); font-style: italic; }
table.data { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
table.data th { background: #f8f9fa; }
table.data td { overflow-wrap: anywhere; }
.num { text-align: right !important; white-space: nowrap; }
button.sort { all: unset; cursor: pointer; font-weight: 600; }
button.sort:focus-visible { outline: 2px solid #1a73e8; }
th[aria-sort="ascending"] button.sort::after { content: " \\25B2"; }
th[aria-sort="descending"] button.sort::after { content: " \\25BC"; }
.status { display: inline-block; padding: 0 0.4rem; border-radius: 3px; background: #eceff1; }
.status-success, .status-pass { background: #e6f4ea; color: #1e5e2a; }
.status-failed, .status-error, .status-fail, .status-runtime-error { background: #fce8e6; color: #a50e0e; }
.status-warn, .status-interrupted { background: #fef7e0; color: #7a4f01; }
.bar { display: inline-block; width: 8rem; height: 0.7rem; background: #eceff1; vertical-align: middle; }
.bar > span { display: block; height: 100%; background: #0072b2; }
#invocation-search { width: min(28rem, 100%); padding: 0.3rem 0.5rem; font: inherit; }
`;
