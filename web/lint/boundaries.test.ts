// The import boundaries of eslint.config.js, proven on code that breaks them:
// each case is linted with the project's real config at a path inside src/.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const web = path.resolve(import.meta.dirname, '..');
const rule = 'import-x/no-restricted-paths';

// The snippets are not files of a TypeScript project, so type-aware rules
// (which need one) are off; the boundary rule does not use types.
const eslint = new ESLint({
  cwd: web,
  overrideConfig: [{ files: ['**/*.{ts,tsx}'], ...tseslint.configs.disableTypeChecked }],
});

/** The boundary findings for `code` placed at `file` (relative to web/). */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(web, file) });
  const fatal = result.messages.filter((m) => m.fatal);
  expect(fatal).toEqual([]);
  return result.messages.filter((m) => m.ruleId === rule).map((m) => m.message);
}

// The first lint loads the config, the plugins and the resolver: seconds on
// a busy machine, past Vitest's 5 s default.
describe('import boundaries', { timeout: 60_000 }, () => {
  it('rejects a feature importing another feature (the fixture file)', async () => {
    const code = readFileSync(path.join(web, 'lint/fixtures/cross-feature-import.ts'), 'utf8');
    const errors = await boundaryErrors(
      'src/features/editor/components/cross-feature-import.ts',
      code,
    );
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('"@/features/builds"');
    expect(errors[1]).toContain('"../../deployments/api/get-deployments"');
    expect(errors[0]).toContain('Features never import each other');
  });

  it('lets a feature import itself and the shared folders', async () => {
    const errors = await boundaryErrors(
      'src/features/editor/components/allowed.ts',
      [
        "import { getFiles } from '../api/get-files';",
        "import { useFiles } from '@/features/editor/api/get-files';",
        "import { ErrorState } from '@/components/ui/states';",
        "import { shortSha } from '@/lib/format';",
        "import type { Commit } from '@/types/api';",
        "import { mockFetch } from '@/testing/fetch-mock';",
        'export const all = [getFiles, useFiles, ErrorState, shortSha, mockFetch];',
        'export type C = Commit;',
      ].join('\n'),
    );
    expect(errors).toEqual([]);
  });

  it('rejects a feature importing the app or anything else of src/', async () => {
    const errors = await boundaryErrors(
      'src/features/builds/components/uses-app.ts',
      "import { routes } from '@/app/router';\nimport '@/main';\nexport const r = routes;",
    );
    expect(errors).toHaveLength(2);
  });

  it("lets the app import a feature's index.ts but not its insides", async () => {
    const ok = await boundaryErrors(
      'src/app/routes/composes.ts',
      "import { BuildsList } from '@/features/builds';\nexport const b = BuildsList;",
    );
    expect(ok).toEqual([]);
    const inside = await boundaryErrors(
      'src/app/routes/composes.ts',
      "import { BuildLog } from '@/features/builds/components/build-log';\nexport const b = BuildLog;",
    );
    expect(inside).toHaveLength(1);
    expect(inside[0]).toContain('through its index.ts');
  });

  it('rejects shared code importing a feature', async () => {
    const errors = await boundaryErrors(
      'src/lib/uses-feature.ts',
      "import { useMe } from '@/features/auth';\nexport const m = useMe;",
    );
    expect(errors).toHaveLength(1);
  });
});
