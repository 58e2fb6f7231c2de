import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect } from 'react';
import { MeContext, type Me } from './me';
import { AgentsPage } from './pages/agents/agents-page';
import { AuditPage } from './pages/audit/audit-page';
import { GroupsPage } from './pages/groups-page';
import { McpServersPage } from './pages/mcp/mcp-page';
import { MembersPage } from './pages/members-page';
import { ProvidersPage } from './pages/providers/providers-page';
import { SecretPage } from './pages/secrets/secret-page';
import { SecretsPage } from './pages/secrets/secrets-page';
import { TokensPage } from './pages/tokens-page';
import { Link, navigate, usePath } from './router';
import { endSession } from './oidc';
import { useTRPC } from './trpc';
import { Badge, CallError } from './ui/feedback';

interface Page {
  path: string;
  label: string;
  adminOnly: boolean;
  render: (rest: string) => ReactNode;
}

/** Members see only the pages whose calls they may make; the server refuses the rest anyway. */
const PAGES: Page[] = [
  {
    path: '/secrets',
    label: 'Secrets',
    adminOnly: true,
    render: (rest) => (rest ? <SecretPage id={rest} /> : <SecretsPage />),
  },
  { path: '/providers', label: 'Providers', adminOnly: false, render: () => <ProvidersPage /> },
  { path: '/agents', label: 'Agents', adminOnly: false, render: () => <AgentsPage /> },
  { path: '/mcp-servers', label: 'MCP servers', adminOnly: false, render: () => <McpServersPage /> },
  { path: '/groups', label: 'Groups', adminOnly: true, render: () => <GroupsPage /> },
  { path: '/audit', label: 'Audit log', adminOnly: true, render: () => <AuditPage /> },
  { path: '/tokens', label: 'Tokens', adminOnly: true, render: () => <TokensPage /> },
  { path: '/members', label: 'Members', adminOnly: true, render: () => <MembersPage /> },
];

function pageFor(path: string, pages: Page[]) {
  for (const page of pages) {
    if (path === page.path) return { page, rest: '' };
    if (path.startsWith(`${page.path}/`)) return { page, rest: decodeURIComponent(path.slice(page.path.length + 1)) };
  }
  return undefined;
}

export function Shell() {
  const trpc = useTRPC();
  const me = useQuery(trpc.me.queryOptions());
  if (me.error) {
    return (
      <main className="sign-in">
        <div className="card">
          <CallError error={me.error} />
          <button type="button" onClick={() => endSession()}>
            Sign out
          </button>
        </div>
      </main>
    );
  }
  if (!me.data)
    return (
      <p role="status" className="muted centered">
        Loading…
      </p>
    );
  return (
    <MeContext.Provider value={me.data}>
      <Layout me={me.data} />
    </MeContext.Provider>
  );
}

function Layout({ me }: { me: Me }) {
  const path = usePath();
  const pages = PAGES.filter((page) => !page.adminOnly || me.role === 'admin');
  const found = pageFor(path, pages);
  // The start page, and any page this role may not open, lead to the first page it may.
  const redirect = found ? undefined : pages[0]!.path;
  useEffect(() => {
    if (redirect) navigate(redirect);
  }, [redirect]);
  const label = found?.page.label;
  useEffect(() => {
    document.title = label ? `${label} · Strongroom` : 'Strongroom';
  }, [label]);
  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Strongroom</span>
        <div className="whoami" aria-label="Signed in as">
          <span data-testid="org-name">{me.org.name}</span>
          <span className="muted">{me.user.email}</span>
          <Badge tone={me.role === 'admin' ? 'ok' : 'neutral'}>{me.role}</Badge>
        </div>
        <button type="button" onClick={() => endSession()}>
          Sign out
        </button>
      </header>
      <nav className="sidebar" aria-label="Console">
        <ul>
          {pages.map((page) => (
            <li key={page.path}>
              <Link to={page.path} current={found?.page === page}>
                {page.label}
              </Link>
            </li>
          ))}
          <li>
            <a href="/docs">API docs</a>
          </li>
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {found?.page.render(found.rest)}
      </main>
    </div>
  );
}
