import type { RouterOutputs } from '@strongroom/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../../trpc';
import { ConfirmDialog } from '../../ui/confirm';
import { Dialog } from '../../ui/dialog';
import { Loaded } from '../../ui/feedback';
import { providerLabel } from '../providers/label';
import { AgentForm } from './agent-form';

type Agent = RouterOutputs['agents']['list'][number];
type Editing = { mode: 'create' } | { mode: 'edit'; agent: Agent } | { mode: 'delete'; agent: Agent };

/** Members and admins alike create and edit agents. */
export function AgentsPage() {
  const trpc = useTRPC();
  const agents = useQuery(trpc.agents.list.queryOptions());
  const servers = useQuery(trpc.mcpServers.list.queryOptions());
  const [editing, setEditing] = useState<Editing | null>(null);
  const close = () => setEditing(null);
  const providers = useQuery(trpc.providers.list.queryOptions());
  const serverName = (id: string) => servers.data?.find((s) => s.id === id)?.name ?? id;
  const providerOf = (agent: Agent) => {
    const provider = providers.data?.find((p) => p.id === agent.providerId);
    return provider ? providerLabel(provider) : `${agent.provider.kind} · ${agent.provider.name}`;
  };
  return (
    <section aria-labelledby="agents-title">
      <div className="page-header">
        <h1 id="agents-title">Agents</h1>
        <button type="button" className="primary" onClick={() => setEditing({ mode: 'create' })}>
          New agent
        </button>
      </div>
      <Loaded query={agents}>
        {(rows) =>
          rows.length === 0 ? (
            <p className="empty">No agents yet. Create one with “New agent”.</p>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Model</th>
                    <th scope="col">Provider</th>
                    <th scope="col">MCP servers</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((agent) => (
                    <tr key={agent.id}>
                      <th scope="row">{agent.name}</th>
                      <td>
                        <code>{agent.model}</code>
                      </td>
                      <td>{providerOf(agent)}</td>
                      <td>
                        {agent.mcpServerIds.length ? (
                          agent.mcpServerIds.map(serverName).join(', ')
                        ) : (
                          <span className="muted">none</span>
                        )}
                      </td>
                      <td className="row-actions">
                        <button type="button" onClick={() => setEditing({ mode: 'edit', agent })}>
                          Edit
                        </button>
                        <button type="button" className="danger" onClick={() => setEditing({ mode: 'delete', agent })}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      {editing?.mode === 'create' && (
        <Dialog title="New agent" onClose={close} wide>
          <AgentForm onDone={close} />
        </Dialog>
      )}
      {editing?.mode === 'edit' && (
        <Dialog title={`Edit “${editing.agent.name}”`} onClose={close} wide>
          <AgentForm agent={editing.agent} onDone={close} />
        </Dialog>
      )}
      {editing?.mode === 'delete' && <DeleteAgentDialog agent={editing.agent} onDone={close} />}
    </section>
  );
}

function DeleteAgentDialog(props: { agent: Agent; onDone: () => void }) {
  const trpc = useTRPC();
  const remove = useMutation(trpc.agents.delete.mutationOptions({ onSuccess: props.onDone }));
  return (
    <ConfirmDialog
      title={`Delete “${props.agent.name}”`}
      confirm="Delete agent"
      danger
      pending={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate({ id: props.agent.id })}
      onCancel={props.onDone}
    >
      <p>The agent, its grants and its MCP attachments are removed. Providers, MCP servers and secrets are kept.</p>
    </ConfirmDialog>
  );
}
