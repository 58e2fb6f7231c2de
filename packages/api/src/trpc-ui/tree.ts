import type { AnyTRPCRouter } from '@trpc/server';
import { z } from 'zod';

/** JSON Schema as `z.toJSONSchema` writes it (draft 7), only the keywords read here. */
interface JsonSchema {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  description?: string;
}

/** One input field as trpc-ui's React app draws it (the shape its own zod-3 parser emits). */
export type PanelNode = { path: string[]; optional?: true } & (
  | { type: 'string' | 'number' | 'boolean' | 'unsupported' }
  | { type: 'literal'; value: unknown }
  | { type: 'enum'; enumValues: unknown[] }
  | { type: 'object'; children: Record<string, PanelNode> }
  | { type: 'array'; childType: PanelNode }
  | { type: 'union'; values: PanelNode[] }
  | {
      type: 'discriminated-union';
      discriminatorName: string;
      discriminatedUnionValues: string[];
      discriminatedUnionChildrenMap: Record<string, PanelNode>;
    }
);

export interface PanelProcedure {
  nodeType: 'procedure';
  procedureType: 'query' | 'mutation' | 'subscription';
  pathFromRootRouter: string[];
  /** What the app validates the form with (ajv) and fills the "sample input" button from. */
  inputSchema: JsonSchema;
  node: PanelNode;
  extraData: { parameterDescriptions: Record<string, string>; description?: string };
}

export interface PanelRouter {
  nodeType: 'router';
  path: string[];
  children: Record<string, PanelRouter | PanelProcedure>;
}

/** The options of a branch that are not `null` (zod's `.nullable()`), which a form leaves out. */
function branches(schema: JsonSchema): JsonSchema[] | undefined {
  return (schema.anyOf ?? schema.oneOf)?.filter((s) => s.type !== 'null');
}

/** The property every branch pins to a different string constant, if there is one. */
function discriminator(options: JsonSchema[]): string | undefined {
  const keys = Object.keys(options[0]?.properties ?? {});
  return keys.find((key) => {
    const values = options.map((o) => o.properties?.[key]?.const);
    return values.every((v) => typeof v === 'string') && new Set(values).size === values.length;
  });
}

function toNode(schema: JsonSchema, path: string[], descriptions: Record<string, string>): PanelNode {
  if (schema.description) descriptions[path.join('.')] = schema.description;
  const options = branches(schema);
  if (options?.length === 1) return toNode(options[0]!, path, descriptions);
  if (options) {
    if (options.every((o) => 'const' in o)) return { type: 'enum', enumValues: options.map((o) => o.const), path };
    const key = discriminator(options);
    if (key === undefined) return { type: 'union', values: options.map((o) => toNode(o, [], descriptions)), path };
    const children = options.map((o) => [o.properties![key]!.const as string, toNode(o, path, descriptions)] as const);
    return {
      type: 'discriminated-union',
      discriminatorName: key,
      discriminatedUnionValues: children.map(([value]) => value),
      discriminatedUnionChildrenMap: Object.fromEntries(children),
      path,
    };
  }
  if ('const' in schema) return { type: 'literal', value: schema.const, path };
  if (schema.enum) return { type: 'enum', enumValues: schema.enum, path };
  const type = [schema.type ?? []].flat().find((t) => t !== 'null');
  switch (type) {
    case 'string':
    case 'boolean':
      return { type, path };
    case 'number':
    case 'integer':
      return { type: 'number', path };
    case 'array':
      return { type: 'array', childType: toNode(schema.items ?? {}, [], descriptions), path };
    case 'object': {
      const required = new Set(schema.required);
      const children = Object.entries(schema.properties ?? {}).map(([name, property]) => {
        const child = toNode(property, [...path, name], descriptions);
        return [name, required.has(name) ? child : { ...child, optional: true as const }] as const;
      });
      return { type: 'object', children: Object.fromEntries(children), path };
    }
    default:
      return { type: 'unsupported', path };
  }
}

/**
 * A procedure's input as one JSON Schema. tRPC parses the raw input with each `.input()` in turn
 * (a middleware's `{ orgId }`, then the procedure's own object), so the objects merge; no input is
 * the empty object.
 */
function inputSchemaOf(inputs: readonly z.ZodType[]): JsonSchema {
  const schemas = inputs.map(
    (input) => z.toJSONSchema(input, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as JsonSchema,
  );
  if (schemas.length === 1) return schemas[0]!;
  return {
    type: 'object',
    properties: Object.fromEntries(schemas.flatMap((s) => Object.entries(s.properties ?? {}))),
    required: [...new Set(schemas.flatMap((s) => s.required ?? []))],
    additionalProperties: !schemas.some((s) => s.additionalProperties === false),
  };
}

/**
 * The router as trpc-ui's React app expects to find it injected into its bundle. trpc-ui builds
 * this tree with a parser that reads zod 3's internals, so on our zod 4 schemas it draws no input
 * at all; here the same tree comes from `z.toJSONSchema`, which zod 4 maintains for every schema.
 * @example const tree = panelTree(appRouter); tree.children.secrets.children.create.node.type // 'object'
 */
export function panelTree(router: AnyTRPCRouter): PanelRouter {
  const root: PanelRouter = { nodeType: 'router', path: [], children: {} };
  const procedures = router._def.procedures as Record<string, { _def: { type: string; inputs: z.ZodType[] } }>;
  for (const [dotted, procedure] of Object.entries(procedures)) {
    const path = dotted.split('.');
    let parent = root;
    for (const [depth, segment] of path.slice(0, -1).entries()) {
      parent = (parent.children[segment] ??= {
        nodeType: 'router',
        path: path.slice(0, depth + 1),
        children: {},
      }) as PanelRouter;
    }
    const inputSchema = inputSchemaOf(procedure._def.inputs);
    const parameterDescriptions: Record<string, string> = {};
    parent.children[path.at(-1)!] = {
      nodeType: 'procedure',
      procedureType: procedure._def.type as PanelProcedure['procedureType'],
      pathFromRootRouter: path,
      inputSchema,
      node: toNode(inputSchema, [], parameterDescriptions),
      extraData: { parameterDescriptions },
    };
  }
  return root;
}
