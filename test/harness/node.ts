/** Node lines other than the machine's, from npm's `node` package (cached by npx after the first call). */
import { execa } from 'execa';

/** The executable of a Node release line, e.g. `node@22`. */
export async function nodeFromNpm(spec: string): Promise<string> {
  const { stdout } = await execa('npx', ['--yes', '-p', spec, 'node', '-p', 'process.execPath']);
  return stdout.trim();
}
