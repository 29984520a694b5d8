// Imports a bare specifier from this app's own folder, through package.json `exports`.
export async function load(specifier) {
  return import(specifier);
}
