export { SecretBox } from './secret-box.js';
export { resolveSecretKey } from './secret-key.js';
