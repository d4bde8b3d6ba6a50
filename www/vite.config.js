import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the built page works from any directory.
  base: './',
  // wasm-bindgen's loader finds its .wasm next to itself through
  // `new URL(..., import.meta.url)`; pre-bundling would move it away.
  optimizeDeps: { exclude: ['hubguard'] },
  build: { outDir: 'dist', emptyOutDir: true },
});
