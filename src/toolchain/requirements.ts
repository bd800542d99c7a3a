import { fileURLToPath } from 'node:url';

/** The requirements file shipped with the kit: dbt-core and the adapters, pinned. */
export const DBT_REQUIREMENTS = fileURLToPath(new URL('../../requirements/dbt.txt', import.meta.url));
