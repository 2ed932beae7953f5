export { LoginForm } from './components/login-form';
export { SessionMenu } from './components/session-menu';
