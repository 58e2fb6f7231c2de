import type { RouterOutputs } from '@strongroom/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useIsAdmin } from '../../me';
import { useTRPC } from '../../trpc';
import { ConfirmDialog } from '../../ui/confirm';
import { Dialog } from '../../ui/dialog';
import { Badge, Loaded, When } from '../../ui/feedback';
import { useSecretNames } from '../secret-picker';
import { McpServerForm } from './mcp-form';
import { CallbackNotice, ConnectButton, DisconnectButton, OAuthBadge, OAuthFacts } from './oauth';
import { ValidateButton } from './validate';

type McpServer = RouterOutputs['mcpServers']['list'][number];
type Editing = { mode: 'create' } | { mode: 'edit'; server: McpServer } | { mode: 'delete'; server: McpServer };

export function McpServersPage() {
  const trpc = useTRPC();
  const isAdmin = useIsAdmin();
  const servers = useQuery(trpc.mcpServers.list.queryOptions());
  const secretName = useSecretNames();
  const [editing, setEditing] = useState<Editing | null>(null);
  const close = () => setEditing(null);
  return (
    <section aria-labelledby="mcp-title">
      <div className="page-header">
        <h1 id="mcp-title">MCP servers</h1>
        {isAdmin && (
          <button type="button" className="primary" onClick={() => setEditing({ mode: 'create' })}>
            Add MCP server
          </button>
        )}
      </div>
      <Loaded query={servers}>
        {(rows) =>
          rows.length === 0 ? (
            <p className="empty">No MCP servers yet.{isAdmin ? ' Add one with “Add MCP server”.' : ''}</p>
          ) : (
            <>
              <CallbackNotice servers={rows} />
              <ul className="cards">
                {rows.map((server) => (
                  <li key={server.id} className="card" data-mcp-server={server.id}>
                    <div className="card-header">
                      <h2>{server.name}</h2>
                      {server.oauth && <OAuthBadge oauth={server.oauth} />}
                      {server.hasLegacyToken && (
                        <Badge
                          tone="warn"
                          title="This server still holds a raw token from before secrets; run the backfill or pick a secret."
                        >
                          legacy token
                        </Badge>
                      )}
                    </div>
                    <dl className="facts compact">
                      <dt>URL</dt>
                      <dd>
                        <code>{server.url}</code>
                      </dd>
                      {server.oauth ? (
                        <OAuthFacts oauth={server.oauth} />
                      ) : (
                        <>
                          <dt>Credential</dt>
                          <dd>
                            {server.secretRef ? (
                              (secretName(server.secretRef) ?? 'a secret')
                            ) : (
                              <span className="muted">none</span>
                            )}
                          </dd>
                        </>
                      )}
                      <dt>Validated</dt>
                      <dd>
                        <When iso={server.lastValidatedAt} empty="never" />
                      </dd>
                      <dt>Tools</dt>
                      <dd>
                        {server.tools ? (
                          server.tools.map((tool) => tool.name).join(', ') || 'none'
                        ) : (
                          <span className="muted">not known yet</span>
                        )}
                      </dd>
                    </dl>
                    {isAdmin && (
                      <div className="actions">
                        {server.oauth && <ConnectButton server={server} />}
                        {server.oauth && server.oauth.status !== 'not_connected' && (
                          <DisconnectButton server={server} />
                        )}
                        <ValidateButton input={{ id: server.id }} />
                        <button type="button" onClick={() => setEditing({ mode: 'edit', server })}>
                          Edit
                        </button>
                        <button type="button" className="danger" onClick={() => setEditing({ mode: 'delete', server })}>
                          Delete
                        </button>
                      </div>
                    )}
                  </li>
                ))}
              </ul>
            </>
          )
        }
      </Loaded>
      {editing?.mode === 'create' && (
        <Dialog title="Add MCP server" onClose={close} wide>
          <McpServerForm onDone={close} />
        </Dialog>
      )}
      {editing?.mode === 'edit' && (
        <Dialog title={`Edit “${editing.server.name}”`} onClose={close} wide>
          <McpServerForm server={editing.server} onDone={close} />
        </Dialog>
      )}
      {editing?.mode === 'delete' && <DeleteServerDialog server={editing.server} onDone={close} />}
    </section>
  );
}

function DeleteServerDialog(props: { server: McpServer; onDone: () => void }) {
  const trpc = useTRPC();
  const remove = useMutation(trpc.mcpServers.delete.mutationOptions({ onSuccess: props.onDone }));
  return (
    <ConfirmDialog
      title={`Delete “${props.server.name}”`}
      confirm="Delete MCP server"
      danger
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate({ id: props.server.id })}
      onCancel={props.onDone}
    >
      <p>Agents lose this server's tools. Its credential secret is kept.</p>
    </ConfirmDialog>
  );
}
