export { SecretBox } from './secret-box.js';
export { resolveSecretKey } from './secret-key.js';
export { MASK, MIN_SECRET_LENGTH, SecretMasker } from './masker.js';
