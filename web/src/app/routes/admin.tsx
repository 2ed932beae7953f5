import { AuditPage } from '../../features/audit';
import { SettingsPage } from '../../features/settings';

export const AuditRoute = () => <AuditPage />;
export const SettingsRoute = () => <SettingsPage />;
