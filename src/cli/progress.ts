// A progress bar on stderr (commands create it only on a terminal, without --json or --quiet); it
// appears once the work is large enough to be worth watching.
export interface Progress {
  update(done: number, total: number): void
  stop(): void
}

export async function progressBar(label: string, unit: string, threshold: number): Promise<Progress> {
  const {SingleBar, Presets} = (await import('cli-progress')).default
  const bar = new SingleBar({format: `${label} {bar} {value}/{total} ${unit}`, stream: process.stderr, clearOnComplete: true}, Presets.shades_classic)
  let started = false
  return {
    update(done, total) {
      if (total < threshold) return
      if (!started) {
        bar.start(total, 0)
        started = true
      }
      bar.update(done)
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
