import { initTRPC } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { appRouter } from '../router';
import { type PanelNode, type PanelProcedure, type PanelRouter, panelTree } from './tree';

function procedures(node: PanelRouter | PanelProcedure): PanelProcedure[] {
  return node.nodeType === 'router' ? Object.values(node.children).flatMap(procedures) : [node];
}

function kinds(node: PanelNode): string[] {
  const inner =
    node.type === 'object'
      ? Object.values(node.children)
      : node.type === 'array'
        ? [node.childType]
        : node.type === 'union'
          ? node.values
          : node.type === 'discriminated-union'
            ? Object.values(node.discriminatedUnionChildrenMap)
            : [];
  return [node.type, ...inner.flatMap(kinds)];
}

describe('panelTree', () => {
  it('has every procedure of the router, each input drawable field by field', () => {
    const all = procedures(panelTree(appRouter));
    expect(all.map((p) => p.pathFromRootRouter.join('.')).sort()).toEqual(
      Object.keys(appRouter._def.procedures).sort(),
    );
    for (const procedure of all) {
      expect(procedure.node.type, procedure.pathFromRootRouter.join('.')).toBe('object');
      expect(kinds(procedure.node), procedure.pathFromRootRouter.join('.')).not.toContain('unsupported');
    }
  });

  it('maps zod 4 inputs to the fields trpc-ui draws', () => {
    const t = initTRPC.create();
    const withOrg = t.procedure.input(z.object({ orgId: z.uuid() }));
    const router = t.router({
      ops: t.router({
        run: withOrg
          .input(
            z.strictObject({
              orgId: z.uuid(),
              note: z.string().describe('Why').nullable().optional(),
              tags: z.array(z.string()).default([]),
              mode: z.enum(['a', 'b']),
              target: z.discriminatedUnion('kind', [
                z.object({ kind: z.literal('url'), url: z.url() }),
                z.object({ kind: z.literal('id'), id: z.number().int() }),
              ]),
            }),
          )
          .mutation(() => null),
      }),
      ping: t.procedure.query(() => 'pong'),
    });
    const tree = panelTree(router);
    const run = (tree.children.ops as PanelRouter).children.run as PanelProcedure;
    expect(run.procedureType).toBe('mutation');
    expect(run.inputSchema).toMatchObject({ required: expect.arrayContaining(['orgId', 'mode', 'target']) });
    expect(run.extraData.parameterDescriptions).toEqual({ note: 'Why' });
    const node = run.node as Extract<PanelNode, { type: 'object' }>;
    expect(node.children.orgId).toEqual({ type: 'string', path: ['orgId'] });
    expect(node.children.note).toEqual({ type: 'string', path: ['note'], optional: true });
    expect(node.children.tags).toEqual({
      type: 'array',
      childType: { type: 'string', path: [] },
      path: ['tags'],
      optional: true,
    });
    expect(node.children.mode).toEqual({ type: 'enum', enumValues: ['a', 'b'], path: ['mode'] });
    expect(node.children.target).toMatchObject({
      type: 'discriminated-union',
      discriminatorName: 'kind',
      discriminatedUnionValues: ['url', 'id'],
    });
    const ping = tree.children.ping as PanelProcedure;
    expect(ping).toMatchObject({ procedureType: 'query', node: { type: 'object', children: {} } });
  });
});
