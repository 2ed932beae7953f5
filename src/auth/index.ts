export { Role, roleAtLeast, weakerRole } from './roles.js';
export { Org, OrgId, User, TokenInfo, Actor, Email, Password, type Principal } from './schemas.js';
export { OrgsService } from './orgs.service.js';
export { UsersService, type CreateUserInput } from './users.service.js';
export { TokensService, mayGrant, type IssueTokenInput } from './tokens.service.js';
export { LoginService, InvalidCredentialsError, type LoginResult } from './login.service.js';
export { bootstrapFirstAdmin, DEFAULT_ORG_ID, type BootstrapResult } from './bootstrap.js';
export { hashPassword, verifyPassword, generatePassword } from './passwords.js';
