export { TableStatusGrid } from './components/table-status';
export { FailingSchedules } from './components/failing-schedules';
