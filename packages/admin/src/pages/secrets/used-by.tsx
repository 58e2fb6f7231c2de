import type { RouterOutputs } from '@strongroom/client';
import { Link } from '../../router';

type Ref = RouterOutputs['secrets']['get']['usedBy'][number];

const PAGE_OF: Record<Ref['type'], string> = { provider: '/providers', mcpServer: '/mcp-servers' };
const NOUN: Record<Ref['type'], string> = { provider: 'provider', mcpServer: 'MCP server' };

/** The providers and MCP servers that reference a secret, each a link to its page. */
export function UsedBy(props: { refs: readonly Ref[] }) {
  if (props.refs.length === 0) return <span className="muted">nothing</span>;
  return (
    <ul className="inline-list">
      {props.refs.map((ref) => (
        <li key={`${ref.type}:${ref.id}`}>
          <Link to={PAGE_OF[ref.type]}>
            {NOUN[ref.type]} “{ref.name}”
          </Link>
        </li>
      ))}
    </ul>
  );
}
