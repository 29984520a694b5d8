// The tarball's declarations, as a TypeScript store sees them: every entry point resolves
// through `exports` under both `bundler` and `node16` resolution, without skipLibCheck.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { installApp } from "./harness.mjs";

const tsc = join(import.meta.dirname, "node_modules", "typescript", "bin", "tsc");

let app;
before(() => {
  app = installApp("types");
});
after(() => app?.cleanup());

for (const resolution of ["bundler", "node16"]) {
  test(`vitrine, vitrine/react and vitrine/element type-check under ${resolution}`, () => {
    try {
      execFileSync(process.execPath, [tsc, "-p", `tsconfig.${resolution}.json`], {
        cwd: app.dir,
        encoding: "utf8",
      });
    } catch (e) {
      throw new Error(`tsc found errors:\n${e.stdout}`);
    }
  });
}
