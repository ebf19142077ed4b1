// A progress bar on stderr (commands create it only on a terminal, without --json or --quiet); it
// appears once the work is large enough to be worth watching. Until then a status line says what
// is being done (a large build resolves for seconds before it copies anything).
export interface Progress {
  status(text: string): void
  update(done: number, total: number): void
  stop(): void
}

// Back to the start of the line, and the line cleared.
const CLEAR_LINE = '\r\x1b[K'

export async function progressBar(label: string, unit: string, threshold: number): Promise<Progress> {
  const {SingleBar, Presets} = (await import('cli-progress')).default
  const bar = new SingleBar({format: `${label} {bar} {value}/{total} ${unit}`, stream: process.stderr, clearOnComplete: true}, Presets.shades_classic)
  let started = false
  let status = false
  return {
    status(text) {
      if (started) return
      process.stderr.write(`${status ? CLEAR_LINE : ''}${text}`)
      status = true
    },
    update(done, total) {
      if (total < threshold) return
      if (!started) {
        if (status) process.stderr.write(CLEAR_LINE)
        bar.start(total, 0)
        started = true
      }
      bar.update(done)
    },
    stop() {
      if (started) bar.stop()
      else if (status) process.stderr.write(CLEAR_LINE)
    },
  }
}
