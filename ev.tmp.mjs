import { runDbtProcess } from './dist/dbt/process.js';
import { JsonReporter } from './dist/run/reporters.js';
import { emptyProgress, applyEvent } from './dist/run/progress.js';
const py = `import sys,time
lines=open('/tmp/raw.ndjson').read().splitlines()
for l in lines:
    print(l, flush=True)
    time.sleep(${process.argv[3] ?? '0.002'})`;
const mode = process.argv[4] ?? 'full';
const c0 = process.cpuUsage();
const progress = emptyProgress();
const out = [];
const rep = new JsonReporter((s) => { if (mode === 'full') process.stdout.write(s); });
const r = await runDbtProcess({ dbtPath: 'python3', args: ['-c', py], cwd: '/tmp', env: process.env,
  onEvent: mode === 'none' ? undefined : (e) => rep.event(e, progress, applyEvent(progress, e)) });
const c = process.cpuUsage(c0);
process.stderr.write(`${mode}: user ${(c.user/1e3).toFixed(0)} sys ${(c.system/1e3).toFixed(0)} finished ${progress.finished.length}\n`);
