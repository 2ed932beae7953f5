/** What the API shows instead of a stored secret; sent back unchanged in a PATCH, it keeps the secret. */
export const SECRET_MASK = '********';
