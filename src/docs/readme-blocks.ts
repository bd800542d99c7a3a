/**
 * The parts of the kit's README that are generated from src/ (pure): each
 * block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`
 * and is rewritten by `npm run generate`; a test fails when the README's copy
 * is stale, like a lockfile check.
 */
import { AUDIT_COLUMNS, INVOCATION_COLUMNS } from '../audit/columns.js';
import { columnsMarkdown } from '../audit/product-facts.js';
import { analystQueriesMarkdown } from '../audit/queries/analyst.js';
import { KitError } from '../errors.js';
import { messagesMarkdown } from '../schemas/readme.js';

export type BlockRenderers = Readonly<Record<string, () => string>>;

export const README_BLOCKS: BlockRenderers = {
  'audit-columns': () => columnsMarkdown(AUDIT_COLUMNS),
  'invocation-columns': () => columnsMarkdown(INVOCATION_COLUMNS),
  // Blank lines around it: the block starts with text and holds headings.
  'audit-queries': () => analystQueriesMarkdown(),
  // Blank lines around it: the block starts with a heading.
  messages: () => `\n${messagesMarkdown()}\n`,
};

const BLOCK = /(<!-- generated:([\w-]+) -->\n)(?:[\s\S]*?\n)?(<!-- \/generated:\2 -->)/g;

/** The text with every generated block rendered afresh; unknown block names are an error. */
export function renderBlocks(text: string, blocks: BlockRenderers = README_BLOCKS): string {
  return text.replace(BLOCK, (_match, open: string, name: string, close: string) => {
    const render = blocks[name];
    if (!render) throw new KitError(`README block generated:${name} has no renderer in src/docs/readme-blocks.ts`);
    return `${open}${render()}\n${close}`;
  });
}

/** The names of the generated blocks a text holds. */
export function blockNames(text: string): string[] {
  return [...text.matchAll(BLOCK)].map((match) => match[2] as string);
}
