// ESLint for the web app: typescript-eslint (type-aware), the rules of hooks,
// and the import boundaries of the layout (see README.md):
//   features/<a>  may import components, lib, types, testing and itself, nothing
//                 else of src/ (no other feature, not the app);
//   app           may import a feature only through its index.ts;
//   components, lib, types  import neither features nor app.
// The boundaries are checked on resolved files (the `@/` alias and relative
// paths alike), so `../../other-feature/...` is caught as well.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { defineConfig } from 'eslint/config';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;
const src = path.join(root, 'src');
const features = readdirSync(path.join(src, 'features'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

/** One zone per feature: of src/ it may import the shared folders and itself only. */
const featureZones = features.map((feature) => ({
  target: `./src/features/${feature}`,
  from: './src',
  except: ['./components', './lib', './types', './testing', `./features/${feature}`],
  message:
    'Features never import each other (nor the app): a feature imports src/components, ' +
    'src/lib, src/types, src/testing and itself; compose features in src/app.',
}));

const layerZones = [
  {
    target: ['./src/components', './src/lib', './src/types'],
    from: ['./src/features', './src/app'],
    message: 'Shared code does not depend on features or the app.',
  },
  {
    // Globs must be absolute here: the rule matches them against resolved paths.
    target: './src/app',
    from: [`${src}/features/**`],
    except: [`${src}/features/*/index.ts`],
    message: "The app imports a feature through its index.ts (the feature's public surface).",
  },
];

export const boundaryZones = [...featureZones, ...layerZones];

export default defineConfig(
  {
    ignores: ['dist', 'node_modules', 'e2e/artifacts', 'lint/fixtures', 'src/lib/api/schema.d.ts'],
  },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      globals: globals.browser,
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat['recommended-latest']],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({ project: path.join(root, 'tsconfig.app.json') }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: boundaryZones }],
    },
  },
  {
    files: ['**/*.{js,mjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    // The journey passes functions to page.evaluate: they run in the browser.
    files: ['e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },
);
