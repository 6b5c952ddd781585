import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Promise.withResolvers for libp2p on Node 20; goes with core/polyfills.ts when the engine moves to Node 22.
    setupFiles: ['core/polyfills.ts'],
  },
})
