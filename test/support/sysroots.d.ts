// Types of sysroots.js (plain JavaScript, shared with the bootstrap).
export const RELEASES: Record<string, {version: number; packages: string[]}>
export function sysrootDir(release: string): string
export function hostMirror(): string | undefined
export function debianSysroot(release: string): {dir: string; reason?: undefined} | {dir?: undefined; reason: string}
export function makeDebianSysroots(releases: string[]): Promise<Record<string, string>>
