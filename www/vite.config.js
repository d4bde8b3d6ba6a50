import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the built page works from any directory.
  base: './',
  // wasm-bindgen's loader finds its .wasm next to itself through
  // `new URL(..., import.meta.url)`; pre-bundling would move it away.
  // Transformers.js loads ONNX Runtime's wasm glue from the URLs the page
  // gives it, so it is left as it is too.
  optimizeDeps: { exclude: ['hubguard', '@huggingface/transformers', 'onnxruntime-web'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Transformers.js is most of the embeddings page: 540 kB minified.
    chunkSizeWarningLimit: 1024,
    // Two pages: the tokenizer demo, and embeddings from a gated model.
    rolldownOptions: { input: { main: 'index.html', embeddings: 'embeddings.html' } },
  },
});
