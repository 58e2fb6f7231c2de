import type { RouterOutputs } from '@strongroom/client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../../trpc';
import { Badge, CallError, ErrorMessage, When } from '../../ui/feedback';

type McpServer = RouterOutputs['mcpServers']['list'][number];
type OAuthState = NonNullable<McpServer['oauth']>;

const STATUS: Record<OAuthState['status'], { tone: 'ok' | 'warn' | 'neutral'; label: string }> = {
  connected: { tone: 'ok', label: 'Connected' },
  needs_reauth: { tone: 'warn', label: 'Needs sign-in' },
  not_connected: { tone: 'neutral', label: 'Not connected' },
};

/** The OAuth connection's status as a badge, for the card header. */
export function OAuthBadge(props: { oauth: OAuthState }) {
  const { tone, label } = STATUS[props.oauth.status];
  const title =
    props.oauth.status === 'needs_reauth'
      ? `The authorization server refused the connection (${props.oauth.reason ?? 'refused'}): press Connect to sign in again.`
      : undefined;
  return (
    <Badge tone={tone} {...(title ? { title } : {})}>
      {label}
    </Badge>
  );
}

/** Issuer, granted scopes and the access token's expiry, as facts of the card. */
export function OAuthFacts(props: { oauth: OAuthState }) {
  const { oauth } = props;
  return (
    <>
      <dt>Sign-in</dt>
      <dd>
        OAuth {oauth.grantType === 'client_credentials' ? '(client credentials)' : ''}: {STATUS[oauth.status].label}
        {oauth.reason === 'insufficient_scope' && <span className="muted"> — needs more scopes</span>}
      </dd>
      <dt>Issuer</dt>
      <dd>{oauth.issuer ? <code>{oauth.issuer}</code> : <span className="muted">not known yet</span>}</dd>
      <dt>Scopes</dt>
      <dd>{oauth.scopes.length ? oauth.scopes.join(' ') : <span className="muted">none granted</span>}</dd>
      <dt>Expires</dt>
      <dd>
        <When iso={oauth.expiresAt} empty="—" precise />
      </dd>
    </>
  );
}

/**
 * Connect (or reconnect): asks the API for the authorization URL and sends the browser there; the
 * authorization server sends it back through Strongroom's callback to this page.
 */
export function ConnectButton(props: { server: McpServer }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const connect = useMutation(
    trpc.mcpServers.connect.mutationOptions({
      onSuccess: ({ authorizationUrl }) => {
        if (authorizationUrl) window.location.assign(authorizationUrl);
        else void queryClient.invalidateQueries({ queryKey: trpc.mcpServers.list.queryKey() });
      },
    }),
  );
  const status = props.server.oauth?.status;
  return (
    <>
      <button
        type="button"
        className={status === 'connected' ? undefined : 'primary'}
        disabled={connect.isPending}
        onClick={() => connect.mutate({ id: props.server.id })}
      >
        {connect.isPending ? 'Connecting…' : status === 'connected' ? 'Reconnect' : 'Connect'}
      </button>
      <CallError error={connect.error} />
    </>
  );
}

export function DisconnectButton(props: { server: McpServer }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const disconnect = useMutation(
    trpc.mcpServers.disconnect.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.mcpServers.list.queryKey() }),
    }),
  );
  return (
    <>
      <button type="button" disabled={disconnect.isPending} onClick={() => disconnect.mutate({ id: props.server.id })}>
        Disconnect
      </button>
      <CallError error={disconnect.error} />
    </>
  );
}

/** What the callback said when it sent the browser back here (`?server=…&oauth=connected|failed`). */
export function CallbackNotice(props: { servers: McpServer[] }) {
  const params = new URLSearchParams(window.location.search);
  const outcome = params.get('oauth');
  const server = props.servers.find((s) => s.id === params.get('server'));
  if (!outcome || !server) return null;
  return outcome === 'connected' ? (
    <p role="status" className="ok">
      “{server.name}” is connected.
    </p>
  ) : (
    <ErrorMessage>
      Signing “{server.name}” in failed ({params.get('reason') ?? 'unknown reason'}). Press Connect to try again.
    </ErrorMessage>
  );
}
