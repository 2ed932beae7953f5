import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The web app. `npm run build:web` writes web/dist, which `sluice start`
 * serves at `/`; `npm run dev` serves it with hot reload and sends /api to a
 * Sluice server on port 3000 (`npm start` in another terminal).
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { '/api': { target: process.env.SLUICE_API_URL ?? 'http://127.0.0.1:3000', changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One bundle (about 210 kB gzipped) until routes are split; no warning for it.
    chunkSizeWarningLimit: 1500,
  },
});
