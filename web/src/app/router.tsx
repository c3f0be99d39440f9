import { createBrowserRouter, Navigate, type RouteObject } from 'react-router';
import { NotFound } from '@/components/ui/not-found';
import { setUnauthorizedHandler } from '@/lib/api-client';
import { loginRedirect } from '@/lib/login-redirect';
import { AccountLayout, AccountRoute } from './routes/account';
import { AdminRoute } from './routes/admin';
import { AppLayout } from './routes/app-layout';
import { DeploymentsRoute } from './routes/deployments';
import { LoginRoute, RegisterRoute } from './routes/auth';
import {
  BuildRoute,
  BuildsRoute,
  CodeRoute,
  DeploymentRoute,
  HistoryRoute,
  ImagesRoute,
  KeysRoute,
  TryRoute,
  UsageRoute,
} from './routes/project-tabs';
import { ProjectLayout } from './routes/project-layout';
import { ProjectsRoute } from './routes/projects';
import { MyRunsRoute, RunRoute, RunsRoute } from './routes/runs';
import { TokensRoute } from './routes/tokens';

export const routes: RouteObject[] = [
  { path: '/login', element: <LoginRoute /> },
  { path: '/register', element: <RegisterRoute /> },
  {
    element: <AppLayout />,
    children: [
      { index: true, element: <ProjectsRoute /> },
      {
        path: 'projects/:owner/:name',
        element: <ProjectLayout />,
        children: [
          { index: true, element: <Navigate to="code" replace /> },
          { path: 'code', element: <CodeRoute /> },
          { path: 'history', element: <HistoryRoute /> },
          { path: 'builds', element: <BuildsRoute /> },
          { path: 'builds/:buildId', element: <BuildRoute /> },
          { path: 'images', element: <ImagesRoute /> },
          { path: 'deployment', element: <DeploymentRoute /> },
          { path: 'try', element: <TryRoute /> },
          { path: 'runs', element: <RunsRoute /> },
          { path: 'runs/:runId', element: <RunRoute /> },
          { path: 'keys', element: <KeysRoute /> },
          { path: 'usage', element: <UsageRoute /> },
        ],
      },
      { path: 'deployments', element: <DeploymentsRoute /> },
      { path: 'runs', element: <MyRunsRoute /> },
      {
        path: 'account',
        element: <AccountLayout />,
        children: [
          { index: true, element: <AccountRoute /> },
          { path: 'tokens', element: <TokensRoute /> },
        ],
      },
      { path: 'admin', element: <AdminRoute /> },
      { path: '*', element: <NotFound /> },
    ],
  },
];

export function createAppRouter() {
  const router = createBrowserRouter(routes);
  setUnauthorizedHandler(() => {
    const { pathname, search } = router.state.location;
    const login = loginRedirect(pathname, search);
    if (login) void router.navigate(login, { replace: true });
  });
  return router;
}
