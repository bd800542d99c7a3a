export { main } from './cli.js';
export type { CreatedProduct } from './create.js';
export { createProduct, planProductFiles } from './create.js';
export { checkTargetDir, PRODUCT_TEMPLATE_DIR, readTemplates, writeProduct } from './files.js';
export type { ScaffoldInput, ScaffoldOptions } from './options.js';
export { normaliseOptions, productNameProblem, suggestName } from './options.js';
export type { PlannedFile, TemplateFile } from './plan.js';
export { planProduct, productManifest, renderTemplate, templateContext } from './plan.js';
export { RESERVED_NAMES } from './reserved-names.js';
