#!/usr/bin/env node
// Builds the two npm packages from one compiled dist/ (npm run build runs this after tsc):
//
//   difyrun      the SDK: only the files the SDK entries (., ./node, ./protocol) reach, and the
//                one runtime dependency they import (eventsource-parser). ESM; require() works
//                on Node >= 20.19 through the "default" export condition (require(esm)).
//   difyrun-cli  the `difyrun` command (dist/bundle, from scripts/bundle.mjs), the batch executor
//                and the local server (difyrun-cli/server), with every runtime dependency.
//
// Each package's dependencies are the bare imports its files actually contain, at the ranges
// the root package.json pins, so a new import can never ship undeclared. Source maps are not
// shipped (they would point at src/, which is not), and a declaration comment that names a
// document the package does not contain fails the build.
//
// Usage: node scripts/assemble-packages.mjs [--dist dist] [--out build/packages]
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { dist: { type: 'string', default: 'dist' }, out: { type: 'string', default: 'build/packages' } } });
const root = resolve(import.meta.dirname, '..');
const dist = resolve(args.dist);
const out = resolve(args.out);
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const SHIPPED_DOCS = ['README.md', 'LICENSE'];

// A module specifier: quoted, no spaces, starting like a path or package name (so text such as
// "read it from');" in a string is not taken for an import). `createRequire(…)('name')` counts
// too: the progress bar loads cli-progress that way, and without it the package shipped without
// cli-progress and `difyrun batch` in a terminal failed with "Cannot find module 'cli-progress'".
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bcreateRequire\([^)]*\)\(\s*)['"]([\w@./:-][^'"\s]*)['"]/g;

/** Relative and bare specifiers a JS or .d.ts file imports. */
function importsOf(file) {
  if (!existsSync(file)) return [];
  return [...readFileSync(file, 'utf8').matchAll(SPECIFIER)].map((match) => match[1]);
}

const isBuiltin = (name) => name.startsWith('node:') || builtinModules.includes(name);
const packageName = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Every dist file (relative .js and its .d.ts) reachable from the entries, and the packages they import. */
function closure(entries) {
  const files = new Set();
  const packages = new Set();
  const queue = entries.map((entry) => join(dist, entry));
  while (queue.length > 0) {
    const js = queue.pop();
    if (files.has(js)) continue;
    if (!existsSync(js)) throw new Error(`${relative(root, js)} is imported but was not built`);
    files.add(js);
    const dts = js.replace(/\.js$/, '.d.ts');
    if (existsSync(dts)) files.add(dts);
    for (const specifier of [...importsOf(js), ...importsOf(dts)]) {
      if (specifier.startsWith('.')) queue.push(resolve(dirname(js), specifier));
      else if (!isBuiltin(specifier) && packageName(specifier) !== rootManifest.name) packages.add(packageName(specifier));
    }
  }
  return { files, packages };
}

function allFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFiles(path) : [path];
  });
}

function dependencies(packages, label) {
  const declared = rootManifest.dependencies ?? {};
  return Object.fromEntries(
    [...packages].sort().map((name) => {
      if (!declared[name]) throw new Error(`${label} imports ${name}, which package.json does not list in dependencies`);
      return [name, declared[name]];
    }),
  );
}

/** Copies a dist file without its source-map comment; checks its doc references. */
function copyBuilt(file, packageDir) {
  const target = join(packageDir, 'dist', relative(dist, file));
  mkdirSync(dirname(target), { recursive: true });
  const text = readFileSync(file, 'utf8').replace(/(^|\n)\/\/# sourceMappingURL=\S+\s*$/, '$1');
  if (file.endsWith('.d.ts')) {
    const unshipped = [...text.matchAll(/\b(?:research|seeds?|shared)\/[\w./-]+|\bseed \d{3}\b|\b[\w-]+\.md\b/g)]
      .map((m) => m[0])
      .filter((doc) => !SHIPPED_DOCS.includes(doc));
    if (unshipped.length > 0) throw new Error(`${relative(root, file)} points at ${unshipped.join(', ')}, which the package does not ship`);
  }
  writeFileSync(target, text);
}

function entry(path) {
  return { types: `./dist/${path}.d.ts`, default: `./dist/${path}.js` };
}

function writePackage(name, manifest, files, extra = []) {
  const dir = join(out, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of files) if (file.endsWith('.js') || file.endsWith('.d.ts')) copyBuilt(file, dir);
  for (const doc of [...SHIPPED_DOCS, ...extra]) cpSync(join(root, doc), join(dir, doc), { recursive: true });
  const common = {
    version: rootManifest.version,
    license: rootManifest.license,
    type: 'module',
    engines: rootManifest.engines,
    repository: rootManifest.repository,
    keywords: rootManifest.keywords,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, ...common, ...manifest }, null, 2)}\n`);
  return dir;
}

// The command is the bundle scripts/bundle.mjs writes into dist/bundle (npm run build runs it before this).
// tsc and esbuild write files without the execute bit; the clone's own `npx difyrun` runs it directly.
const bundleDir = join(dist, 'bundle');
const BIN = join(bundleDir, 'main.js');
if (!existsSync(BIN)) throw new Error(`${relative(root, BIN)} is missing: run node scripts/bundle.mjs ${relative(root, bundleDir)} first`);
chmodSync(BIN, 0o755);

const sdkEntries = { '.': 'index', './node': 'node', './protocol': 'protocol/index' };
const sdk = closure(Object.values(sdkEntries).map((path) => `${path}.js`));
const sdkDir = writePackage(
  'difyrun',
  {
    description: 'A typed TypeScript client for Dify workflow apps: every Workflow App API endpoint, correct streaming on every runtime, safe retries.',
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: { ...Object.fromEntries(Object.entries(sdkEntries).map(([key, path]) => [key, entry(path)])), './package.json': './package.json' },
    sideEffects: false,
    dependencies: dependencies(sdk.packages, 'the SDK'),
  },
  sdk.files,
);

// The command's bundle is shipped whole; the packages it imports are the ones esbuild left out.
const bundleFiles = allFiles(bundleDir).filter((file) => file.endsWith('.js'));
const cliFiles = allFiles(dist).filter((file) => (file.endsWith('.js') || file.endsWith('.d.ts')) && !file.startsWith(bundleDir + '/'));
const cli = closure(cliFiles.filter((file) => file.endsWith('.js')).map((file) => relative(dist, file)));
for (const specifier of JSON.parse(readFileSync(`${bundleDir}.imports.json`, 'utf8'))) cli.packages.add(packageName(specifier));
// Read from node_modules at run time rather than imported: the HTML report inlines Chart.js's bundle.
cli.packages.add('chart.js');
const cliDir = writePackage(
  'difyrun-cli',
  {
    description:
      'The difyrun command: crash-safe, resumable batch runs of Dify workflows from CSV/JSONL, run/status/logs/upload, and a local Dify-compatible server.',
    // The same command as the clone's own (package.json bin).
    bin: rootManifest.bin,
    exports: {
      '.': entry('index'),
      './node': entry('node'),
      './protocol': entry('protocol/index'),
      './server': entry('server/index'),
      './package.json': './package.json',
    },
    dependencies: dependencies(cli.packages, 'the CLI'),
  },
  [...cliFiles, ...bundleFiles],
  ['examples/workflows', 'examples/data', 'assets/report'],
);

for (const dir of [sdkDir, cliDir]) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  console.log(`${relative(root, dir)}: ${manifest.name}@${manifest.version}, dependencies: ${Object.keys(manifest.dependencies).join(', ') || 'none'}`);
}
