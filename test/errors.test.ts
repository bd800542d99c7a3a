/** Every kit error is a KitError: one line under the CLIs, its exit code, its cause kept, its own name. */
import { describe, expect, it } from 'vitest';
import { AuditJsonlError, parseAuditJsonl } from '../src/audit/sinks/jsonl.js';
import { AuditWriteError } from '../src/audit/sinks/types.js';
import { formatError, KitError } from '../src/errors.js';
import { DataApiError } from '../src/redshift/data-api.js';

describe('kit errors', () => {
  it('AuditWriteError keeps its sink, its cause and its name, and exits 2', () => {
    const cause = new Error('connection refused');
    const error = new AuditWriteError('cannot write the audit', { sink: 'postgres', cause });
    expect(error).toBeInstanceOf(KitError);
    expect(error).toBeInstanceOf(AuditWriteError);
    expect(error).toMatchObject({ name: 'AuditWriteError', sink: 'postgres', cause, exitCode: 2 });
    expect(formatError(error)).toBe('error: cannot write the audit');
  });

  it('DataApiError keeps its statement fields and its name, and exits 2', () => {
    const error = new DataApiError('Redshift statement s-1 failed', { statementId: 's-1', status: 'FAILED' });
    expect(error).toBeInstanceOf(KitError);
    expect(error).toMatchObject({ name: 'DataApiError', statementId: 's-1', status: 'FAILED', exitCode: 2 });
    expect(error.cause).toBeUndefined();
    expect(formatError(error)).toBe('error: Redshift statement s-1 failed');
  });

  it('a JSONL file that is not an upload is an AuditJsonlError, the parse error as cause', () => {
    const notJson = (() => {
      try {
        parseAuditJsonl('not json\n');
      } catch (error) {
        return error;
      }
    })();
    expect(notJson).toBeInstanceOf(AuditJsonlError);
    expect((notJson as AuditJsonlError).message).toMatch(/^line 1 is not JSON \(/);
    expect((notJson as AuditJsonlError).cause).toBeInstanceOf(SyntaxError);
    expect(() => parseAuditJsonl('{"kind":"other"}\n')).toThrow(new AuditJsonlError('unknown line kind "other"'));
    expect(() => parseAuditJsonl('{"kind":"node","row":{}}\n')).toThrow(AuditJsonlError);
  });
});
