export {
  OPERATIONS,
  runOperation,
  migrateOperation,
  createOrgOperation,
  createUserOperation,
  createTokenOperation,
  type Operation,
} from './operations.js';
export { generateControlSecret, readControlFile, writeControlFile, removeControlFile, type ControlFile } from './control-file.js';
