export { RunsList, RunsTable } from './components/runs-list';
export { RunPage } from './components/run-page';
export { RecentRuns } from './components/recent-runs';
export { LoadHistoryChart } from './components/load-history';
