import { createBrowserRouter } from 'react-router';
import { RequireSession } from './require-session';
import { Shell } from './shell';
import { DashboardRoute } from './routes/dashboard';
import { LoginRoute } from './routes/login';
import { FilesRoute, NotFoundRoute, RunRoute, RunsRoute, TableRoute, TablesRoute } from './routes/pages';

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
            { path: 'files', element: <FilesRoute /> },
            { path: 'runs', element: <RunsRoute /> },
            { path: 'runs/:runId', element: <RunRoute /> },
            { path: '*', element: <NotFoundRoute /> },
          ],
        },
      ],
    },
  ]);
