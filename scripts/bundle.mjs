#!/usr/bin/env node
// The `difyrun` command as users run it: src/ and its pure-JavaScript packages bundled by esbuild
// into a few chunks, so a command reads a handful of files instead of ~110 ES modules and the
// CommonJS packages (commander, papaparse, bullmq, ioredis, exceljs) that Node otherwise scans for
// their exports one file at a time. `difyrun batch` reaches its first request ~50 ms sooner
// (BENCHMARKS.md, cli-startup and batch-vs-seed); the test suite spawns the same bundle.
//
//   node scripts/bundle.mjs [outdir]     the CLI bundle (default dist/bundle; npm run build runs it)
//
// Layout: <outdir>/main.js and <outdir>/chunks/*.js. The chunks sit three levels below the package
// root (dist/bundle/chunks), as src/results/report/page.ts sits (dist/results/report), so its
// ../../../assets holds from either; the worker scripts (sandbox, fingerprints) are chunks of their
// own beside the code that starts them. Packages that load their own .wasm, data files or
// binaries stay in node_modules, and so does exceljs (see external).
import { writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const ESBUILD_COMMON = { format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' };

/** Bundles `entryPoints` (name → source) and the worker scripts into `outdir`, shared code in `chunks`. */
export function bundled(outdir, chunks, entryPoints) {
  return build({
    ...ESBUILD_COMMON,
    entryPoints: {
      ...entryPoints,
      [`${chunks}/python-worker`]: 'src/server/engine/sandbox/python-worker.ts',
      [`${chunks}/javascript-worker`]: 'src/server/engine/sandbox/javascript-worker.ts',
      [`${chunks}/fingerprint-worker`]: 'src/batch/input/fingerprint-worker.ts',
    },
    bundle: true,
    splitting: true,
    metafile: true,
    outdir,
    chunkNames: `${chunks}/[name]-[hash]`,
    external: [
      'pyodide',
      'node-sqlite3-wasm',
      '@jitl/quickjs-wasmfile-release-sync',
      'quickjs-emscripten-core',
      'playwright-core',
      'esbuild',
      'tsx',
      'typescript',
      // The .xlsx writer (export, init), loaded only by those commands. Its archiver calls
      // `new Buffer()`, which Node warns about (DEP0005) only outside node_modules: inlined,
      // every `export -o x.xlsx` printed a DeprecationWarning.
      'exceljs',
    ],
    // The bundled CommonJS packages call require(); ES modules have none of their own.
    banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
  });
}

/**
 * The CLI: `<outdir>/main.js`, and beside the folder `<outdir>.imports.json`: the packages the
 * bundle leaves in node_modules, which scripts/assemble-packages.mjs declares as dependencies
 * (esbuild's own account of them: the inlined packages' code is no place to look for imports).
 * A require() esbuild could not resolve is an inlined package's optional one, inside a try
 * (bullmq's Valkey GLIDE client and Postgres adapter), not a dependency.
 */
export async function bundleCli(outdir) {
  const { metafile } = await bundled(outdir, 'chunks', { main: 'src/cli/main.ts' });
  const imported = Object.values(metafile.outputs).flatMap((output) =>
    output.imports.filter((i) => i.external && i.kind !== 'require-call').map((i) => i.path),
  );
  const packages = [...new Set(imported.filter((path) => !path.startsWith('node:') && !builtinModules.includes(path)))].sort();
  writeFileSync(join(dirname(outdir), `${basename(outdir)}.imports.json`), `${JSON.stringify(packages, null, 2)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bundleCli(resolve(process.argv[2] ?? 'dist/bundle'));
