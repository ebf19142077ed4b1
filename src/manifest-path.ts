// Where a tree's manifest is (OUT/.ns-tool/manifest.json), in a module of its own: run reads the
// manifest's head, and export names it, without loading the writer's modules.
export const MANIFEST_DIR = '.ns-tool'
export const MANIFEST = `${MANIFEST_DIR}/manifest.json`
