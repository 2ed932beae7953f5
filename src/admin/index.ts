export {
  OPERATIONS,
  runOperation,
  migrateOperation,
  createOrgOperation,
  createUserOperation,
  createTokenOperation,
  triggerRunOperation,
  getRunOperation,
  type Operation,
} from './operations.js';
export { generateControlSecret, readControlFile, writeControlFile, removeControlFile, type ControlFile } from './control-file.js';
