// Mocha root hooks: every test's temp dirs are removed after it, whether it passed or failed.
import {removeReleaseWorkDirs} from './releases.js'
import {removeSuiteTempDirs, removeTempDirs} from './temp.js'

export const mochaHooks = {
  afterEach(): void {
    removeTempDirs()
    removeReleaseWorkDirs()
  },
  afterAll(): void {
    removeSuiteTempDirs()
  },
}
