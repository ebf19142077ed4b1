#!/usr/bin/env node
// The oclif entry point: commands and their flags come from oclif.manifest.json, so start-up
// imports only the command that runs.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
