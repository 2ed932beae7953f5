import { createBrowserRouter } from 'react-router';
import { RequireSession } from './require-session';
import { Shell } from './shell';
import { DashboardRoute } from './routes/dashboard';
import { LoginRoute } from './routes/login';
import { AuditRoute, SettingsRoute } from './routes/admin';
import { FilesRoute, NotFoundRoute, RunRoute, RunsRoute, TableRoute, TablesRoute } from './routes/pages';
import { ForecastsRoute } from './routes/forecasts';
import { ConnectionRoute, ConnectionsRoute, NewConnectionRoute, SchedulesRoute } from './routes/connections';

export const createRouter = () =>
  createBrowserRouter([
    { path: '/login', element: <LoginRoute /> },
    {
      element: <RequireSession />,
      children: [
        {
          element: <Shell />,
          children: [
            { index: true, element: <DashboardRoute /> },
            { path: 'tables', element: <TablesRoute /> },
            { path: 'tables/:table', element: <TableRoute /> },
            { path: 'forecasts', element: <ForecastsRoute /> },
            { path: 'files', element: <FilesRoute /> },
            { path: 'runs', element: <RunsRoute /> },
            { path: 'runs/:runId', element: <RunRoute /> },
            { path: 'connections', element: <ConnectionsRoute /> },
            { path: 'connections/new', element: <NewConnectionRoute /> },
            { path: 'connections/:id', element: <ConnectionRoute /> },
            { path: 'schedules', element: <SchedulesRoute /> },
            { path: 'audit', element: <AuditRoute /> },
            { path: 'settings', element: <SettingsRoute /> },
            { path: '*', element: <NotFoundRoute /> },
          ],
        },
      ],
    },
  ]);
