// ELF dlopen metadata (the FDO "ELF dlopen metadata" specification, used by systemd and read by
// dracut): a note of owner "FDO" and type 0x407c0c0a whose descriptor is a JSON array naming the
// libraries an object may dlopen, each feature with a priority.
import {DATA_FLAGS} from '../options/build-rootfs.js'
import type {ElfNote} from '../elf/sections.js'

export const FDO_DLOPEN_NOTE = 0x407c0c0a

// The values of --dlopen: the lowest priority followed (the specification's priorities, most
// needed first; a level follows its own and every one before it), or none.
export const DLOPEN_LEVELS = DATA_FLAGS.dlopen.choices
export type DlopenLevel = (typeof DLOPEN_LEVELS)[number]
export type DlopenPriority = Exclude<DlopenLevel, 'none'>
export const DLOPEN_PRIORITIES = DLOPEN_LEVELS.filter((level): level is DlopenPriority => level !== 'none')
export const DEFAULT_DLOPEN_LEVEL: DlopenLevel = DATA_FLAGS.dlopen.default

export interface DlopenFeature {
  feature?: string
  description?: string
  priority: DlopenPriority
  // Alternatives in order of preference: the first one found is taken.
  sonames: string[]
}

// The features the notes name; a malformed note is skipped (the object still loads without it).
export function dlopenFeatures(notes: ElfNote[]): DlopenFeature[] {
  const features: DlopenFeature[] = []
  for (const note of notes) {
    if (note.owner !== 'FDO' || note.type !== FDO_DLOPEN_NOTE) continue
    let parsed: unknown
    try {
      parsed = JSON.parse(note.desc.toString('utf8').replace(/\0+$/, ''))
    } catch {
      continue
    }
    if (!Array.isArray(parsed)) continue
    for (const item of parsed as Array<Record<string, unknown>>) {
      const sonames = Array.isArray(item?.soname) ? item.soname.filter((s): s is string => typeof s === 'string' && s !== '') : []
      if (sonames.length === 0) continue
      // The specification's default priority is "recommended".
      const priority = DLOPEN_PRIORITIES.includes(item.priority as DlopenPriority) ? (item.priority as DlopenPriority) : 'recommended'
      const feature: DlopenFeature = {priority, sonames}
      if (typeof item.feature === 'string') feature.feature = item.feature
      if (typeof item.description === 'string') feature.description = item.description
      features.push(feature)
    }
  }
  return features
}

export function follows(level: DlopenLevel, priority: DlopenPriority): boolean {
  return level !== 'none' && DLOPEN_PRIORITIES.indexOf(priority) <= DLOPEN_PRIORITIES.indexOf(level)
}
