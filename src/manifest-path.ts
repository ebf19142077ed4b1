// Where a tree's manifest is, in a module of its own: run reads the manifest's head, and export
// names it, without loading the writer's modules. OUT/var/lib/ns-tool/manifest.json: where a tree
// keeps its package managers' records (/var/lib/dpkg), not at its root, where `ls -a /` shows it.
export const MANIFEST_DIR = 'var/lib/ns-tool'
export const MANIFEST = `${MANIFEST_DIR}/manifest.json`
// Where trees built before kept it: still read as their manifest, left out of exports and of a
// rebuild's carry-over, hidden by run.
export const LEGACY_MANIFEST_DIR = '.ns-tool'
export const LEGACY_MANIFEST = `${LEGACY_MANIFEST_DIR}/manifest.json`
// Every directory ns-tool keeps a tree's record in, inside the tree.
export const MANIFEST_DIRS = [MANIFEST_DIR, LEGACY_MANIFEST_DIR]
