// An SBOM of a tree, SPDX 2.3 or CycloneDX 1.5 JSON: src/provenance/sbom/model.ts reads the tree,
// spdx.ts and cyclonedx.ts write the two formats.
import {cyclonedxDocument, CYCLONEDX_MEDIA_TYPE} from './cyclonedx.js'
import {sbomModel, type SbomInput} from './model.js'
import {spdxDocument, SPDX_MEDIA_TYPE} from './spdx.js'

import type {SBOM} from '../../options/sbom.js'

export type SbomFormat = (typeof SBOM.flags.format.choices)[number]

export interface SbomDocument {
  format: SbomFormat
  mediaType: string
  // The conventional file name suffix: .spdx.json, .cdx.json.
  suffix: string
  text: string
}

const WRITERS: Record<SbomFormat, {mediaType: string; suffix: string; write: typeof spdxDocument}> = {
  'spdx-json': {mediaType: SPDX_MEDIA_TYPE, suffix: '.spdx.json', write: spdxDocument},
  'cyclonedx-json': {mediaType: CYCLONEDX_MEDIA_TYPE, suffix: '.cdx.json', write: cyclonedxDocument},
}

export type {SbomInput}

export async function sbomDocuments(input: SbomInput, formats: SbomFormat[]): Promise<SbomDocument[]> {
  const model = await sbomModel(input)
  return formats.map((format) => ({format, mediaType: WRITERS[format].mediaType, suffix: WRITERS[format].suffix, text: JSON.stringify(WRITERS[format].write(model), null, 2) + '\n'}))
}
