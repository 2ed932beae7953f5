export type { Orchestrator } from './orchestrator.js';
export { BuiltinOrchestrator } from './builtin.orchestrator.js';
