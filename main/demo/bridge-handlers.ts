/**
 * The calls of DemoBridge on a DemoPipeline, each checking its arguments
 * first: a renderer is not trusted, whichever bridge it speaks through.
 * A call's outcome travels as a BridgeReply, so that both bridges give the
 * page the same errors with the same codes.
 */
import { BRIDGE_CALLS, type BridgeCall, type BridgeReply } from './bridge-api.js';
import type { DemoPipeline } from './pipeline.js';
import { MAX_FPS, MIN_FPS, RESOLUTION_NAMES, type ResolutionName } from './protocol.js';
import { oneOf, refused, wholeNumberIn } from './call-arguments.js';

function argumentCount(call: BridgeCall, args: readonly unknown[], count: number): void {
  if (args.length !== count) throw refused('ERR_INVALID_ARG_VALUE', `the arguments of ${call}`, count === 0 ? 'none' : `exactly ${count}`, args);
}

type Handler = (pipeline: DemoPipeline, args: readonly unknown[]) => unknown;

const HANDLERS: Record<BridgeCall, { arity: number; run: Handler }> = {
  stats: { arity: 0, run: (pipeline) => pipeline.stats() },
  setResolution: { arity: 1, run: (pipeline, [name]) => pipeline.setResolution(oneOf<ResolutionName>('name', name, RESOLUTION_NAMES)) },
  setFps: { arity: 1, run: (pipeline, [fps]) => pipeline.setFps(wholeNumberIn('fps', fps, MIN_FPS, MAX_FPS)) },
  setPaused: {
    arity: 1,
    run: (pipeline, [paused]) => {
      if (typeof paused !== 'boolean') throw refused('ERR_INVALID_ARG_TYPE', 'paused', 'a boolean', paused);
      return pipeline.setPaused(paused);
    },
  },
  addAnalyzer: { arity: 0, run: (pipeline) => pipeline.addAnalyzer() },
  removeAnalyzer: { arity: 0, run: (pipeline) => pipeline.removeAnalyzer() },
  nextPreview: { arity: 0, run: (pipeline) => pipeline.nextPreview() },
};

/**
 * A function that runs one bridge call, named by `call`, on `pipeline`.
 * It never throws: a bad call, bad arguments or a failure of the pipeline
 * come back as `{ error: { code, message } }`.
 */
export function bridgeDispatcher(pipeline: DemoPipeline): (call: unknown, args: readonly unknown[]) => Promise<BridgeReply> {
  return async (call, args) => {
    try {
      if (!BRIDGE_CALLS.includes(call as BridgeCall)) throw refused('ERR_INVALID_ARG_VALUE', 'call', `one of ${BRIDGE_CALLS.join(', ')}`, call);
      const handler = HANDLERS[call as BridgeCall];
      argumentCount(call as BridgeCall, args, handler.arity);
      return { value: (await handler.run(pipeline, args)) ?? null };
    } catch (error) {
      const { code = 'ERR_DEMO', message } = error as Error & { code?: string };
      return { error: { code, message } };
    }
  };
}
