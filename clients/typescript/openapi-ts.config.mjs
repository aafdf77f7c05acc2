// @ts-check
import { defineConfig } from '@hey-api/openapi-ts';

/**
 * The generator's whole configuration: the repository's committed OpenAPI document in, a fetch
 * client out. Settings that would otherwise depend on the machine (a tsconfig found nearby) are
 * fixed here, so the output is the same byte for byte wherever it runs (the drift test relies on it).
 */
export default defineConfig({
  input: '../../openapi.json',
  output: {
    path: 'src',
    tsConfigPath: null,
    module: { extension: '.js' },
    postProcess: [],
  },
  plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
  logs: { file: false },
});
