import { lazy, type ReactNode, Suspense, useEffect, useRef } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation } from 'react-router';

import { useAuth } from './auth';
import { Loading } from './components/ui';
import { SignIn } from './pages/SignIn';

const Dashboard = lazy(() => import('./pages/Dashboard'));
const ApiKeys = lazy(() => import('./pages/ApiKeys'));
const Sessions = lazy(() => import('./pages/Sessions'));
const SessionMessages = lazy(() => import('./pages/SessionMessages'));
const Playground = lazy(() => import('./pages/Playground'));
const Skills = lazy(() => import('./pages/Skills'));
const SkillDetail = lazy(() => import('./pages/SkillDetail'));
const SkillEditor = lazy(() => import('./pages/SkillEditor'));
const Webhooks = lazy(() => import('./pages/Webhooks'));
const WebhookDetail = lazy(() => import('./pages/WebhookDetail'));
const Users = lazy(() => import('./pages/Users'));
const UserDetail = lazy(() => import('./pages/UserDetail'));
const Usage = lazy(() => import('./pages/Usage'));
const Config = lazy(() => import('./pages/Config'));
const Models = lazy(() => import('./pages/Models'));
const Health = lazy(() => import('./pages/Health'));
const NotFound = lazy(() => import('./pages/NotFound'));

const EVERYONE = [
  ['/', 'Dashboard'],
  ['/keys', 'API keys'],
  ['/sessions', 'Sessions'],
  ['/playground', 'Playground'],
  ['/skills', 'Skills'],
  ['/webhooks', 'Webhooks'],
] as const;
const ADMINS = [
  ['/users', 'Users'],
  ['/usage', 'Usage'],
  ['/config', 'Config'],
  ['/models', 'Models'],
  ['/health', 'Health'],
] as const;

/** Moves focus to the page's heading on navigation, so keyboard and screen-reader users start there. */
function FocusOnNavigate({ children }: { children: ReactNode }) {
  const location = useLocation();
  const ref = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.focus();
  }, [location.pathname]);
  return (
    <main id="main" className="container" tabIndex={-1} ref={ref}>
      {children}
    </main>
  );
}

function AdminOnly({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  if (user?.role !== 'admin') return <Navigate to="/" replace />;
  return <>{children}</>;
}

export function App() {
  const { user, checking, signOut } = useAuth();
  if (checking) return <Loading what="Checking your session" />;
  if (!user) return <SignIn />;
  const links = user.role === 'admin' ? [...EVERYONE, ...ADMINS] : EVERYONE;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="container">
        <nav aria-label="Main">
          <ul>
            <li>
              <strong>OpenClaw</strong>
            </li>
          </ul>
          <ul className="nav-links">
            {links.map(([to, label]) => (
              <li key={to}>
                <NavLink to={to} end={to === '/'}>
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
          <ul>
            <li>
              <span className="who">
                {user.email} ({user.role})
              </span>
            </li>
            <li>
              <button type="button" className="secondary outline" onClick={signOut}>
                Sign out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <FocusOnNavigate>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/" element={<Dashboard />} />
            <Route path="/keys" element={<ApiKeys />} />
            <Route path="/sessions" element={<Sessions />} />
            <Route path="/sessions/:id" element={<SessionMessages />} />
            <Route path="/playground" element={<Playground />} />
            <Route path="/skills" element={<Skills />} />
            <Route
              path="/skills/new"
              element={
                <AdminOnly>
                  <SkillEditor />
                </AdminOnly>
              }
            />
            <Route path="/skills/:name" element={<SkillDetail />} />
            <Route
              path="/skills/:name/edit"
              element={
                <AdminOnly>
                  <SkillEditor />
                </AdminOnly>
              }
            />
            <Route path="/webhooks" element={<Webhooks />} />
            <Route path="/webhooks/:id" element={<WebhookDetail />} />
            <Route
              path="/users"
              element={
                <AdminOnly>
                  <Users />
                </AdminOnly>
              }
            />
            <Route
              path="/users/:id"
              element={
                <AdminOnly>
                  <UserDetail />
                </AdminOnly>
              }
            />
            <Route
              path="/usage"
              element={
                <AdminOnly>
                  <Usage />
                </AdminOnly>
              }
            />
            <Route
              path="/config"
              element={
                <AdminOnly>
                  <Config />
                </AdminOnly>
              }
            />
            <Route
              path="/models"
              element={
                <AdminOnly>
                  <Models />
                </AdminOnly>
              }
            />
            <Route
              path="/health"
              element={
                <AdminOnly>
                  <Health />
                </AdminOnly>
              }
            />
            <Route path="/sign-in" element={<Navigate to="/" replace />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        </Suspense>
      </FocusOnNavigate>
    </>
  );
}
