/** The piscina worker of `forecastItems`: one item per task. */
import { forecastItem, type ItemInput, type ItemResult, type ItemSettings } from './item.js';

export default function run(task: { input: ItemInput; settings: ItemSettings }): ItemResult {
  return forecastItem(task.input, task.settings);
}
