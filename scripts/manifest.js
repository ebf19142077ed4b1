#!/usr/bin/env node
// Writes oclif.manifest.json from the compiled commands. With the manifest, oclif imports only the
// command being run (without it every command file is imported at start-up, ~2x slower).
// Uses @oclif/core's own Plugin loader, so the heavyweight `oclif` CLI is not needed.
import {Plugin} from '@oclif/core'
import {writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, isRoot: true})
await plugin.load()
writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(plugin.manifest, null, 2) + '\n')
