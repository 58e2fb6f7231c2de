import type { RouterInputs } from '@strongroom/client';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '../../trpc';
import { CallError, ErrorMessage } from '../../ui/feedback';

/**
 * Asks the server to connect to an MCP server (saved, or from a form before saving) with its
 * credential and list the tools; shows the tools or the reason it failed.
 */
export function ValidateButton(props: { input: RouterInputs['mcpServers']['validate']; disabled?: boolean }) {
  const trpc = useTRPC();
  const validate = useMutation(trpc.mcpServers.validate.mutationOptions());
  const result = validate.data;
  return (
    <div className="validate">
      <button
        type="button"
        onClick={() => validate.mutate(props.input)}
        disabled={props.disabled || validate.isPending}
      >
        {validate.isPending ? 'Validating…' : 'Validate'}
      </button>
      <div role="status" className="validate-result">
        {result?.ok === true && (
          <>
            <p className="ok">
              Connected: {result.tools.length} tool{result.tools.length === 1 ? '' : 's'}.
            </p>
            <ul className="tools">
              {result.tools.map((tool) => (
                <li key={tool.name}>
                  <code>{tool.name}</code> {tool.description && <span className="muted">{tool.description}</span>}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      {result?.ok === false && <ErrorMessage>Validation failed: {result.error.message}</ErrorMessage>}
      <CallError error={validate.error} />
    </div>
  );
}
