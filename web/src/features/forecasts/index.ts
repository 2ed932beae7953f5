export { ForecastsPage } from './components/forecasts-page';
export { ForecastTab } from './components/forecast-tab';
