/**
 * The calls of DemoBridge on a DemoPipeline, each checking its arguments
 * first: a renderer is not trusted, whichever bridge it speaks through.
 */
import { BRIDGE_CALLS, type BridgeCall } from './bridge-api.js';
import type { DemoPipeline } from './pipeline.js';
import { MAX_FPS, MIN_FPS, RESOLUTION_NAMES, type ResolutionName } from './protocol.js';

export class BridgeArgumentError extends Error {}

function argument<T>(args: unknown[], accept: (value: unknown) => value is T, what: string): T {
  if (args.length !== 1 || !accept(args[0])) throw new BridgeArgumentError(`Expected ${what}, received ${JSON.stringify(args)}`);
  return args[0];
}

function noArguments(args: unknown[]): void {
  if (args.length !== 0) throw new BridgeArgumentError(`Expected no arguments, received ${args.length}`);
}

const isResolution = (value: unknown): value is ResolutionName => RESOLUTION_NAMES.includes(value as ResolutionName);
const isFps = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= MIN_FPS && (value as number) <= MAX_FPS;
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';

export type BridgeHandlers = Record<BridgeCall, (...args: unknown[]) => Promise<unknown>>;

/** The calls of DemoBridge on `pipeline`, each checking its arguments first. */
export function bridgeHandlers(pipeline: DemoPipeline): BridgeHandlers {
  return {
    stats: async (...args) => (noArguments(args), pipeline.stats()),
    setResolution: async (...args) => pipeline.setResolution(argument(args, isResolution, `one of ${RESOLUTION_NAMES.join(', ')}`)),
    setFps: async (...args) => pipeline.setFps(argument(args, isFps, `an integer from ${MIN_FPS} to ${MAX_FPS}`)),
    setPaused: async (...args) => pipeline.setPaused(argument(args, isBoolean, 'a boolean')),
    addAnalyzer: async (...args) => (noArguments(args), pipeline.addAnalyzer()),
    removeAnalyzer: async (...args) => (noArguments(args), pipeline.removeAnalyzer()),
    nextPreview: async (...args) => (noArguments(args), pipeline.nextPreview()),
  };
}

export function isBridgeCall(name: unknown): name is BridgeCall {
  return BRIDGE_CALLS.includes(name as BridgeCall);
}
