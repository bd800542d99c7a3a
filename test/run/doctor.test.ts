/** dbt-run doctor's reading of `dbt debug` (pure; the command itself: test/run/cli.test.ts). */
import { describe, expect, it } from 'vitest';
import { debugFailure } from '../../src/run/doctor.js';

const event = (name: string, msg: string, level = 'info') =>
  JSON.stringify({ info: { name, code: 'Z', level, msg, ts: 't', invocation_id: 'i' }, data: {} });

describe("dbt debug's reason", () => {
  it("is the database's error dbt quotes, without dbt's colours, and every line of dbt's result", () => {
    const output = [
      event('DebugCmdOut', '  Connection test: [\u001b[31mERROR\u001b[0m]\n'),
      event('DebugCmdResult', '\u001b[31m1 check failed:\u001b[0m'),
      event(
        'DebugCmdResult',
        'dbt was unable to connect to the specified database.\nThe database returned the following error:\n\n  >Database Error\n  connection to server at "127.0.0.1", port 1 failed: Connection refused\n',
      ),
    ].join('\n');
    expect(debugFailure(output)).toEqual({
      headline: 'connection to server at "127.0.0.1", port 1 failed: Connection refused',
      lines: [
        'dbt was unable to connect to the specified database.',
        'The database returned the following error:',
        '>Database Error',
        'connection to server at "127.0.0.1", port 1 failed: Connection refused',
      ],
    });
  });

  it('falls back to the text dbt printed when it logged no JSON (a crash before logging)', () => {
    expect(
      debugFailure('Traceback (most recent call last):\n\u001b[31mModuleNotFoundError: dbt.adapters\u001b[0m\n'),
    ).toEqual({
      headline: 'Traceback (most recent call last):',
      lines: ['Traceback (most recent call last):', 'ModuleNotFoundError: dbt.adapters'],
    });
    expect(debugFailure('')).toBeUndefined();
  });
});
