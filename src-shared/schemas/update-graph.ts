/**
 * The schema of an OpenShift update graph as the update service (Cincinnati)
 * answers it: release nodes, edges by node index, and conditional edges by
 * version with the risks that guard them. It comes from the network, so it is
 * read strictly (src-shared/strict-json.ts) before this schema; fields the
 * service may add later are dropped rather than refused.
 */
import { z } from 'zod';
import type { JsonDocumentKind } from './document.ts';

/** Largest graph body read: the public graph of one channel is well under a megabyte, every channel together a few. */
export const UPDATE_GRAPH_LIMIT = 32 * 1024 * 1024;

/** A release image pinned by digest, the only form a graph node's payload may take. */
const PayloadSchema = z.string().regex(/^[^\s@]+@sha256:[0-9a-f]{64}$/, 'must be a release image pinned by sha256 digest');

/** One release in the graph: its version, its release image and the service's metadata (channels, errata URL). */
export const UpdateGraphNodeSchema = z.object({ version: z.string().min(1), payload: PayloadSchema, metadata: z.record(z.string(), z.string()).optional() });

/** A risk that makes an update conditional (the cluster evaluates its matching rules; Ferry only reports its name). */
export const UpdateRiskSchema = z.object({ name: z.string().min(1), url: z.string().optional(), message: z.string().optional() });

/** A set of updates recommended only when the cluster is not exposed to the listed risks. */
export const ConditionalEdgeSchema = z.object({
  edges: z.array(z.object({ from: z.string().min(1), to: z.string().min(1) })),
  risks: z.array(UpdateRiskSchema),
});

/** The whole answer of `GET /api/upgrades_info/graph?channel=…&arch=…`; edges are `[fromIndex, toIndex]` into nodes. */
export const UpdateGraphSchema = z.object({
  nodes: z.array(UpdateGraphNodeSchema),
  edges: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
  conditionalEdges: z.array(ConditionalEdgeSchema).optional(),
});

/** How an update graph is read: anything malformed is INVALID_CONTENT naming the graph and the JSON path. */
export const UPDATE_GRAPH_DOCUMENT: JsonDocumentKind<typeof UpdateGraphSchema> = {
  schema: UpdateGraphSchema,
  name: 'an update graph (nodes with version and payload, edges, conditionalEdges)',
  maxBytes: UPDATE_GRAPH_LIMIT,
  code: 'INVALID_CONTENT',
};
