import { fileURLToPath } from 'node:url';

/** The executable @temporalio/testing can launch: `{ server: { executable: { type: 'existing-path', path } } }`. */
export const devServerExecutablePath = fileURLToPath(new URL('./bin.mjs', import.meta.url));
