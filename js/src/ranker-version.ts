/**
 * The content hash of `pkg/vitrine_ranker_bg.wasm`, which the wrapper asks for as
 * `?v=<hash>` so that servers may cache it for good. `npm run build` (scripts/copy-pkg.mjs)
 * writes the real hash into `dist/ranker-version.js`; this value only marks a build that
 * skipped that step.
 *
 * @internal
 */
export const RANKER_VERSION: string = "unversioned";
