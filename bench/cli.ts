/** The command every benchmark spawns: the bundle `npm run build` writes (scripts/bundle.mjs), which `npx difyrun` and the package's bin run. */
export const CLI = 'dist/bundle/main.js';
