import { useSyncExternalStore } from 'react';

/**
 * One clock for every "3 min ago" on screen: it ticks every 15 seconds while
 * something listens, so relative times stay true on a page left open.
 */
const TICK_MS = 15_000;
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      listeners.forEach((l) => l());
    }, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The time now, as of the clock's last tick (every 15 s). */
export const useNow = (): number => useSyncExternalStore(subscribe, () => now);
