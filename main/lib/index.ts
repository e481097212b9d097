// The API takes and gives Node's own types (ChildProcess, EventEmitter,
// NodeJS.ProcessEnv), so its declarations need @types/node: a dependency,
// so that an app's TypeScript finds it whether or not the app installed it.
/// <reference types="node" preserve="true" />
/**
 * electron-shm: zero-copy shared memory between the processes of Electron
 * and Node.js applications. Load it in the main process or a utility
 * process, never in a renderer.
 */
export { AnonMap, importHandle, MAX_MAP_SIZE, MAX_VIEW_LENGTH } from './anon-map.js';
export type { AnonMapOptions, ExportOptions, ImportOptions, MapOptions } from './anon-map.js';
export { ShmError } from './errors.js';
export type { ShmErrorCode } from './errors.js';
export { inheritedMap, inheritedSemaphore, spawnWithMaps, INHERITED_MAPS_ENV } from './inherit.js';
export type { InheritedMapSpec, SpawnWithMapsOptions } from './inherit.js';
export { SharedMemory } from './shared-memory.js';
export type { AttachOptions, Compat, OpenOptions } from './shared-memory.js';
export { Attachment, MapView } from './views.js';
export type { FileStatus } from './mapped-file.js';
export { SysVSegment, IPC_PRIVATE } from './sysv-segment.js';
export type { SegmentStatus, SysVOpenOptions } from './sysv-segment.js';
export { limits } from './limits.js';
export { Semaphore, MAX_SEMAPHORE_POST } from './semaphore.js';
export type { SemaphoreExportOptions, SemaphoreImportOptions, SemaphoreOptions } from './semaphore.js';
export { ResizableMap } from './resizable-map.js';
export type { ResizableMapOptions } from './resizable-map.js';
export type { SharedMemoryLimits } from './limits.js';
export { FrameChannel, FRAME_META_BYTES } from './frame-channel.js';
export type { ChannelExportOptions, FrameChannelOptions, FramePolicy } from './frame-channel.js';
export { MAX_FRAME_DIMENSION } from './frame-format.js';
export type { FrameLayout, PixelFormat, PlaneLayout } from './frame-format.js';
export { FramePublisher, Sample } from './frame-publisher.js';
export type { LoanOptions, SendOptions } from './frame-publisher.js';
export { Frame, FrameSubscriber } from './frame-subscriber.js';
export type { WaitOptions } from './waiters.js';
export { forkUtility, utilityParent } from './utility.js';
export type { ForkUtilityOptions, UtilityChild, UtilityParent } from './utility.js';
