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
    // The app is one chunk of about 770 kB (230 kB gzipped); React Flow (about 55 kB gzipped) and the charts
    // (about 110 kB gzipped) load with the first run page and table page. No warning for the main chunk.
    chunkSizeWarningLimit: 1500,
  },
});
