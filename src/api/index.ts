export { buildServer, type ServerOptions } from './server.js';
export { listenMetrics, type MetricsServer } from './metrics-server.js';
