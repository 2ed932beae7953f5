/** The piscina worker of `forecastItems`: one item per task. */
import { forecastItem, type ItemInput, type ItemResult, type ItemSettings } from './item.js';

export default function run(task: { input: ItemInput; settings: ItemSettings }): ItemResult {
  try {
    return forecastItem(task.input, task.settings);
  } catch (e) {
    // Name the item: the caller sees only the message across the thread boundary.
    throw new RangeError(`item "${task.input.key}": ${(e as Error).message}`, { cause: e });
  }
}
