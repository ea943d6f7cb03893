/**
 * Lets `node -r ./bench/register.js bench/x.ts` run TypeScript benchmarks straight from source:
 * compiles .ts with SWC (decorator metadata on, like the build) and resolves the @engram/* aliases.
 */
const { transformSync } = require('@swc/core');
const path = require('node:path');
const tsConfigPaths = require('tsconfig-paths');

const root = path.resolve(__dirname, '..');
const tsconfig = require(path.join(root, 'tsconfig.json'));
tsConfigPaths.register({ baseUrl: root, paths: tsconfig.compilerOptions.paths });

require.extensions['.ts'] = function compile(module, filename) {
  const source = require('node:fs').readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
